/* org.shiftd.Shift1.Manager at /org/shiftd/Shift1. */
#include <errno.h>
#include <string.h>

#include "agent.h"
#include "access.h"
#include "agent-registry.h"
#include "agent-schedule.h"
#include "agent-watch.h"
#include "backend.h"
#include "bus-errors.h"
#include "caller.h"
#include "build-config.h"
#include "config.h"
#include "daemon-bus.h"
#include "log.h"
#include "object-path.h"
#include "run.h"
#include "sd-glue.h"
#include "shiftd-names.h"
#include "slot-limiter.h"

#define OPTION_TEXT_MAX 256
#define MAX_STEPS_LIMIT 10000

int
bus_paths_to_nodes(GPtrArray *paths, char ***nodes)
{
  char **out = calloc(paths->len + 1, sizeof(char *));
  if (out == NULL)
    return -ENOMEM;
  for (guint i = 0; i < paths->len; i++) {
    out[i] = strdup(g_ptr_array_index(paths, i));
    if (out[i] == NULL) {
      for (guint j = 0; j < i; j++)
        free(out[j]);
      free(out);
      return -ENOMEM;
    }
  }
  *nodes = out;
  return 0;
}

static void
manager_bus_changed(Daemon *d, const char *const *properties)
{
  int r = sd_bus_emit_properties_changed_strv(d->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, (char **)properties);
  if (r < 0)
    log_warning("cannot announce Manager property changes: %s", g_strerror(-r));
}

const DaemonObserver daemon_bus_observer = {
  .run_published = run_bus_published,
  .run_summary_changed = run_bus_summary_changed,
  .run_unlisted = run_bus_unlisted,
  .agent_published = agent_bus_published,
  .agent_unpublished = agent_bus_unpublished,
  .agent_changed = agent_bus_changed,
  .manager_changed = manager_bus_changed,
};

/* --- StartRun and its twins --- */

static void
reply_receipt(Run *run, const GError *error, gpointer user_data)
{
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = user_data;
  if (error) {
    sd_bus_reply_method_errorf(m, SHIFTD_ERROR_BUSY, "cannot record the run: %s", error->message);
    return;
  }
  sd_bus_reply_method_return(m, "so", run->published->name, run->path);
}

int
bus_start_run(Daemon *d, sd_bus_message *m, Agent *agent, const char *task, ShiftdRunTrigger trigger,
              const RunOptions *options, sd_bus_error *error)
{
  uid_t uid;
  int r = caller_get_uid(m, &uid);
  if (r < 0)
    return sd_bus_error_set_errnof(error, r, "cannot tell who is calling: %s", g_strerror(-r));
  g_autoptr(GError) gerror = NULL;
  Run *run = engine_start_run(d, agent, task, trigger, uid, options, reply_receipt, sd_bus_message_ref(m), &gerror);
  if (run == NULL) {
    sd_bus_message_unref(m);
    return sd_bus_error_set(error, shiftd_bus_error_name(gerror), gerror->message);
  }
  return 1;
}

static int
option_type_error(sd_bus_error *error, const char *key, const char *want, const char *got)
{
  return sd_bus_error_setf(error, SHIFTD_ERROR_INVALID_ARGUMENT, "option \"%s\" must be of type '%s', not '%s'", key,
                           want, got);
}

/* Reads one a{sv} entry's variant of the expected basic type. */
static int
read_option(sd_bus_message *m, const char *key, const char *want, void *value, sd_bus_error *error)
{
  const char *contents = NULL;
  int r = sd_bus_message_peek_type(m, NULL, &contents);
  if (r < 0)
    return r;
  if (!g_str_equal(contents, want))
    return option_type_error(error, key, want, contents);
  return sd_bus_message_read(m, "v", want, value);
}

static int
check_text_option(const char *key, const char *value, gboolean allow_empty, sd_bus_error *error)
{
  if (!allow_empty && value[0] == '\0')
    return sd_bus_error_setf(error, SHIFTD_ERROR_INVALID_ARGUMENT, "option \"%s\" must not be empty", key);
  if (strlen(value) > OPTION_TEXT_MAX)
    return sd_bus_error_setf(error, SHIFTD_ERROR_INVALID_ARGUMENT, "option \"%s\" is longer than %d bytes", key,
                             OPTION_TEXT_MAX);
  for (const char *p = value; *p; p++)
    if ((unsigned char)*p < 0x20)
      return sd_bus_error_setf(error, SHIFTD_ERROR_INVALID_ARGUMENT, "option \"%s\" contains a control character",
                               key);
  return 0;
}

