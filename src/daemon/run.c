#include "run.h"

#include <systemd/sd-event.h>

#include "agent-schedule.h"
#include "agent.h"
#include "json-util.h"
#include "log.h"
#include "object-path.h"
#include "run-delegation.h"
#include "run-table.h"
#include "shiftd-names.h"
#include "time-span.h"

struct RunTxn {
  Run *run; /* a reference */
  ShiftdStoreTxn *store_txn;
  GArray *events; /* RunEvent */
  RunCommitted cb;
  gpointer user_data;
  ShiftdRunRow *snapshot;
  char *agent;                       /* whose state the txn stores, or NULL */
  AgentTokens agent_tokens;          /* its token counts as stored */
  const char *const *agent_changed;  /* and its properties to announce */
};

static void
run_event_clear(gpointer p)
{
  RunEvent *e = p;
  g_free(e->kind);
  g_free(e->json);
}

Run *
run_new(Daemon *d, ShiftdRunRow *row, gboolean published)
{
  Run *run = g_new0(Run, 1);
  run->ref = 1;
  run->daemon = d;
  run->pending = row;
  run->published = published ? row : NULL;
  run->task_stored = published;
  run->path = shiftd_object_path(SHIFTD_RUN_PATH_PREFIX, row->name);
  run->held_link.data = run;
  return run;
}

Run *
run_ref(Run *run)
{
  g_return_val_if_fail(run->ref > 0, run);
  run->ref++;
  return run;
}

void
run_unref(Run *run)
{
  if (run == NULL)
    return;
  g_return_if_fail(run->ref > 0);
  if (--run->ref > 0)
    return;
  sd_event_source_disable_unref(run->timeout_source);
  sd_event_source_disable_unref(run->deadline_source);
  if (run->pending != run->published)
    shiftd_run_row_free(run->pending);
  shiftd_run_row_free(run->published);
  g_free(run->checkpoint);
  g_free(run->path);
  g_free(run);
}

ShiftdRunRow *
run_edit(Run *run)
{
  if (run->pending == run->published)
    run->pending = shiftd_run_row_copy(run->published);
  run->edited = TRUE;
  return run->pending;
}

RunTxn *
run_txn_begin(Run *run)
{
  RunTxn *t = g_new0(RunTxn, 1);
  t->run = run_ref(run);
  t->store_txn = shiftd_store_txn_new();
  t->events = g_array_new(FALSE, TRUE, sizeof(RunEvent));
  g_array_set_clear_func(t->events, run_event_clear);
  return t;
}

void
run_txn_event(RunTxn *t, const char *kind, JsonObject *data)
{
  ShiftdRunRow *row = run_edit(t->run);
  RunEvent e = { 0 };
  e.seq = ++row->event_count;
  e.time = shiftd_now_realtime_usec();
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
run_txn_agent(RunTxn *t, Agent *agent, const char *const *properties)
{
  shiftd_store_txn_put_agent(t->store_txn, agent->state);
  shiftd_set_string(&t->agent, agent->name);
  t->agent_tokens = agent_tokens_of(agent->state);
  t->agent_changed = properties;
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
  return shiftd_run_state_live(row->state);
}

/* What follows from a new record on disk, besides the bus: the agent's
 * schedule, the ActiveRuns count and where the daemon keeps the run. */
static void
published(Run *run, const ShiftdRunRow *old, GArray *events)
{
  Daemon *d = run->daemon;
  const ShiftdRunRow *now = run->published;
  gboolean state_changed = old == NULL || old->state != now->state;
  gboolean finished = state_changed && shiftd_run_state_final(now->state);
  if (finished)
    agent_schedule_run_finished(run);
  d->observer->run_published(run, old, events);
  if (state_changed) {
    int delta = (int)run_is_live(now) - (old ? (int)run_is_live(old) : 0);
    if (delta != 0)
      daemon_adjust_active_runs(d, delta);
  }
  if (finished) {
    run_table_finished(d, run);
    delegation_run_finished(run);
  }
}

static void
txn_free(RunTxn *t)
{
  g_array_unref(t->events);
  shiftd_run_row_free(t->snapshot);
  g_free(t->agent);
  run_unref(t->run);
  g_free(t);
}

static void
txn_done(gpointer user_data, const GError *error)
{
  RunTxn *t = user_data;
  Run *run = t->run;

  run->txns_in_flight--;
  if (error) {
    log_run(LOG_ERR, run->pending->name, run->pending->agent, "cannot write to the store: %s", error->message);
    if (t->cb)
      t->cb(run, error, t->user_data);
    txn_free(t);
    return;
  }

  ShiftdRunRow *old = run->published;
  run->published = g_steal_pointer(&t->snapshot);
  /* At rest, one record: pending is published again once nothing more is
   * staged or on its way. */
  if (run->pending == old || (run->txns_in_flight == 0 && !run->edited)) {
    if (run->pending != old)
      shiftd_run_row_free(run->pending);
    run->pending = run->published;
  }
  if (t->cb)
    t->cb(run, NULL, t->user_data);
  published(run, old, t->events);
  /* found by name: a reload may have replaced or removed it meanwhile */
  Agent *agent = t->agent ? daemon_find_agent(run->daemon, t->agent) : NULL;
  if (agent)
    agent->tokens_stored = t->agent_tokens;
  if (agent && agent->published)
    run->daemon->observer->agent_changed(agent, t->agent_changed);
  shiftd_run_row_free(old);
  txn_free(t);
}

void
run_txn_commit(RunTxn *t, RunCommitted cb, gpointer user_data)
{
  t->cb = cb;
  t->user_data = user_data;
  t->snapshot = shiftd_run_row_copy(t->run->pending);
  t->run->edited = FALSE;
  t->run->txns_in_flight++;
  shiftd_store_txn_put_run(t->store_txn, t->snapshot, !t->run->task_stored);
  if (!t->run->task_stored) {
    shiftd_store_txn_put_task(t->store_txn, t->snapshot->name, t->snapshot->task);
    t->run->task_stored = TRUE;
  }
  shiftd_store_commit(t->run->daemon->store, g_steal_pointer(&t->store_txn), txn_done, t);
}

void
run_note(Run *run, const char *text)
{
  JsonObject *data = json_object_new();
  json_object_set_string_member(data, "text", text);
  RunTxn *t = run_txn_begin(run);
  run_txn_event(t, "note", data);
  run_txn_commit(t, NULL, NULL);
}
