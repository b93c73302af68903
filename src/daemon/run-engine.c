#include "run-engine.h"

#include <string.h>

#include "agent-tokens.h"
#include "agent.h"
#include "backend.h"
#include "core-error.h"
#include "json-util.h"
#include "launch-spec.h"
#include "log.h"
#include "mcp-config.h"
#include "protocol.h"
#include "run-delegation.h"
#include "run-name.h"
#include "run-table.h"
#include "schedule-rules.h"
#include "shiftd-names.h"
#include "slot-limiter.h"
#include "time-span.h"
#include "worker.h"

#define SUMMARY_MAX 200
#define EVENT_TEXT_MAX 4000
/* A worker's events are short (it cuts long text); one this big is not. */
#define EVENT_JSON_MAX (64 * 1024)
/* A run that has logged this much is doing something else than working. */
#define EVENTS_PER_RUN_MAX 100000

static const char *const worker_event_kinds[] = {
  "model_call", "model_reply", "tool_call", "tool_result", "note", "compacted", NULL,
};

static void schedule_launch(Daemon *d);
static int arm_timeout(Run *run);
static int arm_decision_deadline(Run *run);
static void fail_unarmed(Run *run, const char *what, int r);

static void
set_summary(Run *run, const char *text)
{
  g_autofree char *line = shiftd_one_line(text, SUMMARY_MAX);
  shiftd_set_string(&run_edit(run)->summary, line);
}

