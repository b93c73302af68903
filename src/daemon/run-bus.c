/* org.shiftd.Shift1.Run: one object per run, answered from memory (properties)
 * or one store read (GetEvents). */
#include <errno.h>

#include "access.h"
#include "bus-errors.h"
#include "caller.h"
#include "daemon-bus.h"
#include "log.h"
#include "object-path.h"
#include "run-engine.h"
#include "run-table.h"
#include "run.h"
#include "sd-glue.h"
#include "shiftd-names.h"
#include "slot-limiter.h"
#include "worker.h"

#define EVENTS_DEFAULT_MAX 1000
#define EVENTS_LIMIT 10000

static gboolean
strv_equal(char **a, char **b)
{
  return g_strv_equal((const char *const *)a, (const char *const *)b);
}

/* Names of the Run properties that differ between two records. */
static GPtrArray *
changed_properties(const ShiftdRunRow *a, const ShiftdRunRow *b)
{
  GPtrArray *names = g_ptr_array_new();
#define STR(field, prop) \
  if (g_strcmp0(a->field, b->field) != 0) \
    g_ptr_array_add(names, (gpointer)prop);
#define NUM(field, prop) \
  if (a->field != b->field) \
    g_ptr_array_add(names, (gpointer)prop);
  STR(agent, "Agent");
  STR(task, "Task");
  NUM(trigger, "Trigger");
  NUM(state, "State");
  STR(summary, "Summary");
  STR(result, "Result");
  STR(error, "Error");
  STR(question, "Question");
  if (!strv_equal(a->choices, b->choices))
    g_ptr_array_add(names, (gpointer) "Choices");
  NUM(decision_deadline, "DecisionDeadline");
  NUM(step, "Step");
  NUM(attempt, "Attempt");
  NUM(event_count, "EventCount");
  NUM(created_at, "CreatedAt");
  NUM(started_at, "StartedAt");
  NUM(updated_at, "UpdatedAt");
  NUM(finished_at, "FinishedAt");
  STR(unit, "Unit");
  NUM(owner, "Owner");
  NUM(tokens_in, "TokensIn");
  NUM(tokens_out, "TokensOut");
  STR(parent, "Parent");
  if (!strv_equal(a->children, b->children))
    g_ptr_array_add(names, (gpointer) "Children");
#undef STR
#undef NUM
  g_ptr_array_add(names, NULL);
  return names;
}

static int
emit_decision_requested(Daemon *d, Run *run)
{
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
  int r = sd_bus_message_new_signal(d->bus, &m, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "DecisionRequested");
  if (r < 0)
    return r;
  /* on the system bus the question is for those who may read it, by call */
  gboolean content = d->mode == DAEMON_MODE_USER;
  char *none[] = { NULL };
  r = sd_bus_message_append(m, "sos", run->published->name, run->path, content ? run->published->question : "");
  if (r < 0)
    return r;
  r = sd_bus_message_append_strv(m, content ? run->published->choices : none);
  if (r < 0)
    return r;
  return sd_bus_send(d->bus, m, NULL);
}

