#include "run.h"

#include "sd-glue.h"

#include "agent-schedule.h"
#include "agent.h"
#include "json-util.h"
#include "log.h"
#include "object-path.h"
#include "shiftd-names.h"
#include "slot-limiter.h"
#include "worker.h"

typedef struct {
  guint32 seq;
  guint64 time;
  char *kind;
  char *json;
} StagedEvent;

struct RunTxn {
  Run *run;
  ShiftdStoreTxn *store_txn;
  GArray *events; /* StagedEvent */
  RunCommitted cb;
  gpointer user_data;
  ShiftdRunRow *snapshot;
};

static void
staged_event_clear(gpointer p)
{
  StagedEvent *e = p;
  g_free(e->kind);
  g_free(e->json);
}

Run *
run_new(Daemon *d, ShiftdRunRow *row, gboolean published)
{
  Run *run = g_new0(Run, 1);
  run->daemon = d;
  run->pending = row;
  run->published = published ? shiftd_run_row_copy(row) : NULL;
  run->task_stored = published;
  run->path = shiftd_object_path(SHIFTD_RUN_PATH_PREFIX, row->name);
  return run;
}

void
run_free(Run *run)
{
  if (run == NULL)
    return;
  sd_event_source_disable_unref(run->timeout_source);
  sd_event_source_disable_unref(run->deadline_source);
  shiftd_run_row_free(run->pending);
  shiftd_run_row_free(run->published);
  g_free(run->checkpoint);
  g_free(run->path);
  g_free(run);
}

RunTxn *
run_txn_begin(Run *run)
{
  RunTxn *t = g_new0(RunTxn, 1);
  t->run = run;
  t->store_txn = shiftd_store_txn_new();
  t->events = g_array_new(FALSE, TRUE, sizeof(StagedEvent));
  g_array_set_clear_func(t->events, staged_event_clear);
  return t;
}

void
run_txn_event(RunTxn *t, const char *kind, JsonObject *data)
{
  ShiftdRunRow *row = t->run->pending;
  StagedEvent e = { 0 };
  e.seq = ++row->event_count;
  e.time = (guint64)g_get_real_time();
  e.kind = g_strdup(kind);
  e.json = data ? shiftd_json_object_to_string(data) : g_strdup("{}");
  if (data)
    json_object_unref(data);
  row->updated_at = e.time;
  shiftd_store_txn_add_event(t->store_txn, row->name, e.seq, e.time, e.kind, e.json);
  g_array_append_val(t->events, e);
}

void
run_txn_checkpoint(RunTxn *t, guint32 step, const char *messages)
{
  shiftd_store_txn_put_checkpoint(t->store_txn, t->run->pending->name, step, messages);
  shiftd_set_string(&t->run->checkpoint, messages);
  t->run->checkpoint_step = step;
  t->run->checkpoint_loaded = TRUE;
}

void
run_load_checkpoint(Run *run)
{
  if (run->checkpoint_loaded)
    return;
  g_autoptr(GError) error = NULL;
  guint32 step = 0;
  run->checkpoint = shiftd_store_get_checkpoint(run->daemon->store, run->pending->name, &step, &error);
  if (error)
    log_run(LOG_WARNING, run->pending->name, run->pending->agent, "cannot read the checkpoint: %s", error->message);
  run->checkpoint_step = run->checkpoint ? step : 0;
  run->checkpoint_loaded = TRUE;
}

gboolean
run_is_live(const ShiftdRunRow *row)
{
  return g_str_equal(row->state, SHIFTD_STATE_QUEUED) || g_str_equal(row->state, SHIFTD_STATE_RUNNING) ||
         g_str_equal(row->state, SHIFTD_STATE_WAITING);
}

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
  STR(trigger, "Trigger");
  STR(state, "State");
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

static void
announce(Run *run, ShiftdRunRow *old, GArray *events)
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
    StagedEvent *e = &g_array_index(events, StagedEvent, i);
    /* Signals reach everyone on the bus; on the system bus that includes other
     * users, so the content is left to GetEvents, which checks who asks. */
    const char *json = d->mode == DAEMON_MODE_SYSTEM ? SHIFTD_EVENT_REDACTED : e->json;
    r = sd_bus_emit_signal(d->bus, run->path, SHIFTD_RUN_IFACE, "Event", "utss", e->seq, e->time, e->kind, json);
    if (r < 0)
      log_warning("cannot emit Event for %s: %s", now->name, g_strerror(-r));
  }

  const char *old_state = old ? old->state : "";
  if (!g_str_equal(old_state, now->state)) {
    if (shiftd_run_state_is_final(now->state)) {
      agent_schedule_run_finished(run);
      r = sd_bus_emit_signal(d->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "RunFinished", "sos", now->name,
                             run->path, now->state);
      if (r < 0)
        log_warning("cannot emit RunFinished: %s", g_strerror(-r));
    } else if (g_str_equal(now->state, SHIFTD_STATE_WAITING)) {
      r = emit_decision_requested(d, run);
      if (r < 0)
        log_warning("cannot emit DecisionRequested: %s", g_strerror(-r));
    }
    int delta = (int)run_is_live(now) - (old ? (int)run_is_live(old) : 0);
    if (delta != 0)
      daemon_adjust_active_runs(d, delta);
  }
}

static void
txn_free(RunTxn *t)
{
  g_array_unref(t->events);
  shiftd_run_row_free(t->snapshot);
  g_free(t);
}

static void
txn_done(gpointer user_data, const GError *error)
{
  RunTxn *t = user_data;
  Run *run = t->run;

  if (error) {
    log_run(LOG_ERR, run->pending->name, run->pending->agent, "cannot write to the store: %s", error->message);
    if (t->cb)
      t->cb(run, error, t->user_data);
    txn_free(t);
    return;
  }

  ShiftdRunRow *old = run->published;
  run->published = g_steal_pointer(&t->snapshot);
  if (t->cb)
    t->cb(run, NULL, t->user_data);
  announce(run, old, t->events);
  shiftd_run_row_free(old);
  txn_free(t);
}

void
run_txn_commit(RunTxn *t, RunCommitted cb, gpointer user_data)
{
  t->cb = cb;
  t->user_data = user_data;
  t->snapshot = shiftd_run_row_copy(t->run->pending);
  shiftd_store_txn_put_run(t->store_txn, t->snapshot);
  if (!t->run->task_stored) {
    shiftd_store_txn_put_task(t->store_txn, t->snapshot->name, t->snapshot->task);
    t->run->task_stored = TRUE;
  }
  shiftd_store_commit(t->run->daemon->store, g_steal_pointer(&t->store_txn), txn_done, t);
}

void
run_emit_summary_changed(Run *run)
{
  if (run->published == NULL)
    return;
  int r = sd_bus_emit_properties_changed(run->daemon->bus, run->path, SHIFTD_RUN_IFACE, "Summary", NULL);
  if (r < 0)
    log_warning("cannot emit Summary change for %s: %s", run->pending->name, g_strerror(-r));
}

Run *
daemon_find_run(Daemon *d, const char *name)
{
  if (name == NULL)
    return NULL;
  Run *run = g_hash_table_lookup(d->runs, name);
  return run && run->published ? run : NULL;
}

Run *
daemon_find_run_by_path(Daemon *d, const char *path)
{
  char *name = NULL;
  if (sd_bus_path_decode(path, SHIFTD_RUN_PATH_PREFIX, &name) <= 0)
    return NULL;
  Run *run = daemon_find_run(d, name);
  free(name);
  return run;
}