static void
set_summaryf(Run *run, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void
set_summaryf(Run *run, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  set_summary(run, text);
}

/* --- receipts --- */

static char *
unique_run_name(Daemon *d, const char *agent)
{
  for (guint len = 4;; len++) {
    for (guint tries = 0; tries < 32; tries++) {
      char *name = shiftd_run_name_generate(agent, len, d->rand);
      if (!run_table_name_taken(d, name))
        return name;
      g_free(name);
    }
  }
}

static gboolean
check_task(const char *task, GError **error)
{
  if (!g_utf8_validate(task, -1, NULL)) {
    g_set_error(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_INVALID_ARGUMENT, "the task is not valid UTF-8");
    return FALSE;
  }
  gsize len = strlen(task);
  if (len > SHIFTD_MAX_TASK_BYTES) {
    g_set_error(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_INVALID_ARGUMENT,
                "the task is %" G_GSIZE_FORMAT " bytes; the limit is %d", len, SHIFTD_MAX_TASK_BYTES);
    return FALSE;
  }
  for (const char *p = task; *p; p++)
    if (!g_ascii_isspace(*p))
      return TRUE;
  g_set_error(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_INVALID_ARGUMENT, "the task is empty");
  return FALSE;
}

/* Options may lower a run's limits, never raise them past the daemon's. */
static gboolean
check_options(Daemon *d, const RunOptions *options, GError **error)
{
  if (options == NULL)
    return TRUE;
  if (options->max_steps > d->config->max_steps) {
    g_set_error(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_INVALID_ARGUMENT,
                "option \"max_steps\" (%u) is above the limit of %u model calls a run (MaxSteps=)",
                options->max_steps, d->config->max_steps);
    return FALSE;
  }
  if (options->timeout_usec > d->config->run_timeout_usec) {
    g_autofree char *want = shiftd_time_span_format(options->timeout_usec);
    g_autofree char *max = shiftd_time_span_format(d->config->run_timeout_usec);
    g_set_error(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_INVALID_ARGUMENT,
                "option \"timeout\" (%s) is above the limit of %s working time a run (RunTimeout=)", want, max);
    return FALSE;
  }
  return TRUE;
}

typedef struct {
  RunCommitted cb;
  gpointer user_data;
  Agent *agent; /* whose LastRun the commit changed */
} Continuation;

static Continuation *
continuation_new(RunCommitted cb, gpointer user_data)
{
  Continuation *c = g_new0(Continuation, 1);
  c->cb = cb;
  c->user_data = user_data;
  return c;
}

static void
enqueue_launch(Run *run)
{
  if (run->in_launch_queue)
    return;
  run->in_launch_queue = TRUE;
  g_queue_push_tail(&run->daemon->launch_queue, run);
  schedule_launch(run->daemon);
}

static void
receipt_committed(Run *run, const GError *error, gpointer user_data)
{
  g_autofree Continuation *c = user_data;
  if (c->cb)
    c->cb(run, error, c->user_data);
  static const char *const last_run[] = { "LastRun", "LastRunAt", NULL };
  if (error == NULL && c->agent && c->agent->published)
    run->daemon->observer->agent_changed(c->agent, last_run);
  if (error == NULL && run->pending->state == SHIFTD_RUN_QUEUED)
    enqueue_launch(run);
}

Run *
engine_start_run(Daemon *d, Agent *agent, const char *task, ShiftdRunTrigger trigger, guint32 owner,
                 const RunOptions *options, RunCommitted cb, gpointer user_data, GError **error)
{
  if (d->stopping) {
    g_set_error(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_BUSY, "shiftd is stopping");
    return NULL;
  }
  if (!check_task(task, error) || !check_options(d, options, error))
    return NULL;
  Run *live = agent_has_schedule(agent) ? agent_live_run(agent) : NULL;
  if (live) {
    g_set_error(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_BUSY, "agent %s already has a live run, %s (%s)",
                agent->name, live->pending->name, shiftd_run_state_to_string(live->pending->state));
    return NULL;
  }
  g_autofree char *spent = agent_tokens_refusal(agent, shiftd_now_realtime_usec());
  if (spent) {
    g_set_error_literal(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_BUSY, spent);
    return NULL;
  }

  ShiftdRunRow *row = shiftd_run_row_new();
  g_free(row->name);
  row->name = unique_run_name(d, agent->name);
  shiftd_set_string(&row->agent, agent->name);
  shiftd_set_string(&row->task, task);
  row->trigger = trigger;
  row->owner = owner;
  row->created_at = row->updated_at = shiftd_now_realtime_usec();
  shiftd_set_string(&row->model, options && options->model ? options->model : "");
  shiftd_set_string(&row->label, options && options->label ? options->label : "");
  row->max_steps = options && options->max_steps ? options->max_steps : d->config->max_steps;
  row->timeout_usec = options && options->timeout_usec ? options->timeout_usec : d->config->run_timeout_usec;
  if (options && options->parent) {
    shiftd_set_string(&row->parent, options->parent);
    row->depth = options->parent_depth + 1;
  }

  Run *run = run_new(d, row, FALSE);
  run_table_add_live(d, run);
  set_summary(run, "queued");

  JsonObject *data = json_object_new();
  json_object_set_string_member(data, "agent", agent->name);
  json_object_set_string_member(data, "trigger", shiftd_run_trigger_to_string(trigger));
  json_object_set_int_member(data, "owner", owner);
  g_autofree char *task_head = shiftd_utf8_truncate(task, EVENT_TEXT_MAX);
  json_object_set_string_member(data, "task", task_head);
  json_object_set_int_member(data, "max_steps", row->max_steps);
  json_object_set_int_member(data, "timeout_usec", (gint64)row->timeout_usec);
  if (row->model[0])
    json_object_set_string_member(data, "model", row->model);
  if (row->label[0])
    json_object_set_string_member(data, "label", row->label);
  if (row->parent[0])
    json_object_set_string_member(data, "parent", row->parent);

  RunTxn *t = run_txn_begin(run);
  run_txn_event(t, "created", data);
  /* Every front door counts as the agent's last run. The run's own record is
   * what makes that durable (agent_registry_init() reads it back). */
  agent->state->last_run_at = row->created_at;
  shiftd_set_string(&agent->state->last_run, row->name);
  Continuation *c = continuation_new(cb, user_data);
  c->agent = agent;
  run_txn_commit(t, receipt_committed, c);
  log_run(LOG_INFO, row->name, agent->name, "run created (%s, uid %u)", shiftd_run_trigger_to_string(trigger),
          owner);
  return run;
}

/* --- endings --- */

static void
account_attempt_time(Run *run)
{
  if (run->attempt_started_mono == 0)
    return;
  guint64 now = shiftd_now_monotonic_usec();
  run_edit(run)->active_usec += now - run->attempt_started_mono;
  run->attempt_started_mono = 0;
  run->timeout_source = sd_event_source_disable_unref(run->timeout_source);
}

static void
clear_question(ShiftdRunRow *row)
{
  shiftd_set_string(&row->question, "");
  g_strfreev(row->choices);
  row->choices = g_new0(char *, 1);
  g_clear_pointer(&row->decision_default, g_free);
  row->decision_deadline = 0;
}

/* Stages the final state and the final event. */
static void
stage_final(RunTxn *t, Run *run, ShiftdRunState state, const char *kind, JsonObject *data)
{
  ShiftdRunRow *row = run_edit(run);
  account_attempt_time(run);
  run->deadline_source = sd_event_source_disable_unref(run->deadline_source);
  if (run->in_launch_queue) {
    g_queue_remove(&run->daemon->launch_queue, run);
    run->in_launch_queue = FALSE;
  }
  row->state = state;
  shiftd_set_string(&row->unit, "");
  clear_question(row);
  shiftd_set_string(&row->wait_child, "");
  g_clear_pointer(&row->answer, g_free);
  row->finished_at = shiftd_now_realtime_usec();
  /* a finished run never resumes: its conversation stays in the store only */
  g_clear_pointer(&run->checkpoint, g_free);
  run->checkpoint_loaded = FALSE;
  run_txn_event(t, kind, data);
}

static void
fail_run(Run *run, const char *reason, RunCommitted cb, gpointer user_data)
{
  if (shiftd_run_state_final(run->pending->state))
    return;
  log_run(LOG_WARNING, run->pending->name, run->pending->agent, "failed: %s", reason);
  RunTxn *t = run_txn_begin(run);
  shiftd_set_string(&run_edit(run)->error, reason);
  set_summaryf(run, "failed: %s", reason);
  JsonObject *data = json_object_new();
  json_object_set_string_member(data, "error", reason);
  stage_final(t, run, SHIFTD_RUN_FAILED, "failed", data);
  run_txn_commit(t, cb, user_data);
  if (run->worker)
    worker_abandon(run->worker, reason);
}

/* A timeout or deadline that cannot be armed would never fire: the run
 * fails now and says why, rather than wait for ever. */
static void
fail_unarmed(Run *run, const char *what, int r)
{
  g_autofree char *why = g_strdup_printf("cannot arm the %s: %s", what, g_strerror(-r));
  fail_run(run, why, NULL, NULL);
}

/* --- launching attempts --- */

static int
on_launch(sd_event_source *s, void *userdata)
{
  engine_launch_queued(userdata);
  return 0;
}

static void
schedule_launch(Daemon *d)
{
  if (d->launch_source == NULL) {
    int r = sd_event_add_defer(d->event, &d->launch_source, on_launch, d);
    if (r < 0) {
      /* the queue stays; the next schedule_launch() (a worker gone, a new run) tries again */
      log_error("cannot schedule launching queued runs: %s", g_strerror(-r));
      return;
    }
  }
  sd_event_source_set_enabled(d->launch_source, SD_EVENT_ONESHOT);
}

static JsonObject *
build_hello(Run *run, Agent *agent, guint32 attempt, const LaunchSpec *spec)
{
  Daemon *d = run->daemon;
  ShiftdRunRow *row = run->pending;
  JsonObject *hello = shiftd_protocol_message_new("hello");
  json_object_set_int_member(hello, "version", SHIFTD_PROTOCOL_VERSION);
  json_object_set_string_member(hello, "run", row->name);
  json_object_set_string_member(hello, "agent", row->agent);
  json_object_set_int_member(hello, "attempt", attempt);
  json_object_set_string_member(hello, "trigger", shiftd_run_trigger_to_string(row->trigger));
  json_object_set_string_member(hello, "task", row->task);
  run_load_checkpoint(run);
  json_object_set_int_member(hello, "step", run->checkpoint_step);
  g_autoptr(JsonNode) messages = run->checkpoint ? shiftd_json_parse(run->checkpoint, -1, NULL) : NULL;
  if (messages && JSON_NODE_HOLDS_ARRAY(messages))
    json_object_set_member(hello, "messages", g_steal_pointer(&messages));
  else
    json_object_set_null_member(hello, "messages");
  if (row->answer)
    json_object_set_string_member(hello, "answer", row->answer);
  else
    json_object_set_null_member(hello, "answer");

  JsonObject *settings = json_object_new();
  launch_spec_fill_settings(spec, agent, run, settings);
  delegation_fill_settings(agent, settings);
  json_object_set_object_member(hello, "settings", settings);
  /* with their EnvironmentFile= secrets: over the socket only, never in a unit's environment */
  JsonArray *mcp = json_array_new();
  for (char **m = agent->config->mcp; m && *m; m++) {
    const ShiftdMcpServer *server = shiftd_mcp_config_find(d->config->mcp_servers, *m);
    if (server)
      json_array_add_object_element(mcp, shiftd_mcp_server_to_json(server));
  }
  json_object_set_array_member(hello, "mcp", mcp);

  JsonObject *model = json_object_new();
  json_object_set_string_member(model, "base_url", d->config->model_base_url);
  const char *name = row->model[0] ? row->model : (agent->config->model[0] ? agent->config->model : d->config->model_name);
  json_object_set_string_member(model, "name", name);
  ShiftdProvider provider = agent->config->provider != SHIFTD_PROVIDER_UNSET ? agent->config->provider
                                                                           : d->config->model_provider;
  json_object_set_string_member(model, "provider", shiftd_provider_to_string(provider));
  json_object_set_string_member(model, "api_key", d->api_key ? d->api_key : "");
  json_object_set_int_member(model, "timeout_usec", (gint64)d->config->model_timeout_usec);
  json_object_set_int_member(model, "retries", d->config->model_retries);
  json_object_set_int_member(model, "retry_delay_usec", (gint64)d->config->model_retry_delay_usec);
  json_object_set_object_member(hello, "model", model);
  json_object_set_object_member(hello, "budget", agent_tokens_budget(agent, row, shiftd_now_realtime_usec()));
  return hello;
}

/* What the launch of a run wanted from the user database is in: back into
 * the queue (the run is found by name: it may have ended meanwhile). */
static void
launch_prepared(Daemon *d, const char *name, const GError *error)
{
  Run *run = g_hash_table_lookup(d->runs, name);
  if (run == NULL || run->pending->state != SHIFTD_RUN_QUEUED)
    return;
  if (error) {
    g_autofree char *why = g_strdup_printf("cannot start a worker: %s", error->message);
    fail_run(run, why, NULL, NULL);
    return;
  }
  enqueue_launch(run);
}

static void
launch_attempt(Run *run)
{
  Daemon *d = run->daemon;
  ShiftdRunRow *row = run->pending;
  run->in_launch_queue = FALSE;
  if (row->state != SHIFTD_RUN_QUEUED)
    return;

  Agent *agent = daemon_find_agent(d, row->agent);
  if (agent == NULL) {
    g_autofree char *why = g_strdup_printf("the agent \"%s\" no longer exists", row->agent);
    fail_run(run, why, NULL, NULL);
    return;
  }
  if (row->timeout_usec && row->active_usec >= row->timeout_usec) {
    g_autofree char *span = shiftd_time_span_format(row->timeout_usec);
    g_autofree char *why = g_strdup_printf("timed out after %s", span);
    fail_run(run, why, NULL, NULL);
    return;
  }

  if (!g_file_test(d->worker_path, G_FILE_TEST_IS_EXECUTABLE)) {
    g_autofree char *why = g_strdup_printf("cannot start a worker: %s is not an executable file", d->worker_path);
    fail_run(run, why, NULL, NULL);
    return;
  }

  /* the user database is read on a thread: launch_prepared() brings it back */
  if (!launch_spec_prepare(d, agent, run, launch_prepared))
    return;

  guint32 attempt = row->attempt + 1;
  g_autoptr(GError) error = NULL;
  int child_fd = -1;
  g_autoptr(LaunchSpec) spec = launch_spec_new(d, agent, run, &error);
  if (spec == NULL) {
    g_autofree char *why = g_strdup_printf("cannot start a worker: %s", error->message);
    fail_run(run, why, NULL, NULL);
    return;
  }
  Worker *w = worker_new(d, run, attempt, &child_fd, &error);
  if (w == NULL || !d->backend->launch(d->backend, w, child_fd, spec, &error)) {
    g_autofree char *why = g_strdup_printf("cannot start a worker: %s", error->message);
    if (w)
      worker_unref(w);
    fail_run(run, why, NULL, NULL);
    return;
  }
  attempt = w->attempt; /* the backend may skip a number an earlier shiftd used */
  JsonObject *hello = build_hello(run, agent, attempt, spec);
  run->worker = w;
  d->live_workers++;
  run->attempt_started_mono = shiftd_now_monotonic_usec();

  gboolean resumed = run->resume_next;
  run->resume_next = FALSE;
  row = run_edit(run);
  row->attempt = attempt;
  if (row->started_at == 0)
    row->started_at = shiftd_now_realtime_usec();
  row->state = SHIFTD_RUN_RUNNING;
  shiftd_set_string(&row->unit, w->unit);

  JsonObject *data = json_object_new();
  json_object_set_int_member(data, "attempt", attempt);
  json_object_set_string_member(data, "backend", d->backend->name);
  if (w->pid > 0)
    json_object_set_int_member(data, "pid", w->pid);
  if (w->unit[0])
    json_object_set_string_member(data, "unit", w->unit);
  if (resumed) {
    json_object_set_string_member(data, "reason", "the previous worker was lost");
    json_object_set_int_member(data, "from_step", run->checkpoint_step);
    set_summaryf(run, "resumed from step %u (attempt %u)", run->checkpoint_step, attempt);
  } else {
    set_summaryf(run, "started (attempt %u)", attempt);
  }
  RunTxn *t = run_txn_begin(run);
  run_txn_event(t, resumed ? "resumed" : "started", data);
  run_txn_commit(t, NULL, NULL);
  log_run(LOG_INFO, row->name, row->agent, "attempt %u %s (%s%s%s)", attempt, resumed ? "resumed" : "started",
          d->backend->name, w->unit[0] ? " " : "", w->unit);

  worker_send(w, hello);
  int r = arm_timeout(run);
  if (r < 0)
    fail_unarmed(run, "run's timeout", r);
}

void
engine_launch_queued(Daemon *d)
{
  GList *l = d->launch_queue.head;
  while (l && !d->stopping && d->live_workers < d->config->max_active_runs) {
    GList *next = l->next;
    Run *run = l->data;
    /* A run answered while its last worker is still on its way out waits for
     * that worker to be gone (engine_worker_gone() comes back here). */
    if (run->worker == NULL) {
      g_queue_delete_link(&d->launch_queue, l);
      launch_attempt(run);
    }
    l = next;
  }
}

/* --- timeouts and deadlines --- */

static int
on_run_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
  Run *run = userdata;
  run->timeout_source = sd_event_source_disable_unref(run->timeout_source);
  g_autofree char *span = shiftd_time_span_format(run->pending->timeout_usec);
  g_autofree char *why = g_strdup_printf("timed out after %s", span);
  fail_run(run, why, NULL, NULL);
  return 0;
}