void
run_bus_published(Run *run, const ShiftdRunRow *old, GArray *events)
{
  Daemon *d = run->daemon;
  ShiftdRunRow *now = run->published;
  int r;

  if (old == NULL) {
    r = sd_bus_emit_object_added(d->bus, run->path);
    if (r < 0)
      log_warning("cannot announce %s: %s", run->path, g_strerror(-r));
    r = sd_bus_emit_signal(d->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "RunStarted", "so",
                           now->name, run->path);
    if (r < 0)
      log_warning("cannot emit RunStarted: %s", g_strerror(-r));
  } else {
    g_autoptr(GPtrArray) names = changed_properties(old, now);
    if (names->len > 1) {
      r = sd_bus_emit_properties_changed_strv(d->bus, run->path, SHIFTD_RUN_IFACE, (char **)names->pdata);
      if (r < 0)
        log_warning("cannot emit PropertiesChanged for %s: %s", now->name, g_strerror(-r));
    }
  }

  for (guint i = 0; i < events->len; i++) {
    RunEvent *e = &g_array_index(events, RunEvent, i);
    /* Signals reach everyone on the bus; on the system bus that includes other
     * users, so the content is left to GetEvents, which checks who asks. */
    const char *json = d->mode == DAEMON_MODE_SYSTEM ? SHIFTD_EVENT_REDACTED : e->json;
    r = sd_bus_emit_signal(d->bus, run->path, SHIFTD_RUN_IFACE, "Event", "utss", e->seq, e->time, e->kind, json);
    if (r < 0)
      log_warning("cannot emit Event for %s: %s", now->name, g_strerror(-r));
  }

  if (old && old->state == now->state)
    return;
  if (shiftd_run_state_final(now->state)) {
    r = sd_bus_emit_signal(d->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "RunFinished", "sos", now->name,
                           run->path, shiftd_run_state_to_string(now->state));
    if (r < 0)
      log_warning("cannot emit RunFinished: %s", g_strerror(-r));
  } else if (now->state == SHIFTD_RUN_WAITING && now->wait_child[0] == '\0') {
    /* (a run waiting for its child run asks nobody) */
    r = emit_decision_requested(d, run);
    if (r < 0)
      log_warning("cannot emit DecisionRequested: %s", g_strerror(-r));
  }
}

void
run_bus_summary_changed(Run *run)
{
  if (run->published == NULL)
    return;
  int r = sd_bus_emit_properties_changed(run->daemon->bus, run->path, SHIFTD_RUN_IFACE, "Summary", NULL);
  if (r < 0)
    log_warning("cannot emit Summary change for %s: %s", run->pending->name, g_strerror(-r));
}

void
run_bus_unlisted(Run *run)
{
  int r = sd_bus_emit_object_removed(run->daemon->bus, run->path);
  if (r < 0)
    log_warning("cannot announce that %s left the list: %s", run->path, g_strerror(-r));
}


/* Content-bearing properties are shown only to callers who may read the run.
 * A signal (InterfacesAdded, PropertiesChanged) reaches everyone on the bus:
 * on the session bus that is one user, who sees everything; on the system
 * bus nothing. */
static int
may_read(Run *run, sd_bus *bus, sd_bus_message *reply)
{
  uint8_t type = 0;
  if (sd_bus_message_get_type(reply, &type) >= 0 && type == SD_BUS_MESSAGE_SIGNAL)
    return run->daemon->mode == DAEMON_MODE_USER;
  return access_may_read_now(run->daemon, sd_bus_get_current_message(bus), run);
}

#define PUBLIC_STRING(fn, field) \
  static int fn(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply, \
                void *userdata, sd_bus_error *error) \
  { \
    Run *run = userdata; \
    return sd_bus_message_append(reply, "s", run->published->field); \
  }
#define PUBLIC_NAME(fn, expr) \
  static int fn(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply, \
                void *userdata, sd_bus_error *error) \
  { \
    Run *run = userdata; \
    return sd_bus_message_append(reply, "s", expr); \
  }
#define PRIVATE_STRING(fn, field) \
  static int fn(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply, \
                void *userdata, sd_bus_error *error) \
  { \
    Run *run = userdata; \
    return sd_bus_message_append(reply, "s", may_read(run, bus, reply) ? run->published->field : ""); \
  }
#define UINT32(fn, field) \
  static int fn(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply, \
                void *userdata, sd_bus_error *error) \
  { \
    Run *run = userdata; \
    return sd_bus_message_append(reply, "u", (uint32_t)run->published->field); \
  }
#define UINT64(fn, field) \
  static int fn(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply, \
                void *userdata, sd_bus_error *error) \
  { \
    Run *run = userdata; \
    return sd_bus_message_append(reply, "t", (uint64_t)run->published->field); \
  }