/* Walks an a{sv}, handing each key (with m at its variant) to one_key. */
typedef int (*DictKeyFn)(sd_bus_message *m, const char *key, void *userdata, sd_bus_error *error);

static int
read_dict(sd_bus_message *m, DictKeyFn one_key, void *userdata, sd_bus_error *error)
{
  int r = sd_bus_message_enter_container(m, 'a', "{sv}");
  if (r < 0)
    return r;
  while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
    const char *key = NULL;
    r = sd_bus_message_read(m, "s", &key);
    if (r >= 0)
      r = one_key(m, key, userdata, error);
    if (r >= 0)
      r = sd_bus_message_exit_container(m);
    if (r < 0)
      return r;
  }
  if (r < 0)
    return r;
  return sd_bus_message_exit_container(m);
}

static int
run_option(sd_bus_message *m, const char *key, void *userdata, sd_bus_error *error)
{
  RunOptions *o = userdata;
  int r;
  if (g_str_equal(key, "model")) {
    r = read_option(m, key, "s", &o->model, error);
    if (r >= 0)
      r = check_text_option(key, o->model, FALSE, error);
  } else if (g_str_equal(key, "label")) {
    r = read_option(m, key, "s", &o->label, error);
    if (r >= 0)
      r = check_text_option(key, o->label, TRUE, error);
  } else if (g_str_equal(key, "max_steps")) {
    r = read_option(m, key, "u", &o->max_steps, error);
    if (r >= 0 && (o->max_steps == 0 || o->max_steps > MAX_STEPS_LIMIT))
      r = sd_bus_error_setf(error, SHIFTD_ERROR_INVALID_ARGUMENT, "option \"max_steps\" must be from 1 to %d",
                            MAX_STEPS_LIMIT);
  } else if (g_str_equal(key, "timeout")) {
    r = read_option(m, key, "t", &o->timeout_usec, error);
    if (r >= 0 && o->timeout_usec < 1000)
      r = sd_bus_error_setf(error, SHIFTD_ERROR_INVALID_ARGUMENT,
                            "option \"timeout\" is in microseconds and must be at least 1000");
  } else {
    r = sd_bus_error_setf(error, SHIFTD_ERROR_INVALID_ARGUMENT,
                          "unknown option \"%s\" (known: model, max_steps, timeout, label)", key);
  }
  return r;
}

/* A StartRun waiting for its access check; the strings point into m. */
typedef struct {
  Agent *agent;
  const char *task;
  RunOptions options;
} StartCall;

static void
start_allowed(sd_bus_message *m, gboolean allowed, const sd_bus_error *error, gpointer user_data)
{
  g_autofree StartCall *sc = user_data;
  _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
  if (!allowed)
    sd_bus_reply_method_error(m, error);
  else if (bus_start_run(sc->agent->daemon, m, sc->agent, sc->task, SHIFTD_TRIGGER_MANUAL, &sc->options, &e) < 0)
    sd_bus_reply_method_error(m, &e);
}

static int
method_start_run(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  Daemon *d = userdata;
  const char *agent_name = NULL;
  g_autofree StartCall *sc = g_new0(StartCall, 1);
  int r = sd_bus_message_read(m, "ss", &agent_name, &sc->task);
  if (r < 0)
    return r;
  r = read_dict(m, run_option, &sc->options, error);
  if (r < 0)
    return r;
  Agent *agent = daemon_find_agent(d, agent_name[0] ? agent_name : "default");
  if (agent == NULL)
    return sd_bus_error_setf(error, SHIFTD_ERROR_NO_SUCH_AGENT, "no agent named \"%s\"", agent_name);
  sc->agent = agent;
  access_check(d, m, NULL, agent, ACCESS_START, start_allowed, g_steal_pointer(&sc));
  return 1;
}

static int
method_get_run(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  Daemon *d = userdata;
  const char *name = NULL;
  int r = sd_bus_message_read(m, "s", &name);
  if (r < 0)
    return r;
  Run *run = daemon_find_run(d, name);
  if (run == NULL)
    return sd_bus_error_setf(error, SHIFTD_ERROR_NO_SUCH_RUN, "no run named \"%s\"", name);
  return sd_bus_reply_method_return(m, "o", run->path);
}

typedef struct {
  const char *state;
  const char *agent;
  uint32_t limit;
  uint64_t since;
  Daemon *daemon;
} RunFilter;