static int
arm_timeout(Run *run)
{
  ShiftdRunRow *row = run->pending;
  run->timeout_source = sd_event_source_disable_unref(run->timeout_source);
  if (row->timeout_usec == 0 || row->timeout_usec == SHIFTD_USEC_INFINITY)
    return 0;
  guint64 left = row->timeout_usec > row->active_usec ? row->timeout_usec - row->active_usec : 0;
  return sd_event_add_time_relative(run->daemon->event, &run->timeout_source, CLOCK_MONOTONIC, left, 0,
                                    on_run_timeout, run);
}

static void stage_answer(RunTxn *t, Run *run, const char *answer, const char *by, const char *via);

static int
on_decision_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
  Run *run = userdata;
  ShiftdRunRow *row = run->pending;
  run->deadline_source = sd_event_source_disable_unref(run->deadline_source);
  if (row->state != SHIFTD_RUN_WAITING)
    return 0;
  if (row->decision_default == NULL) {
    fail_run(run, "no answer before the deadline", NULL, NULL);
    return 0;
  }
  g_autofree char *answer = g_strdup(row->decision_default);
  log_run(LOG_INFO, row->name, row->agent, "deadline passed; answering with the default \"%s\"", answer);
  RunTxn *t = run_txn_begin(run);
  stage_answer(t, run, answer, "deadline", "deadline");
  run_txn_commit(t, receipt_committed, continuation_new(NULL, NULL));
  return 0;
}