PUBLIC_STRING(prop_name, name)
PUBLIC_STRING(prop_agent, agent)
PUBLIC_NAME(prop_trigger, shiftd_run_trigger_to_string(run->published->trigger))
PUBLIC_NAME(prop_state, shiftd_run_state_to_string(run->published->state))
PUBLIC_STRING(prop_unit, unit)
PRIVATE_STRING(prop_task, task)
PRIVATE_STRING(prop_result, result)
PRIVATE_STRING(prop_error, error)
PRIVATE_STRING(prop_question, question)
UINT32(prop_step, step)
UINT32(prop_attempt, attempt)
UINT32(prop_event_count, event_count)
UINT32(prop_owner, owner)
UINT64(prop_deadline, decision_deadline)
UINT64(prop_created, created_at)
UINT64(prop_started, started_at)
UINT64(prop_updated, updated_at)
UINT64(prop_finished, finished_at)
UINT64(prop_tokens_in, tokens_in)
UINT64(prop_tokens_out, tokens_out)

static int
prop_summary(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
             void *userdata, sd_bus_error *error)
{
  Run *run = userdata;
  Daemon *d = run->daemon;
  if (run->worker && run->published->state == SHIFTD_RUN_RUNNING) {
    guint pos = slot_limiter_get_position(d->slots, run->worker);
    if (pos > 0) {
      g_autofree char *text = g_strdup_printf("waiting for a model slot (%u of %u in the queue; %u slots busy)", pos,
                                              slot_limiter_get_queue_length(d->slots),
                                              slot_limiter_get_in_use(d->slots));
      return sd_bus_message_append(reply, "s", text);
    }
  }
  if (!may_read(run, bus, reply))
    return sd_bus_message_append(reply, "s", shiftd_run_state_to_string(run->published->state));
  return sd_bus_message_append(reply, "s", run->published->summary);
}

/* Parent and Children: run names are no content (every run's path is on the bus). */
static int
prop_parent(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
            void *userdata, sd_bus_error *error)
{
  Run *run = userdata;
  const char *parent = run->published->parent;
  if (parent == NULL || parent[0] == '\0')
    return sd_bus_message_append(reply, "o", "/");
  g_autofree char *p = shiftd_object_path(SHIFTD_RUN_PATH_PREFIX, parent);
  return sd_bus_message_append(reply, "o", p);
}

static int
prop_children(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
              void *userdata, sd_bus_error *error)
{
  Run *run = userdata;
  int r = sd_bus_message_open_container(reply, 'a', "o");
  if (r < 0)
    return r;
  for (char **c = run->published->children; c && *c; c++) {
    g_autofree char *p = shiftd_object_path(SHIFTD_RUN_PATH_PREFIX, *c);
    r = sd_bus_message_append(reply, "o", p);
    if (r < 0)
      return r;
  }
  return sd_bus_message_close_container(reply);
}

static int
prop_choices(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
             void *userdata, sd_bus_error *error)
{
  Run *run = userdata;
  char *none[] = { NULL };
  return sd_bus_message_append_strv(reply, may_read(run, bus, reply) ? run->published->choices : none);
}

static int
reply_events(sd_bus_message *m, Run *run, uint32_t from, uint32_t max)
{
  if (from == 0)
    from = 1;
  if (max == 0)
    max = EVENTS_DEFAULT_MAX;
  max = MIN(max, EVENTS_LIMIT);

  g_autoptr(GError) gerror = NULL;
  g_autoptr(GPtrArray) events = NULL;
  if (from <= run->published->event_count) {
    events = shiftd_store_get_events(run->daemon->store, run->published->name, from, run->published->event_count,
                                     max, &gerror);
    if (events == NULL)
      return sd_bus_reply_method_errorf(m, SHIFTD_ERROR_BUSY, "cannot read events: %s", gerror->message);
  }

  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r < 0)
    return r;
  r = sd_bus_message_open_container(reply, 'a', "(utss)");
  if (r < 0)
    return r;
  for (guint i = 0; events && i < events->len; i++) {
    ShiftdEventRow *e = g_ptr_array_index(events, i);
    r = sd_bus_message_append(reply, "(utss)", e->seq, e->time, e->kind, e->json);
    if (r < 0)
      return r;
  }
  r = sd_bus_message_close_container(reply);
  if (r < 0)
    return r;
  return sd_bus_send(NULL, reply, NULL);
}