static int
run_filter_key(sd_bus_message *m, const char *key, void *userdata, sd_bus_error *error)
{
  RunFilter *f = userdata;
  int r;
  if (g_str_equal(key, "state")) {
    r = read_option(m, key, "s", &f->state, error);
    if (r >= 0 && !shiftd_run_state_is_valid(f->state))
      r = sd_bus_error_setf(error, SHIFTD_ERROR_INVALID_ARGUMENT,
                            "unknown state \"%s\" (known: queued, running, waiting, done, idle, failed, cancelled)",
                            f->state);
  } else if (g_str_equal(key, "agent")) {
    r = read_option(m, key, "s", &f->agent, error);
  } else if (g_str_equal(key, "limit")) {
    r = read_option(m, key, "u", &f->limit, error);
  } else if (g_str_equal(key, "since")) {
    r = read_option(m, key, "t", &f->since, error);
  } else {
    r = sd_bus_error_setf(error, SHIFTD_ERROR_INVALID_ARGUMENT,
                          "unknown filter \"%s\" (known: state, agent, limit, since)", key);
  }
  return r;
}

typedef struct {
  RunFilter filter;
  char *state;
  char *agent;
} ListCall;

static void
list_call_free(ListCall *lc)
{
  g_free(lc->state);
  g_free(lc->agent);
  g_free(lc);
}

/* The filter as a store query; reader: G_MAXUINT64 for every run, else the
 * uid whose own (and AnswerBy=) runs only. */
static ShiftdRunQuery
list_query(const RunFilter *f, guint64 reader, const char *const *reader_agents)
{
  ShiftdRunQuery q = {
    .state = f->state,
    .agent = f->agent,
    .since = f->since,
    .limit = f->limit,
    .reader = reader,
    .reader_agents = reader_agents,
  };
  return q;
}

/* The runs the caller may read (all of them with a read-foreign grant),
 * from the store's indexes; a run in memory answers with what the bus shows. */
static int
reply_runs(Daemon *d, sd_bus_message *m, ListCall *lc, gboolean all)
{
  uid_t uid = 0;
  if (caller_get_uid(m, &uid) < 0)
    return sd_bus_reply_method_errorf(m, SHIFTD_ERROR_ACCESS_DENIED, "cannot tell who is calling");
  g_auto(GStrv) agents = all ? NULL : access_readable_agents(d, caller_get(m));
  ShiftdRunQuery q = list_query(&lc->filter, agents ? uid : SHIFTD_RUN_QUERY_ANYONE, (const char *const *)agents);
  g_autoptr(GError) gerror = NULL;
  g_autoptr(GPtrArray) rows = shiftd_store_list_runs(d->store, &q, &gerror);
  if (rows == NULL)
    return sd_bus_reply_method_errorf(m, SHIFTD_ERROR_BUSY, "cannot read the runs: %s", gerror->message);

  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r < 0)
    return r;
  r = sd_bus_message_open_container(reply, 'a', "(ssssto)");
  if (r < 0)
    return r;
  for (guint i = 0; i < rows->len; i++) {
    const ShiftdRunRow *row = g_ptr_array_index(rows, i);
    Run *held = g_hash_table_lookup(d->runs, row->name);
    if (held && held->published == NULL)
      continue; /* its receipt is on disk but not yet given */
    if (held)
      row = held->published;
    g_autofree char *path = shiftd_object_path(SHIFTD_RUN_PATH_PREFIX, row->name);
    r = sd_bus_message_append(reply, "(ssssto)", row->name, row->agent, shiftd_run_state_to_string(row->state),
                              row->summary, row->created_at,
                              path);
    if (r < 0)
      return r;
  }
  r = sd_bus_message_close_container(reply);
  if (r < 0)
    return r;
  return sd_bus_send(NULL, reply, NULL);
}

static void
list_allowed(sd_bus_message *m, gboolean allowed, const sd_bus_error *error, gpointer user_data)
{
  ListCall *lc = user_data;
  Daemon *d = lc->filter.daemon;
  /* refused read-foreign: the caller still sees its own runs */
  reply_runs(d, m, lc, allowed);
  list_call_free(lc);
}

/* Would the filter match a run the caller may not read? */
static gboolean
matches_foreign(Daemon *d, const RunFilter *f, const CallerCreds *caller)
{
  g_auto(GStrv) agents = access_readable_agents(d, caller);
  if (agents == NULL)
    return FALSE;
  ShiftdRunQuery q = list_query(f, caller->uid, (const char *const *)agents);
  q.unreadable = TRUE;
  q.limit = 1;
  g_autoptr(GPtrArray) rows = shiftd_store_list_runs(d->store, &q, NULL);
  return rows == NULL || rows->len > 0;
}