static int
arm_decision_deadline(Run *run)
{
  run->deadline_source = sd_event_source_disable_unref(run->deadline_source);
  if (run->pending->decision_deadline == 0)
    return 0;
  return sd_event_add_time(run->daemon->event, &run->deadline_source, CLOCK_REALTIME,
                           run->pending->decision_deadline, 0, on_decision_deadline, run);
}

/* --- worker messages --- */

typedef struct {
  Worker *worker;
  gint64 id; /* 0: the message asked for no ack */
} Ack;

static void
ack_committed(Run *run, const GError *error, gpointer user_data)
{
  g_autofree Ack *ack = user_data;
  if (error == NULL && ack->id != 0 && !ack->worker->exited) {
    JsonObject *msg = shiftd_protocol_message_new("ack");
    json_object_set_int_member(msg, "id", ack->id);
    worker_send(ack->worker, msg);
  }
  worker_commit_done(ack->worker);
  worker_unref(ack->worker);
}

/* Every change a worker makes is counted until durable: the daemon holds
 * only so many for one worker before it stops reading from it. */
static void
commit_and_ack(RunTxn *t, Worker *w, JsonObject *msg)
{
  Ack *ack = g_new0(Ack, 1);
  ack->worker = worker_ref(w);
  JsonNode *id = json_object_get_member(msg, "id");
  if (id && JSON_NODE_HOLDS_VALUE(id) && json_node_get_value_type(id) == G_TYPE_INT64)
    ack->id = json_node_get_int(id);
  worker_commit_started(w);
  run_txn_commit(t, ack_committed, ack);
}