typedef struct {
  Run *run;
  uint32_t from;
  uint32_t max;
  char *choice; /* set for Answer */
} RunCall;

static RunCall *
run_call_new(Run *run)
{
  RunCall *rc = g_new0(RunCall, 1);
  rc->run = run_ref(run);
  return rc;
}

static void
run_call_free(RunCall *rc)
{
  g_free(rc->choice);
  run_unref(rc->run);
  g_free(rc);
}

static void
events_allowed(sd_bus_message *m, gboolean allowed, const sd_bus_error *error, gpointer user_data)
{
  RunCall *rc = user_data;
  if (!allowed)
    sd_bus_reply_method_error(m, error);
  else
    reply_events(m, rc->run, rc->from, rc->max);
  run_call_free(rc);
}

static int
method_get_events(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  RunCall *rc = run_call_new(userdata);
  int r = sd_bus_message_read(m, "uu", &rc->from, &rc->max);
  if (r < 0) {
    run_call_free(rc);
    return r;
  }
  access_check(rc->run->daemon, m, rc->run, NULL, ACCESS_READ, events_allowed, rc);
  return 1;
}

/* Replies once the change is durable. */
static void
reply_when_committed(Run *run, const GError *error, gpointer user_data)
{
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = user_data;
  if (error)
    sd_bus_reply_method_errorf(m, SHIFTD_ERROR_BUSY, "cannot record the change: %s", error->message);
  else
    sd_bus_reply_method_return(m, NULL);
}

/* Answer and Cancel, once access_check() has decided: the change is made,
 * and the reply waits for it to be durable. */
static void
change_allowed(sd_bus_message *m, gboolean allowed, const sd_bus_error *error, gpointer user_data)
{
  RunCall *rc = user_data;
  uid_t uid = 0;
  g_autoptr(GError) gerror = NULL;
  if (!allowed) {
    sd_bus_reply_method_error(m, error);
  } else if (caller_get_uid(m, &uid) < 0) {
    sd_bus_reply_method_errorf(m, SHIFTD_ERROR_ACCESS_DENIED, "cannot tell who is calling");
  } else {
    gboolean ok = rc->choice
                    ? engine_answer(rc->run, rc->choice, uid, "bus", reply_when_committed, sd_bus_message_ref(m), &gerror)
                    : engine_cancel(rc->run, uid, reply_when_committed, sd_bus_message_ref(m), &gerror);
    if (!ok) {
      sd_bus_message_unref(m); /* the ref reply_when_committed would have dropped */
      shiftd_bus_reply_gerror(m, gerror);
    }
  }
  run_call_free(rc);
}

static int
method_answer(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  const char *choice = NULL;
  int r = sd_bus_message_read(m, "s", &choice);
  if (r < 0)
    return r;
  RunCall *rc = run_call_new(userdata);
  rc->choice = g_strdup(choice);
  access_check(rc->run->daemon, m, rc->run, NULL, ACCESS_ANSWER, change_allowed, rc);
  return 1;
}

static int
method_cancel(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  access_check(((Run *)userdata)->daemon, m, userdata, NULL, ACCESS_CANCEL, change_allowed, run_call_new(userdata));
  return 1;
}

/* One declaration, two flavours: content-bearing properties are announced by
 * value on the session bus and by name only on the system bus, where they are
 * read back with the caller's rights. */