static int
method_list_runs(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  Daemon *d = userdata;
  ListCall *lc = g_new0(ListCall, 1);
  int r = read_dict(m, run_filter_key, &lc->filter, error);
  if (r < 0) {
    list_call_free(lc);
    return r;
  }
  lc->state = g_strdup(lc->filter.state);
  lc->agent = g_strdup(lc->filter.agent);
  lc->filter.state = lc->state;
  lc->filter.agent = lc->agent;
  lc->filter.daemon = d;
  uid_t uid;
  r = caller_get_uid(m, &uid);
  if (r < 0) {
    list_call_free(lc);
    return sd_bus_error_set_errnof(error, r, "cannot tell who is calling: %s", g_strerror(-r));
  }
  /* ask polkit only when there is something foreign to show */
  if (!matches_foreign(d, &lc->filter, caller_get(m))) {
    r = reply_runs(d, m, lc, TRUE);
    list_call_free(lc);
    return r < 0 ? r : 1;
  }
  access_check(d, m, NULL, NULL, ACCESS_READ, list_allowed, lc);
  return 1;
}

static int
method_list_agents(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  Daemon *d = userdata;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r < 0)
    return r;
  r = sd_bus_message_open_container(reply, 'a', "(sssto)");
  if (r < 0)
    return r;
  g_autoptr(GPtrArray) agents = agent_registry_sorted(d);
  for (guint i = 0; i < agents->len; i++) {
    Agent *a = g_ptr_array_index(agents, i);
    r = sd_bus_message_append(reply, "(sssto)", a->name, a->config->description, a->schedule, agent_next_wake(a),
                              a->path);
    if (r < 0)
      return r;
  }
  r = sd_bus_message_close_container(reply);
  if (r < 0)
    return r;
  return sd_bus_send(NULL, reply, NULL);
}

static int
method_trigger_agent(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  Daemon *d = userdata;
  const char *name = NULL;
  int r = sd_bus_message_read(m, "s", &name);
  if (r < 0)
    return r;
  Agent *agent = daemon_find_agent(d, name);
  if (agent == NULL)
    return sd_bus_error_setf(error, SHIFTD_ERROR_NO_SUCH_AGENT, "no agent named \"%s\"", name);
  return agent_bus_trigger(agent, m, error);
}

static void
reload_allowed(sd_bus_message *m, gboolean allowed, const sd_bus_error *error, gpointer user_data)
{
  Daemon *d = user_data;
  if (!allowed) {
    sd_bus_reply_method_error(m, error);
    return;
  }
  g_autoptr(GPtrArray) problems = agent_registry_reload(d);
  if (problems->len == 0) {
    sd_bus_reply_method_return(m, NULL);
    return;
  }
  g_ptr_array_add(problems, NULL);
  g_autofree char *text = g_strjoinv("; ", (char **)problems->pdata);
  sd_bus_reply_method_errorf(m, SHIFTD_ERROR_INVALID_ARGUMENT, "some agent files were refused: %s", text);
}

static int
method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  access_check(userdata, m, NULL, NULL, ACCESS_MANAGE, reload_allowed, userdata);
  return 1;
}