static void
summarize_event(Run *run, const char *kind, JsonObject *data)
{
  gint64 step = shiftd_json_get_int(data, "step", 0);
  const char *tool = shiftd_json_get_string(data, "tool", "?");
  if (g_str_equal(kind, "model_call")) {
    set_summaryf(run, "asking the model (step %" G_GINT64_FORMAT ")", step);
  } else if (g_str_equal(kind, "model_reply")) {
    /* Step counts model calls answered. */
    if (step > 0 && (guint64)step > run->pending->step)
      run_edit(run)->step = (guint32)MIN(step, G_MAXUINT32);
    JsonArray *calls = shiftd_json_get_array(data, "tool_calls");
    if (calls && json_array_get_length(calls) > 0) {
      g_autoptr(GString) names = g_string_new(NULL);
      for (guint i = 0; i < json_array_get_length(calls); i++) {
        const char *n = json_array_get_string_element(calls, i);
        g_string_append_printf(names, "%s%s", i ? ", " : "", n ? n : "?");
      }
      set_summaryf(run, "the model chose %s (step %" G_GINT64_FORMAT ")", names->str, step);
    } else {
      set_summaryf(run, "the model replied (step %" G_GINT64_FORMAT ")", step);
    }
  } else if (g_str_equal(kind, "tool_call")) {
    set_summaryf(run, "running %s (step %" G_GINT64_FORMAT ")", tool, step);
  } else if (g_str_equal(kind, "note")) {
    set_summary(run, shiftd_json_get_string(data, "text", ""));
  } else if (g_str_equal(kind, "compacted")) {
    set_summaryf(run, "compacted the conversation to fit the context (step %" G_GINT64_FORMAT ")", step);
  }
}

static void
on_event_message(Worker *w, Run *run, JsonObject *msg)
{
  const char *kind = shiftd_json_get_string(msg, "kind", NULL);
  if (kind == NULL || !g_strv_contains(worker_event_kinds, kind)) {
    g_autofree char *why = g_strdup_printf("worker protocol error: unknown event kind \"%s\"", kind ? kind : "");
    engine_worker_protocol_error(w, why);
    return;
  }
  if (run->pending->event_count >= EVENTS_PER_RUN_MAX) {
    g_autofree char *why = g_strdup_printf("the run logged %u events, the most a run may", EVENTS_PER_RUN_MAX);
    engine_worker_protocol_error(w, why);
    return;
  }
  JsonObject *data = shiftd_json_get_object(msg, "data");
  data = data ? json_object_ref(data) : json_object_new();
  g_autofree char *text = shiftd_json_object_to_string(data);
  if (strlen(text) > EVENT_JSON_MAX) {
    json_object_unref(data);
    g_autofree char *why = g_strdup_printf("worker protocol error: a \"%s\" event of %zu bytes (at most %u)", kind,
                                           strlen(text), EVENT_JSON_MAX);
    engine_worker_protocol_error(w, why);
    return;
  }
  summarize_event(run, kind, data);
  RunTxn *t = run_txn_begin(run);
  if (g_str_equal(kind, "model_reply"))
    agent_tokens_count_reply(t, run, data);
  run_txn_event(t, kind, data);
  commit_and_ack(t, w, msg);
}

static void
on_checkpoint_message(Worker *w, Run *run, JsonObject *msg)
{
  JsonNode *messages = json_object_get_member(msg, "messages");
  if (messages == NULL || !JSON_NODE_HOLDS_ARRAY(messages)) {
    engine_worker_protocol_error(w, "worker protocol error: checkpoint without a messages array");
    return;
  }
  gint64 step = shiftd_json_get_int(msg, "step", run->pending->step);
  step = CLAMP(step, 0, G_MAXUINT32);
  g_autofree char *text = shiftd_json_to_string(messages);
  RunTxn *t = run_txn_begin(run);
  ShiftdRunRow *row = run_edit(run);
  if ((guint64)step > row->step)
    row->step = (guint32)step;
  run_txn_checkpoint(t, (guint32)step, text);
  /* The conversation now holds the answer; later attempts get it from there. */
  g_clear_pointer(&row->answer, g_free);
  commit_and_ack(t, w, msg);
}

/* A worker's text for Result or Error, cut to what the bus carries; a note
 * (staged before the final event, which is always last) says so. `full` is
 * the length the worker says it had before cutting it itself. */
static char *
bounded_text(RunTxn *t, const char *what, const char *text, gint64 full)
{
  gsize len = strlen(text);
  gsize was = full > 0 && (gsize)full > len ? (gsize)full : len;
  if (was <= SHIFTD_TEXT_MAX_BYTES)
    return g_strdup(text);
  char *cut = shiftd_utf8_truncate(text, SHIFTD_TEXT_CUT_BYTES);
  JsonObject *note = json_object_new();
  g_autofree char *line = g_strdup_printf("the %s was %zu bytes; only the first %u are kept", what, was,
                                          SHIFTD_TEXT_CUT_BYTES);
  json_object_set_string_member(note, "text", line);
  run_txn_event(t, "note", note);
  return cut;
}