#define RUN_VTABLE(name, content)                                                                                   \
  static const sd_bus_vtable name[] = {                                                                              \
    SD_BUS_VTABLE_START(0),                                                                                          \
    SD_BUS_PROPERTY("Name", "s", prop_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),                                        \
    SD_BUS_PROPERTY("Agent", "s", prop_agent, 0, SD_BUS_VTABLE_PROPERTY_CONST),                                      \
    SD_BUS_PROPERTY("Task", "s", prop_task, 0, SD_BUS_VTABLE_PROPERTY_CONST),                                        \
    SD_BUS_PROPERTY("Trigger", "s", prop_trigger, 0, SD_BUS_VTABLE_PROPERTY_CONST),                                  \
    SD_BUS_PROPERTY("Parent", "o", prop_parent, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                             \
    SD_BUS_PROPERTY("Children", "ao", prop_children, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                        \
    SD_BUS_PROPERTY("State", "s", prop_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                               \
    SD_BUS_PROPERTY("Summary", "s", prop_summary, 0, content),                                                       \
    SD_BUS_PROPERTY("Result", "s", prop_result, 0, content),                                                         \
    SD_BUS_PROPERTY("Error", "s", prop_error, 0, content),                                                           \
    SD_BUS_PROPERTY("Question", "s", prop_question, 0, content),                                                     \
    SD_BUS_PROPERTY("Choices", "as", prop_choices, 0, content),                                                      \
    SD_BUS_PROPERTY("DecisionDeadline", "t", prop_deadline, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                 \
    SD_BUS_PROPERTY("Step", "u", prop_step, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                                 \
    SD_BUS_PROPERTY("Attempt", "u", prop_attempt, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                           \
    SD_BUS_PROPERTY("EventCount", "u", prop_event_count, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                    \
    SD_BUS_PROPERTY("CreatedAt", "t", prop_created, 0, SD_BUS_VTABLE_PROPERTY_CONST),                                \
    SD_BUS_PROPERTY("StartedAt", "t", prop_started, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                         \
    SD_BUS_PROPERTY("UpdatedAt", "t", prop_updated, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                         \
    SD_BUS_PROPERTY("FinishedAt", "t", prop_finished, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                       \
    SD_BUS_PROPERTY("Unit", "s", prop_unit, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                                 \
    SD_BUS_PROPERTY("Owner", "u", prop_owner, 0, SD_BUS_VTABLE_PROPERTY_CONST),                                      \
    SD_BUS_PROPERTY("TokensIn", "t", prop_tokens_in, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                        \
    SD_BUS_PROPERTY("TokensOut", "t", prop_tokens_out, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),                      \
    SD_BUS_METHOD_WITH_ARGS("GetEvents", SD_BUS_ARGS("u", from, "u", max), SD_BUS_RESULT("a(utss)", events),          \
                            method_get_events, SD_BUS_VTABLE_UNPRIVILEGED),                                          \
    SD_BUS_METHOD_WITH_ARGS("Answer", SD_BUS_ARGS("s", choice), SD_BUS_NO_RESULT, method_answer,                     \
                            SD_BUS_VTABLE_UNPRIVILEGED),                                                             \
    SD_BUS_METHOD_WITH_ARGS("Cancel", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_cancel, SD_BUS_VTABLE_UNPRIVILEGED),   \
    SD_BUS_SIGNAL_WITH_ARGS("Event", SD_BUS_ARGS("u", seq, "t", time, "s", kind, "s", json), 0),                     \
    SD_BUS_VTABLE_END                                                                                                \
  }

RUN_VTABLE(run_vtable_session, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE);
RUN_VTABLE(run_vtable_system, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION);

static int
run_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found, sd_bus_error *error)
{
  char *name = NULL;
  if (sd_bus_path_decode(path, SHIFTD_RUN_PATH_PREFIX, &name) <= 0)
    return 0;
  Run *run = daemon_find_run(userdata, name);
  free(name);
  if (run == NULL)
    return 0;
  *found = run;
  return 1;
}

/* The live runs and the window of recent ones: GetManagedObjects stays
 * bounded however long the history. */
static int
run_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes, sd_bus_error *error)
{
  g_autoptr(GPtrArray) paths = run_table_listed_paths(userdata);
  return bus_paths_to_nodes(paths, nodes);
}

int
run_bus_register(Daemon *d)
{
  const sd_bus_vtable *vtable = d->mode == DAEMON_MODE_USER ? run_vtable_session : run_vtable_system;
  int r = sd_bus_add_fallback_vtable(d->bus, NULL, SHIFTD_RUN_PATH_PREFIX, SHIFTD_RUN_IFACE, vtable, run_find, d);
  if (r < 0)
    return r;
  return sd_bus_add_node_enumerator(d->bus, NULL, SHIFTD_RUN_PATH_PREFIX, run_enumerate, d);
}