static int
prop_version(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
             void *userdata, sd_bus_error *error)
{
  return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int
prop_mode(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply, void *userdata,
          sd_bus_error *error)
{
  Daemon *d = userdata;
  return sd_bus_message_append(reply, "s", d->mode == DAEMON_MODE_SYSTEM ? "system" : "user");
}

static int
prop_backend(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
             void *userdata, sd_bus_error *error)
{
  Daemon *d = userdata;
  return sd_bus_message_append(reply, "s", d->backend->name);
}

static int
prop_slots(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
           void *userdata, sd_bus_error *error)
{
  Daemon *d = userdata;
  uint32_t v = 0;
  if (g_str_equal(prop, "ModelSlots"))
    v = slot_limiter_get_slots(d->slots);
  else if (g_str_equal(prop, "ModelSlotsInUse"))
    v = slot_limiter_get_in_use(d->slots);
  else if (g_str_equal(prop, "ModelQueueLength"))
    v = slot_limiter_get_queue_length(d->slots);
  return sd_bus_message_append(reply, "u", v);
}

static int
prop_active_runs(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                 void *userdata, sd_bus_error *error)
{
  Daemon *d = userdata;
  return sd_bus_message_append(reply, "u", (uint32_t)d->active_runs);
}

static const sd_bus_vtable manager_vtable[] = {
  SD_BUS_VTABLE_START(0),
  SD_BUS_PROPERTY("Version", "s", prop_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
  SD_BUS_PROPERTY("Mode", "s", prop_mode, 0, SD_BUS_VTABLE_PROPERTY_CONST),
  SD_BUS_PROPERTY("Backend", "s", prop_backend, 0, SD_BUS_VTABLE_PROPERTY_CONST),
  SD_BUS_PROPERTY("ModelSlots", "u", prop_slots, 0, SD_BUS_VTABLE_PROPERTY_CONST),
  SD_BUS_PROPERTY("ModelSlotsInUse", "u", prop_slots, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("ModelQueueLength", "u", prop_slots, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("ActiveRuns", "u", prop_active_runs, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_METHOD_WITH_ARGS("StartRun", SD_BUS_ARGS("s", agent, "s", task, "a{sv}", options),
                          SD_BUS_RESULT("s", name, "o", path), method_start_run, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS("GetRun", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", path), method_get_run,
                          SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS("ListRuns", SD_BUS_ARGS("a{sv}", filter), SD_BUS_RESULT("a(ssssto)", runs),
                          method_list_runs, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS("ListAgents", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssto)", agents), method_list_agents,
                          SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS("TriggerAgent", SD_BUS_ARGS("s", agent), SD_BUS_RESULT("s", name, "o", path),
                          method_trigger_agent, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_SIGNAL_WITH_ARGS("RunStarted", SD_BUS_ARGS("s", name, "o", path), 0),
  SD_BUS_SIGNAL_WITH_ARGS("RunFinished", SD_BUS_ARGS("s", name, "o", path, "s", state), 0),
  SD_BUS_SIGNAL_WITH_ARGS("DecisionRequested", SD_BUS_ARGS("s", name, "o", path, "s", question, "as", choices), 0),
  SD_BUS_VTABLE_END
};

/* org.shiftd.Shift1.Scheduler: internal. The transient timers of the systemd
 * backend call Wake when an agent's time has come, its path units call
 * PathChanged when a path changed; each takes the same path as the embedded
 * backend's own timers and inotify watches. */
static void
wake_allowed(sd_bus_message *m, gboolean allowed, const sd_bus_error *error, gpointer user_data)
{
  Daemon *d = user_data;
  const char *name = NULL;
  if (!allowed) {
    sd_bus_reply_method_error(m, error);
    return;
  }
  sd_bus_message_rewind(m, 1);
  if (sd_bus_message_read(m, "s", &name) < 0) {
    sd_bus_reply_method_errorf(m, SD_BUS_ERROR_INVALID_ARGS, "expected an agent name");
    return;
  }
  if (daemon_find_agent(d, name) == NULL) {
    sd_bus_reply_method_errorf(m, SHIFTD_ERROR_NO_SUCH_AGENT, "no agent named \"%s\"", name);
    return;
  }
  if (g_str_equal(sd_bus_message_get_member(m), "PathChanged"))
    agent_watch_changed_named(d, name, "path unit");
  else
    agent_schedule_wake_named(d, name, "timer");
  sd_bus_reply_method_return(m, NULL);
}

static int
method_wake(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  const char *name = NULL;
  int r = sd_bus_message_read(m, "s", &name);
  if (r < 0)
    return r;
  access_check(userdata, m, NULL, NULL, ACCESS_MANAGE, wake_allowed, userdata);
  return 1;
}

static const sd_bus_vtable scheduler_vtable[] = {
  SD_BUS_VTABLE_START(0),
  SD_BUS_METHOD_WITH_ARGS("Wake", SD_BUS_ARGS("s", agent), SD_BUS_NO_RESULT, method_wake, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS("PathChanged", SD_BUS_ARGS("s", agent), SD_BUS_NO_RESULT, method_wake,
                          SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_VTABLE_END
};

int
manager_bus_register(Daemon *d)
{
  int r = sd_bus_add_object_vtable(d->bus, NULL, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, manager_vtable, d);
  if (r < 0)
    return r;
  r = sd_bus_add_object_vtable(d->bus, NULL, SHIFTD_MANAGER_PATH, SHIFTD_SCHEDULER_IFACE, scheduler_vtable, d);
  if (r < 0)
    return r;
  return sd_bus_add_object_manager(d->bus, NULL, SHIFTD_MANAGER_PATH);
}