/* The i-th element if it is a string, else NULL: a worker's mistakes are
 * skipped, not trusted. */
static const char *
string_element(JsonArray *a, guint i)
{
  JsonNode *node = json_array_get_element(a, i);
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(node);
}

/* NULL when the question may be put to people; else why not. */
static char *
check_question(const char *question, JsonArray *choices)
{
  if (question[0] == '\0')
    return g_strdup("worker protocol error: ask without a question");
  if (strlen(question) > SHIFTD_QUESTION_MAX_BYTES)
    return g_strdup_printf("the worker asked a question of %zu bytes (at most %u)", strlen(question),
                           SHIFTD_QUESTION_MAX_BYTES);
  guint n = choices ? json_array_get_length(choices) : 0;
  if (n > SHIFTD_CHOICES_MAX)
    return g_strdup_printf("the worker asked a question with %u choices (at most %u)", n, SHIFTD_CHOICES_MAX);
  for (guint i = 0; i < n; i++) {
    const char *c = string_element(choices, i);
    if (c && strlen(c) > SHIFTD_CHOICE_MAX_BYTES)
      return g_strdup_printf("the worker asked a question with a choice of %zu bytes (at most %u)", strlen(c),
                             SHIFTD_CHOICE_MAX_BYTES);
  }
  return NULL;
}

static void
on_ending_message(Worker *w, Run *run, const char *type, JsonObject *msg)
{
  ShiftdRunRow *row = run_edit(run);
  RunTxn *t = NULL;
  int armed = 0; /* < 0: the decision deadline could not be armed */
  JsonObject *data = json_object_new();
  gint64 full = shiftd_json_get_int(msg, "full_bytes", 0);

  if (g_str_equal(type, "done")) {
    t = run_txn_begin(run);
    g_autofree char *result = bounded_text(t, "result", shiftd_json_get_string(msg, "result", ""), full);
    shiftd_set_string(&row->result, result);
    set_summary(run, result[0] ? result : "done");
    json_object_set_string_member(data, "result", result);
    stage_final(t, run, SHIFTD_RUN_DONE, "done", data);
  } else if (g_str_equal(type, "no_work")) {
    t = run_txn_begin(run);
    g_autofree char *reason = bounded_text(t, "reason", shiftd_json_get_string(msg, "reason", ""), full);
    shiftd_set_string(&row->result, reason);
    set_summaryf(run, "no work: %s", reason[0] ? reason : "nothing to do");
    json_object_set_string_member(data, "reason", reason);
    stage_final(t, run, SHIFTD_RUN_IDLE, "no_work", data);
  } else if (g_str_equal(type, "error")) {
    t = run_txn_begin(run);
    g_autofree char *reason =
      bounded_text(t, "error", shiftd_json_get_string(msg, "reason", "the worker reported an error"), full);
    shiftd_set_string(&row->error, reason);
    set_summaryf(run, "failed: %s", reason);
    json_object_set_string_member(data, "error", reason);
    stage_final(t, run, SHIFTD_RUN_FAILED, "failed", data);
  } else if (g_str_equal(type, "wait")) {
    const char *child = shiftd_json_get_string(msg, "child", "");
    if (!g_strv_contains((const char *const *)row->children, child)) {
      json_object_unref(data);
      g_autofree char *why = g_strdup_printf("worker protocol error: wait for \"%s\", which this run did not start",
                                             child);
      engine_worker_protocol_error(w, why);
      return;
    }
    /* like a question: checkpointed, no worker, no slot; the child's end resumes it */
    account_attempt_time(run);
    row->state = SHIFTD_RUN_WAITING;
    shiftd_set_string(&row->unit, "");
    clear_question(row);
    shiftd_set_string(&row->wait_child, child);
    set_summaryf(run, "waiting for run %s", child);
    json_object_set_string_member(data, "child", child);
    t = run_txn_begin(run);
    run_txn_event(t, "waiting", data);
  } else { /* ask */
    const char *question = shiftd_json_get_string(msg, "question", "");
    JsonArray *arr = shiftd_json_get_array(msg, "choices");
    g_autofree char *refused = check_question(question, arr);
    if (refused) {
      json_object_unref(data);
      engine_worker_protocol_error(w, refused);
      return;
    }
    g_autoptr(GStrvBuilder) choices = g_strv_builder_new();
    for (guint i = 0; arr && i < json_array_get_length(arr); i++) {
      const char *c = string_element(arr, i);
      if (c && c[0])
        g_strv_builder_add(choices, c);
    }
    Agent *agent = daemon_find_agent(run->daemon, row->agent);
    const char *dflt = shiftd_json_get_string(msg, "default", NULL);
    if (dflt == NULL && agent && agent->config->decision_default)
      dflt = agent->config->decision_default;
    gint64 timeout = shiftd_json_get_int(msg, "timeout_usec", 0);

    account_attempt_time(run);
    row->state = SHIFTD_RUN_WAITING;
    shiftd_set_string(&row->unit, "");
    shiftd_set_string(&row->question, question);
    g_strfreev(row->choices);
    row->choices = g_strv_builder_end(choices);
    row->decision_default = g_strdup(dflt);
    row->decision_deadline = schedule_decision_deadline(timeout, agent ? agent->config->decision_timeout : 0,
                                                        shiftd_now_realtime_usec());
    set_summaryf(run, "waiting for an answer: %s", question);

    json_object_set_string_member(data, "question", question);
    JsonArray *ca = json_array_new();
    for (char **c = row->choices; *c; c++)
      json_array_add_string_element(ca, *c);
    json_object_set_array_member(data, "choices", ca);
    if (dflt)
      json_object_set_string_member(data, "default", dflt);
    json_object_set_int_member(data, "deadline", (gint64)row->decision_deadline);
    t = run_txn_begin(run);
    run_txn_event(t, "asked", data);
    armed = arm_decision_deadline(run);
  }
  w->ended = TRUE;
  log_run(LOG_INFO, row->name, row->agent, "%s", row->summary);
  commit_and_ack(t, w, msg);
  if (armed < 0)
    fail_unarmed(run, "decision deadline", armed);
  if (g_str_equal(type, "wait"))
    delegation_check_waiting(run); /* the child may have ended already */
}

void
engine_worker_message(Worker *w, const char *type, JsonObject *msg)
{
  Run *run = w->run;
  if (w->abandoned || run->worker != w || w->ended)
    return;

  if (g_str_equal(type, "want_slot")) {
    if (!slot_limiter_request(w->daemon->slots, w))
      engine_worker_protocol_error(w, "worker protocol error: want_slot while it holds or waits for a slot");
  } else if (g_str_equal(type, "free_slot")) {
    if (!slot_limiter_release(w->daemon->slots, w))
      engine_worker_protocol_error(w, "worker protocol error: free_slot without a slot");
  } else if (g_str_equal(type, "event")) {
    on_event_message(w, run, msg);
  } else if (g_str_equal(type, "checkpoint")) {
    on_checkpoint_message(w, run, msg);
  } else if (g_str_equal(type, "start_run")) {
    delegation_start_run(w, run, msg);
  } else if (g_str_equal(type, "done") || g_str_equal(type, "no_work") || g_str_equal(type, "error") ||
             g_str_equal(type, "ask") || g_str_equal(type, "wait")) {
    slot_limiter_release(w->daemon->slots, w);
    on_ending_message(w, run, type, msg);
  } else {
    g_autofree char *why = g_strdup_printf("worker protocol error: unknown message type \"%s\"", type);
    engine_worker_protocol_error(w, why);
  }
}

void
engine_worker_protocol_error(Worker *w, const char *reason)
{
  if (w->abandoned)
    return;
  Run *run = w->run;
  slot_limiter_release(w->daemon->slots, w);
  if (run->worker == w && !w->ended)
    fail_run(run, reason, NULL, NULL);
  worker_abandon(w, reason);
}

void
engine_worker_gone(Worker *w, const char *reason)
{
  Daemon *d = w->daemon;
  Run *run = w->run;
  slot_limiter_release(d->slots, w);
  if (run->worker != w)
    return;
  run->worker = NULL;
  d->live_workers--;

  if (!d->stopping && !w->ended && !w->abandoned && run->pending->state == SHIFTD_RUN_RUNNING) {
    g_autofree char *why = reason ? g_strdup(reason) : g_strdup("the worker exited without a result");
    fail_run(run, why, NULL, NULL);
  }
  if (!d->stopping)
    account_attempt_time(run);
  log_run(LOG_DEBUG, run->pending->name, NULL, "worker gone (%s)", reason ? reason : "exit 0");
  worker_unref(w);
  schedule_launch(d);
  daemon_check_stopped(d);
}

/* --- slots --- */

void
engine_slot_granted(gpointer waiter, gpointer user_data)
{
  Worker *w = waiter;
  worker_send(w, shiftd_protocol_message_new("slot"));
  w->daemon->observer->run_summary_changed(w->run);
}

void
engine_slots_changed(gpointer user_data)
{
  Daemon *d = user_data;
  static const char *const slots[] = { "ModelSlotsInUse", "ModelQueueLength", NULL };
  d->observer->manager_changed(d, slots);
  for (GList *l = slot_limiter_get_queue(d->slots); l; l = l->next) {
    Worker *w = l->data;
    w->daemon->observer->run_summary_changed(w->run);
  }
}

/* --- cancel and answer --- */

gboolean
engine_cancel(Run *run, guint32 uid, RunCommitted cb, gpointer user_data, GError **error)
{
  ShiftdRunRow *row = run->pending;
  if (shiftd_run_state_final(row->state)) {
    g_set_error(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_ALREADY_FINISHED, "run %s has already finished (%s)",
                row->name, shiftd_run_state_to_string(row->state));
    return FALSE;
  }
  row = run_edit(run);
  g_autofree char *who = g_strdup_printf("uid %u", uid);
  set_summaryf(run, "cancelled by %s", who);
  JsonObject *data = json_object_new();
  json_object_set_int_member(data, "uid", uid);
  json_object_set_string_member(data, "previous_state", shiftd_run_state_to_string(row->state));
  RunTxn *t = run_txn_begin(run);
  stage_final(t, run, SHIFTD_RUN_CANCELLED, "cancelled", data);
  run_txn_commit(t, cb, user_data);
  log_run(LOG_NOTICE, row->name, row->agent, "cancelled by %s", who);
  if (run->worker) {
    g_autofree char *why = g_strdup_printf("cancelled by %s", who);
    worker_abandon(run->worker, why);
  }
  delegation_cancel_children(run, uid);
  return TRUE;
}

void
engine_child_ended(Run *run, const char *child, const char *state, const char *outcome)
{
  ShiftdRunRow *row = run_edit(run);
  JsonObject *data = json_object_new();
  json_object_set_string_member(data, "child", child);
  json_object_set_string_member(data, "state", state);
  g_autofree char *head = shiftd_utf8_truncate(outcome, EVENT_TEXT_MAX);
  json_object_set_string_member(data, "outcome", head);
  shiftd_set_string(&row->wait_child, "");
  /* the next attempt hands it to the model as the start_run call's result */
  shiftd_set_string(&row->answer, outcome);
  row->state = SHIFTD_RUN_QUEUED;
  set_summaryf(run, "run %s ended (%s); continuing", child, state);
  log_run(LOG_INFO, row->name, row->agent, "child run %s ended (%s); continuing", child, state);
  RunTxn *t = run_txn_begin(run);
  run_txn_event(t, "child_ended", data);
  run_txn_commit(t, receipt_committed, continuation_new(NULL, NULL));
}

static void
stage_answer(RunTxn *t, Run *run, const char *answer, const char *by, const char *via)
{
  ShiftdRunRow *row = run_edit(run);
  JsonObject *data = json_object_new();
  json_object_set_string_member(data, "answer", answer);
  json_object_set_string_member(data, "question", row->question);
  json_object_set_string_member(data, "by", by);
  json_object_set_string_member(data, "via", via);
  run->deadline_source = sd_event_source_disable_unref(run->deadline_source);
  clear_question(row);
  shiftd_set_string(&row->answer, answer);
  row->state = SHIFTD_RUN_QUEUED;
  set_summaryf(run, "answered \"%s\"; continuing", answer);
  run_txn_event(t, "answered", data);
}

gboolean
engine_answer(Run *run, const char *choice, guint32 uid, const char *via, RunCommitted cb, gpointer user_data,
              GError **error)
{
  ShiftdRunRow *row = run->pending;
  if (row->state != SHIFTD_RUN_WAITING) {
    g_set_error(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_NOT_WAITING, "run %s is not waiting for an answer (%s)",
                row->name, shiftd_run_state_to_string(row->state));
    return FALSE;
  }
  if (row->wait_child[0]) {
    g_set_error(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_NOT_WAITING,
                "run %s is waiting for its child run %s, not for an answer", row->name, row->wait_child);
    return FALSE;
  }
  if (!g_utf8_validate(choice, -1, NULL) || strlen(choice) > SHIFTD_MAX_TASK_BYTES) {
    g_set_error(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_INVALID_ARGUMENT, "the answer is not valid");
    return FALSE;
  }
  if (row->choices[0] != NULL && !g_strv_contains((const char *const *)row->choices, choice)) {
    g_autofree char *list = g_strjoinv(", ", row->choices);
    g_set_error(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_INVALID_ARGUMENT, "\"%s\" is not one of the choices: %s",
                choice, list);
    return FALSE;
  }
  g_autofree char *trimmed = g_strstrip(g_strdup(choice));
  if (row->choices[0] == NULL && trimmed[0] == '\0') {
    g_set_error(error, SHIFTD_BUS_ERROR, SHIFTD_BUS_ERROR_INVALID_ARGUMENT, "the answer is empty");
    return FALSE;
  }
  g_autofree char *by = g_strdup_printf("uid %u", uid);
  log_run(LOG_NOTICE, row->name, row->agent, "answered \"%s\" by %s via %s", choice, by, via);
  RunTxn *t = run_txn_begin(run);
  stage_answer(t, run, choice, by, via);
  run_txn_commit(t, receipt_committed, continuation_new(cb, user_data));
  return TRUE;
}

/* --- start-up and stop --- */

void
engine_recover(Daemon *d)
{
  g_autoptr(GPtrArray) live = run_table_live_runs(d);
  for (guint i = 0; i < live->len; i++) {
    Run *run = g_ptr_array_index(live, i);
    ShiftdRunRow *row = run->pending;
    if (row->state == SHIFTD_RUN_RUNNING) {
      row = run_edit(run);
      /* Its worker died with the previous daemon: the next attempt resumes. */
      run->resume_next = TRUE;
      row->state = SHIFTD_RUN_QUEUED;
      shiftd_set_string(&row->unit, "");
      set_summaryf(run, "lost its worker; waiting to resume");
      RunTxn *t = run_txn_begin(run);
      run_txn_commit(t, NULL, NULL);
      enqueue_launch(run);
    } else if (row->state == SHIFTD_RUN_QUEUED) {
      enqueue_launch(run);
    } else if (row->state == SHIFTD_RUN_WAITING && row->wait_child[0]) {
      /* the child may have ended while no daemon was there to resume this one */
      delegation_check_waiting(run);
    } else if (row->state == SHIFTD_RUN_WAITING) {
      int r = arm_decision_deadline(run);
      if (r < 0)
        fail_unarmed(run, "decision deadline", r);
    }
  }
}

void
engine_stop_all(Daemon *d)
{
  /* wakes stop with the daemon; the next start re-arms them */
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, d->agents);
  while (g_hash_table_iter_next(&it, NULL, &value))
    d->backend->disarm_wake(d->backend, ((Agent *)value)->name);
  g_autoptr(GPtrArray) live = run_table_live_runs(d);
  for (guint i = 0; i < live->len; i++) {
    Run *run = g_ptr_array_index(live, i);
    if (run->worker)
      worker_stop(run->worker, "shiftd is stopping");
  }
}
