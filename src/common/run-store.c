#include "run-store.h"

#include <gio/gio.h>

#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json-util.h"
#include "store-file.h"

#define SCHEMA_VERSION 3
#define RUN_COLUMN_COUNT 32
/* The WAL is checkpointed on a schedule of its own, never once per commit (each
 * checkpoint costs syncs of its own, and one per commit doubled the syncs per
 * receipt), and it is kept to a fixed size:
 * - PASSIVE beside the writer once this much of the WAL is not yet copied into
 *   the database; */
#define CHECKPOINT_PASSIVE_BYTES (4 << 20)
/* - once the WAL is this big, the log is restarted: a PASSIVE copies the bulk
 *   beside the writer, then the writer pauses between two batches while a
 *   RESTART copies the rest, after which the next commit rewrites the WAL in
 *   place from its start (a PASSIVE alone never lets it start over while the
 *   writer keeps appending). That pause, a sync of the database (a few ms),
 *   is paid once per this many bytes written; */
#define CHECKPOINT_RESTART_BYTES (16 << 20)
/* - the hard bound: at this size the writer starts no further batch until the
 *   log is restarted, so under any load the WAL file stays below it plus one
 *   batch (journal_size_limit trims such an overshoot at the next restart); */
#define WAL_LIMIT_BYTES (24 << 20)
/* - after this long without a commit, a TRUNCATE empties the WAL file. */
#define CHECKPOINT_IDLE_USEC (1 * G_USEC_PER_SEC)
/* A RESTART or TRUNCATE waits this long at most for readers to let go of the
 * WAL (the writer is paused meanwhile); failing that, it is tried again later. */
#define CHECKPOINT_BUSY_USEC (1 * G_USEC_PER_SEC)
#define CHECKPOINT_RETRY_USEC (G_USEC_PER_SEC / 10)

typedef enum {
  OP_PUT_RUN,
  OP_PUT_TASK,
  OP_ADD_EVENT,
  OP_PUT_CHECKPOINT,
  OP_PUT_AGENT,
  OP_PRUNE,
} OpKind;

typedef struct {
  OpKind kind;
  ShiftdRunRow *run;
  ShiftdAgentState *agent;
  char *name;
  guint32 seq;
  guint64 time;
  char *text1;
  char *text2;
  GPtrArray *pruned; /* OP_PRUNE: the caller's, filled by the writer */
  guint step_max;    /* OP_PRUNE: at most this many runs */
} Op;

struct ShiftdStoreTxn {
  GPtrArray *ops;
  ShiftdStoreDone done;
  gpointer user_data;
  GError *error;
};

struct ShiftdStore {
  char *path;
  sqlite3 *reader;
  sqlite3 *writer;
  sqlite3_stmt *begin;
  sqlite3_stmt *commit;
  sqlite3_stmt *put_run;
  sqlite3_stmt *update_run;
  int put_run_params[RUN_COLUMN_COUNT];   /* where each column binds (bind_run()) */
  int update_run_params[RUN_COLUMN_COUNT];
  GHashTable *reads; /* SQL -> sqlite3_stmt* on reader: the main thread's, kept prepared */
  sqlite3_stmt *put_task;
  sqlite3_stmt *add_event;
  sqlite3_stmt *put_checkpoint;
  sqlite3_stmt *put_agent;
  sqlite3_stmt *prune[5];
  GThread *thread;
  GMutex lock;
  GCond cond;
  /* checkpoints run beside the writer, on their own schedule (checkpoint_thread) */
  sqlite3 *checkpointer;
  GThread *checkpoint_thread;
  GCond checkpoint_cond;
  int passive_frames, restart_frames, limit_frames; /* the *_BYTES above, in WAL frames */
  int wal_frames;       /* in the WAL at the last commit (0: restarted since) */
  int wal_copied;       /* of those, copied into the database by a checkpoint */
  gboolean wal_dirty;   /* the WAL file may hold frames (no TRUNCATE since the last commit) */
  gint64 last_commit;   /* monotonic */
  gboolean writer_held; /* the writer starts no batch: the log is to be restarted */
  GQueue pending;
  GQueue done;
  gboolean writing;
  gboolean stopping;
  int event_fd;
  guint64 commits;
  guint64 txns;
};

static const char schema_sql[] =
  /* The task is written once, apart from the record that changes with every event. */
  "CREATE TABLE IF NOT EXISTS run_tasks (name TEXT PRIMARY KEY NOT NULL, task TEXT NOT NULL) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS runs ("
  " name TEXT PRIMARY KEY NOT NULL, agent TEXT NOT NULL,"
  " trigger TEXT NOT NULL, state TEXT NOT NULL, summary TEXT NOT NULL, result TEXT NOT NULL,"
  " error TEXT NOT NULL, question TEXT NOT NULL, choices TEXT NOT NULL, decision_default TEXT,"
  " decision_deadline INTEGER NOT NULL, step INTEGER NOT NULL, attempt INTEGER NOT NULL,"
  " event_count INTEGER NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER NOT NULL,"
  " updated_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, unit TEXT NOT NULL,"
  " owner INTEGER NOT NULL, model TEXT NOT NULL, max_steps INTEGER NOT NULL,"
  " timeout INTEGER NOT NULL, label TEXT NOT NULL, active_usec INTEGER NOT NULL, answer TEXT,"
  " tokens_in INTEGER NOT NULL DEFAULT 0, tokens_out INTEGER NOT NULL DEFAULT 0,"
  " parent TEXT NOT NULL DEFAULT '', depth INTEGER NOT NULL DEFAULT 0, children TEXT NOT NULL DEFAULT '[]',"
  " wait_child TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS events ("
  " run TEXT NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL, kind TEXT NOT NULL,"
  " json TEXT NOT NULL, PRIMARY KEY (run, seq)) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS checkpoints ("
  " run TEXT PRIMARY KEY NOT NULL, step INTEGER NOT NULL, messages TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS agents ("
  " name TEXT PRIMARY KEY NOT NULL, enabled INTEGER NOT NULL, current_interval INTEGER NOT NULL,"
  " idle_streak INTEGER NOT NULL, next_wake INTEGER NOT NULL, last_run_at INTEGER NOT NULL,"
  " last_run TEXT NOT NULL, last_review_at INTEGER NOT NULL, tokens_total INTEGER NOT NULL DEFAULT 0,"
  " tokens_today INTEGER NOT NULL DEFAULT 0, tokens_day INTEGER NOT NULL DEFAULT 0);";

/* migrations[v - 1] takes a store of version v to v + 1 (store-file.c runs
 * them in one transaction with the new version). */
static const char *const migrations[] = {
  /* 1 -> 2: token accounting */
  "ALTER TABLE runs ADD COLUMN tokens_in INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE runs ADD COLUMN tokens_out INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE agents ADD COLUMN tokens_total INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE agents ADD COLUMN tokens_today INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE agents ADD COLUMN tokens_day INTEGER NOT NULL DEFAULT 0;",
  /* 2 -> 3: start_run, the run tree */
  "ALTER TABLE runs ADD COLUMN parent TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE runs ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE runs ADD COLUMN children TEXT NOT NULL DEFAULT '[]';"
  "ALTER TABLE runs ADD COLUMN wait_child TEXT NOT NULL DEFAULT '';",
  NULL,
};
G_STATIC_ASSERT(G_N_ELEMENTS(migrations) == SCHEMA_VERSION);

/* Made at every open, so stores from before them get them too. */
static const char upgrade_sql[] =
  /* names of pruned runs: a name is never issued twice */
  "CREATE TABLE IF NOT EXISTS run_names (name TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;"
  "CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created_at);"
  "CREATE INDEX IF NOT EXISTS runs_by_agent ON runs (agent, created_at);"
  "CREATE INDEX IF NOT EXISTS runs_by_state ON runs (state, created_at);"
  "CREATE INDEX IF NOT EXISTS runs_by_finished ON runs (finished_at) WHERE finished_at > 0;";

/* One pruned run goes with everything it had. */
static const char *const prune_sql[] = {
  "DELETE FROM events WHERE run = ?",
  "DELETE FROM checkpoints WHERE run = ?",
  "DELETE FROM run_tasks WHERE name = ?",
  "DELETE FROM runs WHERE name = ?",
  "INSERT OR IGNORE INTO run_names (name) VALUES (?)",
};

/* A record changes with every event, mostly in columns no index covers. So
 * first an update of those only, which writes just the row's page, for the
 * record whose state and finished_at are as they were; else (a new run, a
 * new state) the upsert, whose SET leaves out what never changes after the
 * receipt. (INSERT OR REPLACE would rewrite every index entry each time.) */
#define RUN_MUTABLE_SET \
  "summary = :summary, result = :result, error = :error, question = :question, choices = :choices," \
  " decision_default = :decision_default, decision_deadline = :decision_deadline, step = :step," \
  " attempt = :attempt, event_count = :event_count, started_at = :started_at, updated_at = :updated_at," \
  " unit = :unit, active_usec = :active_usec, answer = :answer, tokens_in = :tokens_in, tokens_out = :tokens_out," \
  " children = :children, wait_child = :wait_child"
static const char update_run_sql[] =
  "UPDATE runs SET " RUN_MUTABLE_SET " WHERE name = :name AND state = :state AND finished_at = :finished_at";
static const char put_run_sql[] =
  "INSERT INTO runs (name, agent, trigger, state, summary, result, error,"
  " question, choices, decision_default, decision_deadline, step, attempt, event_count,"
  " created_at, started_at, updated_at, finished_at, unit, owner, model, max_steps, timeout,"
  " label, active_usec, answer, tokens_in, tokens_out, parent, depth, children, wait_child) VALUES (:name, :agent,"
  " :trigger, :state, :summary,"
  " :result, :error, :question, :choices, :decision_default, :decision_deadline, :step, :attempt, :event_count,"
  " :created_at, :started_at, :updated_at, :finished_at, :unit, :owner, :model, :max_steps, :timeout,"
  " :label, :active_usec, :answer, :tokens_in, :tokens_out, :parent, :depth, :children, :wait_child)"
  " ON CONFLICT (name) DO UPDATE SET state = :state, finished_at = :finished_at, " RUN_MUTABLE_SET;
#define RUN_COLUMNS(task) \
  "SELECT runs.name, agent, " task ", trigger, state, summary, result, error," \
  " question, choices, decision_default, decision_deadline, step, attempt, event_count," \
  " created_at, started_at, updated_at, finished_at, unit, owner, model, max_steps, timeout," \
  " label, active_usec, answer, tokens_in, tokens_out, parent, depth, children, wait_child FROM runs"
static const char select_runs_sql[] = RUN_COLUMNS("coalesce(task, '')") " LEFT JOIN run_tasks USING (name)";
/* lists leave the task out: it can be large, and they do not show it */
static const char select_run_records_sql[] = RUN_COLUMNS("''");

GQuark shiftd_store_error_quark(void);
G_DEFINE_QUARK(shiftd-store-error-quark, shiftd_store_error)
#define STORE_ERROR shiftd_store_error_quark()

static void
set_sqlite_error(GError **error, sqlite3 *db, const char *what)
{
  g_set_error(error, STORE_ERROR, sqlite3_errcode(db), "%s: %s", what, sqlite3_errmsg(db));
}

static void
op_free(gpointer p)
{
  Op *op = p;
  shiftd_run_row_free(op->run);
  shiftd_agent_state_free(op->agent);
  g_free(op->name);
  g_free(op->text1);
  g_free(op->text2);
  if (op->pruned)
    g_ptr_array_unref(op->pruned);
  g_free(op);
}

void
shiftd_event_row_free(ShiftdEventRow *e)
{
  if (e == NULL)
    return;
  g_free(e->kind);
  g_free(e->json);
  g_free(e);
}

static void
txn_free(ShiftdStoreTxn *txn)
{
  g_ptr_array_unref(txn->ops);
  g_clear_error(&txn->error);
  g_free(txn);
}

ShiftdStoreTxn *
shiftd_store_txn_new(void)
{
  ShiftdStoreTxn *txn = g_new0(ShiftdStoreTxn, 1);
  txn->ops = g_ptr_array_new_with_free_func(op_free);
  return txn;
}

void
shiftd_store_txn_put_run(ShiftdStoreTxn *txn, const ShiftdRunRow *row, gboolean first)
{
  Op *op = g_new0(Op, 1);
  op->kind = OP_PUT_RUN;
  op->seq = first;
  op->run = shiftd_run_row_copy(row);
  g_ptr_array_add(txn->ops, op);
}

void
shiftd_store_txn_put_task(ShiftdStoreTxn *txn, const char *run, const char *task)
{
  Op *op = g_new0(Op, 1);
  op->kind = OP_PUT_TASK;
  op->name = g_strdup(run);
  op->text1 = g_strdup(task);
  g_ptr_array_add(txn->ops, op);
}

void
shiftd_store_txn_add_event(ShiftdStoreTxn *txn, const char *run, guint32 seq, guint64 time,
                           const char *kind, const char *json)
{
  Op *op = g_new0(Op, 1);
  op->kind = OP_ADD_EVENT;
  op->name = g_strdup(run);
  op->seq = seq;
  op->time = time;
  op->text1 = g_strdup(kind);
  op->text2 = g_strdup(json);
  g_ptr_array_add(txn->ops, op);
}

void
shiftd_store_txn_put_checkpoint(ShiftdStoreTxn *txn, const char *run, guint32 step, const char *messages_json)
{
  Op *op = g_new0(Op, 1);
  op->kind = OP_PUT_CHECKPOINT;
  op->name = g_strdup(run);
  op->seq = step;
  op->text1 = g_strdup(messages_json);
  g_ptr_array_add(txn->ops, op);
}

void
shiftd_store_txn_put_agent(ShiftdStoreTxn *txn, const ShiftdAgentState *state)
{
  Op *op = g_new0(Op, 1);
  op->kind = OP_PUT_AGENT;
  op->agent = shiftd_agent_state_copy(state);
  g_ptr_array_add(txn->ops, op);
}

void
shiftd_store_txn_prune(ShiftdStoreTxn *txn, guint64 finished_before, guint keep_runs, guint max, GPtrArray *pruned)
{
  Op *op = g_new0(Op, 1);
  op->kind = OP_PRUNE;
  op->time = finished_before;
  op->seq = keep_runs;
  op->step_max = max;
  op->pruned = g_ptr_array_ref(pruned);
  g_ptr_array_add(txn->ops, op);
}

/* --- writer thread --- */

static int
bind_text(sqlite3_stmt *st, int i, const char *text)
{
  if (text == NULL)
    return sqlite3_bind_null(st, i);
  return sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

/* The record's columns, as the statements above name their parameters. */
typedef enum {
  RC_NAME, RC_AGENT, RC_TRIGGER, RC_STATE, RC_SUMMARY, RC_RESULT, RC_ERROR, RC_QUESTION, RC_CHOICES,
  RC_DECISION_DEFAULT, RC_DECISION_DEADLINE, RC_STEP, RC_ATTEMPT, RC_EVENT_COUNT, RC_CREATED_AT, RC_STARTED_AT,
  RC_UPDATED_AT, RC_FINISHED_AT, RC_UNIT, RC_OWNER, RC_MODEL, RC_MAX_STEPS, RC_TIMEOUT, RC_LABEL, RC_ACTIVE_USEC,
  RC_ANSWER, RC_TOKENS_IN, RC_TOKENS_OUT, RC_PARENT, RC_DEPTH, RC_CHILDREN, RC_WAIT_CHILD, RC_COUNT
} RunColumn;
G_STATIC_ASSERT(RC_COUNT == RUN_COLUMN_COUNT);
static const char *const run_params[RC_COUNT] = {
  ":name", ":agent", ":trigger", ":state", ":summary", ":result", ":error", ":question", ":choices",
  ":decision_default", ":decision_deadline", ":step", ":attempt", ":event_count", ":created_at", ":started_at",
  ":updated_at", ":finished_at", ":unit", ":owner", ":model", ":max_steps", ":timeout", ":label", ":active_usec",
  ":answer", ":tokens_in", ":tokens_out", ":parent", ":depth", ":children", ":wait_child",
};

/* Where st takes each column (0: it does not), found once: looking names up
 * at every bind is most of a bind's cost. */
static void
map_run_params(sqlite3_stmt *st, int *index)
{
  for (int c = 0; c < RC_COUNT; c++)
    index[c] = sqlite3_bind_parameter_index(st, run_params[c]);
}

static void
bind_run(sqlite3_stmt *st, const int *index, const ShiftdRunRow *r, const char *choices_json,
         const char *children_json)
{
#define TEXT(col, value) \
  if (index[col]) \
    bind_text(st, index[col], value);
#define INT(col, value) \
  if (index[col]) \
    sqlite3_bind_int64(st, index[col], (sqlite3_int64)(value));
  TEXT(RC_NAME, r->name);
  TEXT(RC_AGENT, r->agent);
  TEXT(RC_TRIGGER, shiftd_run_trigger_to_string(r->trigger));
  TEXT(RC_STATE, shiftd_run_state_to_string(r->state));
  TEXT(RC_SUMMARY, r->summary);
  TEXT(RC_RESULT, r->result);
  TEXT(RC_ERROR, r->error);
  TEXT(RC_QUESTION, r->question);
  TEXT(RC_CHOICES, choices_json);
  TEXT(RC_DECISION_DEFAULT, r->decision_default);
  INT(RC_DECISION_DEADLINE, r->decision_deadline);
  INT(RC_STEP, r->step);
  INT(RC_ATTEMPT, r->attempt);
  INT(RC_EVENT_COUNT, r->event_count);
  INT(RC_CREATED_AT, r->created_at);
  INT(RC_STARTED_AT, r->started_at);
  INT(RC_UPDATED_AT, r->updated_at);
  INT(RC_FINISHED_AT, r->finished_at);
  TEXT(RC_UNIT, r->unit);
  INT(RC_OWNER, r->owner);
  TEXT(RC_MODEL, r->model);
  INT(RC_MAX_STEPS, r->max_steps);
  INT(RC_TIMEOUT, r->timeout_usec);
  TEXT(RC_LABEL, r->label);
  INT(RC_ACTIVE_USEC, r->active_usec);
  TEXT(RC_ANSWER, r->answer);
  INT(RC_TOKENS_IN, MIN(r->tokens_in, (guint64)G_MAXINT64));
  INT(RC_TOKENS_OUT, MIN(r->tokens_out, (guint64)G_MAXINT64));
  TEXT(RC_PARENT, r->parent ? r->parent : "");
  INT(RC_DEPTH, r->depth);
  TEXT(RC_CHILDREN, children_json);
  TEXT(RC_WAIT_CHILD, r->wait_child ? r->wait_child : "");
#undef TEXT
#undef INT
}

static int
step_once(sqlite3_stmt *st)
{
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

/* A list of strings as a JSON array ("[]" when empty or NULL). */
static char *
strv_to_json(char **strv)
{
  if (strv == NULL || strv[0] == NULL)
    return g_strdup("[]");
  g_autoptr(JsonArray) a = json_array_new();
  for (char **c = strv; *c; c++)
    json_array_add_string_element(a, *c);
  g_autoptr(JsonNode) node = json_node_init_array(json_node_alloc(), a);
  return shiftd_json_to_string(node);
}

static int
exec_put_run(ShiftdStore *store, const ShiftdRunRow *r, gboolean first)
{
  g_autofree char *choices_json = strv_to_json(r->choices);
  g_autofree char *children_json = strv_to_json(r->children);
  if (!first) {
    bind_run(store->update_run, store->update_run_params, r, choices_json, children_json);
    int rc = step_once(store->update_run);
    if (rc != SQLITE_DONE || sqlite3_changes(store->writer) == 1)
      return rc;
  }
  bind_run(store->put_run, store->put_run_params, r, choices_json, children_json);
  return step_once(store->put_run);
}

static char *column_text(sqlite3_stmt *st, int i);

/* Names of finished runs to prune, oldest first, at most max, beyond skip
 * newer ones (skip 0: every one finished before `before`). */
static int
select_prunable(ShiftdStore *store, guint64 before, guint skip, guint max, GPtrArray *out)
{
  sqlite3_stmt *st = NULL;
  const char *sql = skip == 0 ? "SELECT name FROM runs WHERE finished_at > 0 AND finished_at < ?1"
                                " ORDER BY finished_at LIMIT ?2"
                              : "SELECT name FROM runs WHERE finished_at > 0"
                                " ORDER BY finished_at DESC, name DESC LIMIT ?2 OFFSET ?3";
  int rc = sqlite3_prepare_v2(store->writer, sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return rc;
  if (skip == 0)
    sqlite3_bind_int64(st, 1, (sqlite3_int64)MIN(before, (guint64)G_MAXINT64));
  sqlite3_bind_int64(st, 2, max);
  if (skip != 0)
    sqlite3_bind_int64(st, 3, skip);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(out, column_text(st, 0));
  sqlite3_finalize(st);
  return rc;
}

static int
exec_prune(ShiftdStore *store, Op *op)
{
  /* a batch that failed is written again, one txn at a time */
  g_ptr_array_set_size(op->pruned, 0);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  int rc = select_prunable(store, op->time, 0, op->step_max, names);
  for (guint pass = 0; rc == SQLITE_DONE && pass < 2; pass++) {
    for (guint i = 0; rc == SQLITE_DONE && i < names->len; i++) {
      const char *name = g_ptr_array_index(names, i);
      for (guint k = 0; rc == SQLITE_DONE && k < G_N_ELEMENTS(prune_sql); k++) {
        sqlite3_stmt *st = store->prune[k];
        bind_text(st, 1, name);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
      }
      if (rc == SQLITE_DONE)
        g_ptr_array_add(op->pruned, g_strdup(name));
    }
    g_ptr_array_set_size(names, 0);
    /* then those beyond KeepRuns=, with the room left */
    if (pass == 0 && rc == SQLITE_DONE && op->seq > 0 && op->pruned->len < op->step_max)
      rc = select_prunable(store, 0, op->seq, op->step_max - op->pruned->len, names);
  }
  return rc;
}

static int
exec_op(ShiftdStore *store, Op *op)
{
  sqlite3_stmt *st = NULL;
  switch (op->kind) {
  case OP_PUT_RUN:
    return exec_put_run(store, op->run, op->seq == 1);
  case OP_PRUNE:
    return exec_prune(store, op);
  case OP_PUT_TASK:
    st = store->put_task;
    bind_text(st, 1, op->name);
    bind_text(st, 2, op->text1);
    break;
  case OP_ADD_EVENT:
    st = store->add_event;
    bind_text(st, 1, op->name);
    sqlite3_bind_int64(st, 2, op->seq);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)op->time);
    bind_text(st, 4, op->text1);
    bind_text(st, 5, op->text2);
    break;
  case OP_PUT_CHECKPOINT:
    st = store->put_checkpoint;
    bind_text(st, 1, op->name);
    sqlite3_bind_int64(st, 2, op->seq);
    bind_text(st, 3, op->text1);
    break;
  case OP_PUT_AGENT:
    st = store->put_agent;
    bind_text(st, 1, op->agent->name);
    sqlite3_bind_int(st, 2, op->agent->enabled ? 1 : 0);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)op->agent->current_interval);
    sqlite3_bind_int64(st, 4, op->agent->idle_streak);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)op->agent->next_wake);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)op->agent->last_run_at);
    bind_text(st, 7, op->agent->last_run ? op->agent->last_run : "");
    sqlite3_bind_int64(st, 8, (sqlite3_int64)op->agent->last_review_at);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)MIN(op->agent->tokens_total, (guint64)G_MAXINT64));
    sqlite3_bind_int64(st, 10, (sqlite3_int64)MIN(op->agent->tokens_today, (guint64)G_MAXINT64));
    sqlite3_bind_int64(st, 11, (sqlite3_int64)op->agent->tokens_day);
    break;
  }
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

static gboolean
exec_txn_ops(ShiftdStore *store, ShiftdStoreTxn *txn, GError **error)
{
  for (guint i = 0; i < txn->ops->len; i++) {
    int rc = exec_op(store, g_ptr_array_index(txn->ops, i));
    if (rc != SQLITE_DONE) {
      set_sqlite_error(error, store->writer, "store write failed");
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
writer_step(ShiftdStore *store, sqlite3_stmt *st, GError **error)
{
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    set_sqlite_error(error, store->writer, sqlite3_sql(st));
    return FALSE;
  }
  return TRUE;
}

static gboolean
writer_exec(ShiftdStore *store, const char *sql, GError **error)
{
  char *msg = NULL;
  if (sqlite3_exec(store->writer, sql, NULL, NULL, &msg) != SQLITE_OK) {
    g_set_error(error, STORE_ERROR, 1, "%s: %s", sql, msg ? msg : "failed");
    sqlite3_free(msg);
    return FALSE;
  }
  return TRUE;
}

/* One transaction for the whole batch; if it fails, each txn alone so one bad
 * write cannot take its neighbours down with it. */
static guint
write_batch(ShiftdStore *store, GPtrArray *batch)
{
  g_autoptr(GError) error = NULL;
  guint commits = 0;
  gboolean ok = writer_step(store, store->begin, &error);
  for (guint i = 0; ok && i < batch->len; i++)
    ok = exec_txn_ops(store, g_ptr_array_index(batch, i), &error);
  if (ok && writer_step(store, store->commit, &error))
    return 1;
  writer_exec(store, "ROLLBACK", NULL);
  g_clear_error(&error);

  for (guint i = 0; i < batch->len; i++) {
    ShiftdStoreTxn *txn = g_ptr_array_index(batch, i);
    if (!writer_exec(store, "BEGIN IMMEDIATE", &txn->error))
      continue;
    if (exec_txn_ops(store, txn, &txn->error) && writer_exec(store, "COMMIT", &txn->error)) {
      commits++;
      continue;
    }
    writer_exec(store, "ROLLBACK", NULL);
  }
  return commits;
}

static gpointer
writer_thread(gpointer data)
{
  ShiftdStore *store = data;
  for (;;) {
    g_mutex_lock(&store->lock);
    /* held: the checkpointer is restarting the log (briefly); what is queued
     * meanwhile goes in the next batch */
    while ((g_queue_is_empty(&store->pending) || store->writer_held) && !store->stopping)
      g_cond_wait(&store->cond, &store->lock);
    if (g_queue_is_empty(&store->pending) && store->stopping) {
      g_mutex_unlock(&store->lock);
      break;
    }
    g_autoptr(GPtrArray) batch = g_ptr_array_new();
    while (!g_queue_is_empty(&store->pending))
      g_ptr_array_add(batch, g_queue_pop_head(&store->pending));
    store->writing = TRUE;
    g_mutex_unlock(&store->lock);

    guint commits = write_batch(store, batch);

    g_mutex_lock(&store->lock);
    store->commits += commits;
    store->txns += batch->len;
    for (guint i = 0; i < batch->len; i++)
      g_queue_push_tail(&store->done, g_ptr_array_index(batch, i));
    store->writing = FALSE;
    g_cond_broadcast(&store->cond);
    if (store->writer_held)
      g_cond_signal(&store->checkpoint_cond);
    g_mutex_unlock(&store->lock);

    guint64 one = 1;
    ssize_t ignored = write(store->event_fd, &one, sizeof one);
    (void)ignored;
  }
  return NULL;
}

static int
on_wal_commit(void *data, sqlite3 *db, const char *name, int frames)
{
  ShiftdStore *store = data;
  g_mutex_lock(&store->lock);
  if (frames < store->wal_copied) /* the log started over */
    store->wal_copied = 0;
  /* the checkpointer has something to do at a mark, and after the first
   * commit into an empty WAL it starts watching for idleness */
  gboolean wake = !store->wal_dirty || frames >= store->restart_frames ||
                  frames - store->wal_copied >= store->passive_frames;
  store->wal_frames = frames;
  store->wal_dirty = TRUE;
  store->last_commit = g_get_monotonic_time();
  if (frames >= store->limit_frames)
    store->writer_held = wake = TRUE;
  if (wake)
    g_cond_signal(&store->checkpoint_cond);
  g_mutex_unlock(&store->lock);
  return SQLITE_OK;
}

/* The checkpointer's busy handler, for a RESTART or TRUNCATE waiting on
 * readers while the writer is held: polls finely, gives up after
 * CHECKPOINT_BUSY_USEC. */
static int
checkpoint_busy(void *data, int count)
{
  if (count >= 100 + CHECKPOINT_BUSY_USEC / 1000)
    return 0;
  g_usleep(count < 100 ? 100 : 1000);
  return 1;
}

/* Called and returns with store->lock held. FALSE when the checkpoint failed or
 * (PASSIVE) copied nothing new: a reader holds on to an old snapshot. */
static gboolean
run_checkpoint(ShiftdStore *store, int mode)
{
  gboolean held = store->writer_held;
  g_mutex_unlock(&store->lock);
  /* the bulk beside the writer, so that it is held only for the rest */
  if (mode == SQLITE_CHECKPOINT_RESTART && !held)
    sqlite3_wal_checkpoint_v2(store->checkpointer, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  g_mutex_lock(&store->lock);
  if (mode != SQLITE_CHECKPOINT_PASSIVE) {
    /* between two batches: no commit waits in SQLite's busy handler meanwhile */
    store->writer_held = TRUE;
    while (store->writing && !store->stopping)
      g_cond_wait(&store->checkpoint_cond, &store->lock);
  }
  g_mutex_unlock(&store->lock);

  int log = 0, copied = 0;
  int rc = sqlite3_wal_checkpoint_v2(store->checkpointer, NULL, mode, &log, &copied);

  g_mutex_lock(&store->lock);
  if (mode != SQLITE_CHECKPOINT_PASSIVE) {
    store->writer_held = FALSE;
    g_cond_broadcast(&store->cond);
  }
  if (rc != SQLITE_OK)
    return FALSE;
  if (mode == SQLITE_CHECKPOINT_PASSIVE) {
    gboolean headway = copied > store->wal_copied;
    store->wal_copied = copied;
    return headway;
  }
  /* every frame copied and no reader left in the WAL: the next commit starts it over */
  store->wal_frames = 0;
  store->wal_copied = 0;
  if (mode == SQLITE_CHECKPOINT_TRUNCATE)
    store->wal_dirty = FALSE;
  return TRUE;
}

/* What the checkpointer is to do now, or -1: nothing yet. */
static int
checkpoint_due(ShiftdStore *store, gint64 now)
{
  if (store->writer_held || store->wal_frames >= store->restart_frames)
    return SQLITE_CHECKPOINT_RESTART;
  if (store->wal_frames - store->wal_copied >= store->passive_frames)
    return SQLITE_CHECKPOINT_PASSIVE;
  if (store->wal_dirty && g_queue_is_empty(&store->pending) && !store->writing &&
      now >= store->last_commit + CHECKPOINT_IDLE_USEC)
    return SQLITE_CHECKPOINT_TRUNCATE;
  return -1;
}

static gpointer
checkpoint_thread(gpointer data)
{
  ShiftdStore *store = data;
  gint64 retry_at = 0; /* after a checkpoint that failed or made no headway */
  g_mutex_lock(&store->lock);
  while (!store->stopping) {
    gint64 now = g_get_monotonic_time();
    int mode = now >= retry_at ? checkpoint_due(store, now) : -1;
    if (mode >= 0) {
      if (!run_checkpoint(store, mode))
        retry_at = g_get_monotonic_time() +
                   (mode == SQLITE_CHECKPOINT_TRUNCATE ? CHECKPOINT_IDLE_USEC : CHECKPOINT_RETRY_USEC);
    } else if (now < retry_at) {
      g_cond_wait_until(&store->checkpoint_cond, &store->lock, retry_at);
    } else if (store->wal_dirty) {
      /* until the store has been idle long enough (a batch still being
       * written is not idleness: then look again a little later) */
      g_cond_wait_until(&store->checkpoint_cond, &store->lock,
                        MAX(store->last_commit + CHECKPOINT_IDLE_USEC, now + CHECKPOINT_RETRY_USEC));
    } else {
      g_cond_wait(&store->checkpoint_cond, &store->lock);
    }
  }
  g_mutex_unlock(&store->lock);
  return NULL;
}

/* --- owner side --- */

void
shiftd_store_commit(ShiftdStore *store, ShiftdStoreTxn *txn, ShiftdStoreDone done, gpointer user_data)
{
  txn->done = done;
  txn->user_data = user_data;
  g_mutex_lock(&store->lock);
  g_queue_push_tail(&store->pending, txn);
  g_cond_signal(&store->cond);
  g_mutex_unlock(&store->lock);
}

void
shiftd_store_dispatch(ShiftdStore *store)
{
  guint64 value;
  ssize_t ignored = read(store->event_fd, &value, sizeof value);
  (void)ignored;

  GQueue ready = G_QUEUE_INIT;
  g_mutex_lock(&store->lock);
  ready = store->done;
  g_queue_init(&store->done);
  g_mutex_unlock(&store->lock);

  ShiftdStoreTxn *txn;
  while ((txn = g_queue_pop_head(&ready))) {
    if (txn->done)
      txn->done(txn->user_data, txn->error);
    txn_free(txn);
  }
}

void
shiftd_store_flush(ShiftdStore *store)
{
  g_mutex_lock(&store->lock);
  while (!g_queue_is_empty(&store->pending) || store->writing)
    g_cond_wait(&store->cond, &store->lock);
  g_mutex_unlock(&store->lock);
  shiftd_store_dispatch(store);
}

void
shiftd_store_get_stats(ShiftdStore *store, guint64 *commits, guint64 *txns)
{
  g_mutex_lock(&store->lock);
  if (commits)
    *commits = store->commits;
  if (txns)
    *txns = store->txns;
  g_mutex_unlock(&store->lock);
}

int
shiftd_store_get_notify_fd(ShiftdStore *store)
{
  return store->event_fd;
}

const char *
shiftd_store_get_path(ShiftdStore *store)
{
  return store->path;
}

static sqlite3 *
open_connection(const char *path, GError **error)
{
  sqlite3 *db = NULL;
  /* never CREATE: a missing file at this point is an error, not a new store */
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    g_set_error(error, STORE_ERROR, rc, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 5000);
  /* WAL: readers never block on the writer. FULL: each COMMIT is synced. */
  const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;";
  char *msg = NULL;
  if (sqlite3_exec(db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
    g_set_error(error, STORE_ERROR, 1, "cannot set up %s: %s", path, msg ? msg : "failed");
    sqlite3_free(msg);
    sqlite3_close(db);
    return NULL;
  }
  return db;
}

static int
page_size(sqlite3 *db)
{
  sqlite3_stmt *st = NULL;
  int size = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    size = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return size > 0 ? size : 4096;
}

static gboolean
prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, GError **error)
{
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
    set_sqlite_error(error, db, "cannot prepare statement");
    return FALSE;
  }
  return TRUE;
}

ShiftdStore *
shiftd_store_open(const char *state_dir, GError **error)
{
  if (g_mkdir_with_parents(state_dir, 0700) < 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot create %s: %s", state_dir, g_strerror(e));
    return NULL;
  }

  ShiftdStore *store = g_new0(ShiftdStore, 1);
  g_mutex_init(&store->lock);
  g_cond_init(&store->cond);
  g_cond_init(&store->checkpoint_cond);
  store->event_fd = -1;
  /* Checked (or made whole) before SQLite opens it for real: see store-file.h. */
  static const char *const tables[] = { "run_tasks", "runs", "events", "checkpoints", "agents", NULL };
  const ShiftdStoreSchema schema = { schema_sql, SCHEMA_VERSION, tables, migrations };
  store->path = shiftd_store_file_prepare(state_dir, &schema, error);
  if (store->path == NULL)
    goto fail;

  store->writer = open_connection(store->path, error);
  if (store->writer == NULL)
    goto fail;

  if (!prepare(store->writer, "BEGIN IMMEDIATE", &store->begin, error) ||
      !prepare(store->writer, "COMMIT", &store->commit, error) ||
      !prepare(store->writer, put_run_sql, &store->put_run, error) ||
      !prepare(store->writer, update_run_sql, &store->update_run, error) ||
      !prepare(store->writer, "INSERT OR REPLACE INTO run_tasks (name, task) VALUES (?,?)", &store->put_task,
               error) ||
      !prepare(store->writer, "INSERT INTO events (run, seq, time, kind, json) VALUES (?,?,?,?,?)",
               &store->add_event, error) ||
      !prepare(store->writer, "INSERT OR REPLACE INTO checkpoints (run, step, messages) VALUES (?,?,?)",
               &store->put_checkpoint, error) ||
      !prepare(store->writer,
               "INSERT OR REPLACE INTO agents (name, enabled, current_interval, idle_streak, next_wake,"
               " last_run_at, last_run, last_review_at, tokens_total, tokens_today, tokens_day)"
               " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
               &store->put_agent, error))
    goto fail;
  map_run_params(store->put_run, store->put_run_params);
  map_run_params(store->update_run, store->update_run_params);
  if (sqlite3_exec(store->writer, upgrade_sql, NULL, NULL, NULL) != SQLITE_OK) {
    set_sqlite_error(error, store->writer, "cannot bring the store up to date");
    goto fail;
  }
  for (guint k = 0; k < G_N_ELEMENTS(prune_sql); k++)
    if (!prepare(store->writer, prune_sql[k], &store->prune[k], error))
      goto fail;

  store->reads = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)sqlite3_finalize);
  store->reader = open_connection(store->path, error);
  if (store->reader == NULL)
    goto fail;
  store->checkpointer = open_connection(store->path, error);
  if (store->checkpointer == NULL)
    goto fail;
  sqlite3_wal_autocheckpoint(store->writer, 0);
  sqlite3_wal_hook(store->writer, on_wal_commit, store);
  sqlite3_busy_handler(store->checkpointer, checkpoint_busy, NULL);
  int frame = page_size(store->writer) + 24; /* a WAL frame: a page and its header */
  store->passive_frames = CHECKPOINT_PASSIVE_BYTES / frame;
  store->restart_frames = CHECKPOINT_RESTART_BYTES / frame;
  store->limit_frames = WAL_LIMIT_BYTES / frame;
  char *size_limit = g_strdup_printf("PRAGMA journal_size_limit=%d", WAL_LIMIT_BYTES);
  gboolean limited = writer_exec(store, size_limit, error);
  g_free(size_limit);
  if (!limited)
    goto fail;
  /* a WAL left by an earlier run is emptied once the store is idle */
  store->wal_dirty = TRUE;
  store->last_commit = g_get_monotonic_time();

  store->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (store->event_fd < 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "eventfd: %s", g_strerror(e));
    goto fail;
  }
  store->thread = g_thread_new("shiftd-store", writer_thread, store);
  /* at most 15 characters, or the kernel keeps the process's name for it */
  store->checkpoint_thread = g_thread_new("shiftd-ckpt", checkpoint_thread, store);
  return store;

fail:
  shiftd_store_close(store);
  return NULL;
}

void
shiftd_store_close(ShiftdStore *store)
{
  if (store == NULL)
    return;
  if (store->thread) {
    g_mutex_lock(&store->lock);
    store->stopping = TRUE;
    g_cond_broadcast(&store->cond);
    g_mutex_unlock(&store->lock);
    g_thread_join(store->thread);
  }
  if (store->checkpoint_thread) {
    g_mutex_lock(&store->lock);
    store->stopping = TRUE;
    g_cond_broadcast(&store->checkpoint_cond);
    g_mutex_unlock(&store->lock);
    g_thread_join(store->checkpoint_thread);
  }
  ShiftdStoreTxn *txn;
  while ((txn = g_queue_pop_head(&store->done)))
    txn_free(txn);
  sqlite3_finalize(store->begin);
  sqlite3_finalize(store->commit);
  sqlite3_finalize(store->put_run);
  sqlite3_finalize(store->update_run);
  sqlite3_finalize(store->put_task);
  sqlite3_finalize(store->add_event);
  sqlite3_finalize(store->put_checkpoint);
  for (guint k = 0; k < G_N_ELEMENTS(store->prune); k++)
    sqlite3_finalize(store->prune[k]);
  sqlite3_finalize(store->put_agent);
  sqlite3_close(store->writer);
  g_clear_pointer(&store->reads, g_hash_table_unref); /* finalized before their connection closes */
  sqlite3_close(store->reader);
  sqlite3_close(store->checkpointer);
  if (store->path)
    shiftd_store_file_stopped_cleanly(store->path);
  if (store->event_fd >= 0)
    close(store->event_fd);
  g_mutex_clear(&store->lock);
  g_cond_clear(&store->cond);
  g_cond_clear(&store->checkpoint_cond);
  g_free(store->path);
  g_free(store);
}

/* --- reads --- */

/* The reader's statement for sql, prepared once; give it back with
 * reader_done(). Reads are the main thread's only. */
static sqlite3_stmt *
reader_stmt(ShiftdStore *store, const char *sql, GError **error)
{
  sqlite3_stmt *st = g_hash_table_lookup(store->reads, sql);
  if (st)
    return st;
  if (sqlite3_prepare_v3(store->reader, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
    set_sqlite_error(error, store->reader, "cannot read the store");
    return NULL;
  }
  g_hash_table_insert(store->reads, g_strdup(sql), st);
  return st;
}

static void
reader_done(sqlite3_stmt *st)
{
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

static char *
column_text(sqlite3_stmt *st, int i)
{
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? g_strdup((const char *)t) : NULL;
}

static char **
parse_choices(const char *json)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  g_autoptr(JsonNode) node = json ? shiftd_json_parse(json, -1, NULL) : NULL;
  if (node && JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray *a = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      const char *s = json_array_get_string_element(a, i);
      if (s)
        g_strv_builder_add(b, s);
    }
  }
  return g_strv_builder_end(b);
}

/* The columns of select_runs_sql, into a record. */
static ShiftdRunRow *
read_run_row(sqlite3_stmt *st)
{
  ShiftdRunRow *r = g_new0(ShiftdRunRow, 1);
  int i = 0;
  r->name = column_text(st, i++);
  r->agent = column_text(st, i++);
  r->task = column_text(st, i++);
  /* names this shiftd does not know (a newer one wrote them) read as the
   * safest: a failed run started by hand */
  if (!shiftd_run_trigger_from_string((const char *)sqlite3_column_text(st, i++), &r->trigger))
    r->trigger = SHIFTD_TRIGGER_MANUAL;
  if (!shiftd_run_state_from_string((const char *)sqlite3_column_text(st, i++), &r->state))
    r->state = SHIFTD_RUN_FAILED;
  r->summary = column_text(st, i++);
  r->result = column_text(st, i++);
  r->error = column_text(st, i++);
  r->question = column_text(st, i++);
  g_autofree char *choices = column_text(st, i++);
  r->choices = parse_choices(choices);
  r->decision_default = column_text(st, i++);
  r->decision_deadline = (guint64)sqlite3_column_int64(st, i++);
  r->step = (guint32)sqlite3_column_int64(st, i++);
  r->attempt = (guint32)sqlite3_column_int64(st, i++);
  r->event_count = (guint32)sqlite3_column_int64(st, i++);
  r->created_at = (guint64)sqlite3_column_int64(st, i++);
  r->started_at = (guint64)sqlite3_column_int64(st, i++);
  r->updated_at = (guint64)sqlite3_column_int64(st, i++);
  r->finished_at = (guint64)sqlite3_column_int64(st, i++);
  r->unit = column_text(st, i++);
  r->owner = (guint32)sqlite3_column_int64(st, i++);
  r->model = column_text(st, i++);
  r->max_steps = (guint32)sqlite3_column_int64(st, i++);
  r->timeout_usec = (guint64)sqlite3_column_int64(st, i++);
  r->label = column_text(st, i++);
  r->active_usec = (guint64)sqlite3_column_int64(st, i++);
  r->answer = column_text(st, i++);
  r->tokens_in = (guint64)sqlite3_column_int64(st, i++);
  r->tokens_out = (guint64)sqlite3_column_int64(st, i++);
  r->parent = column_text(st, i++);
  r->depth = (guint32)sqlite3_column_int64(st, i++);
  g_autofree char *children = column_text(st, i++);
  r->children = parse_choices(children);
  r->wait_child = column_text(st, i++);
  return r;
}

static void
reverse_rows(GPtrArray *rows)
{
  for (guint i = 0, j = rows->len; i + 1 < j; i++, j--) {
    gpointer tmp = rows->pdata[i];
    rows->pdata[i] = rows->pdata[j - 1];
    rows->pdata[j - 1] = tmp;
  }
}

/* Every row st yields (its parameters bound), in order; gives st back. */
static GPtrArray *
read_run_rows(ShiftdStore *store, sqlite3_stmt *st, GError **error)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)shiftd_run_row_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(rows, read_run_row(st));
  if (rc != SQLITE_DONE) {
    set_sqlite_error(error, store->reader, "cannot read runs");
    g_clear_pointer(&rows, g_ptr_array_unref);
  }
  reader_done(st);
  return rows;
}

static sqlite3_stmt *
prepare_runs_query(ShiftdStore *store, gboolean with_task, const char *where_and_order, GError **error)
{
  g_autofree char *sql =
    g_strdup_printf("%s %s", with_task ? select_runs_sql : select_run_records_sql, where_and_order);
  return reader_stmt(store, sql, error);
}

GPtrArray *
shiftd_store_load_live_runs(ShiftdStore *store, GError **error)
{
  sqlite3_stmt *st = prepare_runs_query(
    store, TRUE, "WHERE state IN ('queued', 'running', 'waiting') ORDER BY created_at, runs.name", error);
  return st ? read_run_rows(store, st, error) : NULL;
}

GPtrArray *
shiftd_store_load_finished_runs(ShiftdStore *store, guint max, GError **error)
{
  sqlite3_stmt *st = prepare_runs_query(
    store, TRUE, "WHERE finished_at > 0 ORDER BY finished_at DESC, runs.name DESC LIMIT ?", error);
  if (st == NULL)
    return NULL;
  sqlite3_bind_int64(st, 1, max);
  GPtrArray *rows = read_run_rows(store, st, error);
  if (rows)
    reverse_rows(rows);
  return rows;
}

ShiftdRunRow *
shiftd_store_load_run(ShiftdStore *store, const char *name, GError **error)
{
  sqlite3_stmt *st = prepare_runs_query(store, TRUE, "WHERE runs.name = ?", error);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
  g_autoptr(GPtrArray) rows = read_run_rows(store, st, error);
  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_ptr_array_steal_index(rows, 0);
}

gboolean
shiftd_store_run_name_known(ShiftdStore *store, const char *name)
{
  sqlite3_stmt *st =
    reader_stmt(store, "SELECT 1 FROM runs WHERE name = ?1 UNION ALL SELECT 1 FROM run_names WHERE name = ?1", NULL);
  if (st == NULL)
    return TRUE; /* cannot tell: never risk a name */
  sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  reader_done(st);
  return rc != SQLITE_DONE;
}

GPtrArray *
shiftd_store_list_runs(ShiftdStore *store, const ShiftdRunQuery *q, GError **error)
{
  g_autoptr(GString) where = g_string_new("WHERE 1");
  if (q->state)
    g_string_append(where, " AND state = :state");
  if (q->agent)
    g_string_append(where, " AND agent = :agent");
  if (q->since)
    g_string_append(where, " AND created_at >= :since");
  if (q->finished_only)
    g_string_append(where, " AND finished_at > 0");
  if (q->not_trigger)
    g_string_append(where, " AND trigger != :not_trigger");
  if (q->reader != SHIFTD_RUN_QUERY_ANYONE)
    g_string_append_printf(where, " AND %s(owner = :reader OR agent IN (SELECT value FROM json_each(:agents)))",
                           q->unreadable ? "NOT " : "");
  /* the newest first, so a limit keeps them; the caller gets them oldest first */
  g_string_append(where, " ORDER BY created_at DESC, runs.name DESC");
  if (q->limit)
    g_string_append(where, " LIMIT :limit");
  sqlite3_stmt *st = prepare_runs_query(store, FALSE, where->str, error);
  if (st == NULL)
    return NULL;
#define BIND_TEXT(param, value) \
  sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, param), value, -1, SQLITE_TRANSIENT)
#define BIND_INT(param, value) sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, param), (sqlite3_int64)(value))
  BIND_TEXT(":state", q->state);
  BIND_TEXT(":agent", q->agent);
  BIND_INT(":since", q->since);
  BIND_TEXT(":not_trigger", q->not_trigger);
  BIND_INT(":limit", q->limit);
  if (q->reader != SHIFTD_RUN_QUERY_ANYONE) {
    g_autoptr(JsonArray) agents = json_array_new();
    for (const char *const *a = q->reader_agents; a && *a; a++)
      json_array_add_string_element(agents, *a);
    g_autoptr(JsonNode) node = json_node_init_array(json_node_alloc(), agents);
    g_autofree char *json = shiftd_json_to_string(node);
    BIND_INT(":reader", q->reader);
    BIND_TEXT(":agents", json);
  }
#undef BIND_TEXT
#undef BIND_INT
  GPtrArray *rows = read_run_rows(store, st, error);
  if (rows)
    reverse_rows(rows);
  return rows;
}

GPtrArray *
shiftd_store_load_agents(ShiftdStore *store, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(store->reader,
                         "SELECT name, enabled, current_interval, idle_streak, next_wake, last_run_at,"
                         " last_run, last_review_at, tokens_total, tokens_today, tokens_day FROM agents"
                         " ORDER BY name",
                         -1, &st, NULL) != SQLITE_OK) {
    set_sqlite_error(error, store->reader, "cannot read agents");
    return NULL;
  }
  GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)shiftd_agent_state_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ShiftdAgentState *a = g_new0(ShiftdAgentState, 1);
    a->name = column_text(st, 0);
    a->enabled = sqlite3_column_int(st, 1) != 0;
    a->current_interval = (guint64)sqlite3_column_int64(st, 2);
    a->idle_streak = (guint32)sqlite3_column_int64(st, 3);
    a->next_wake = (guint64)sqlite3_column_int64(st, 4);
    a->last_run_at = (guint64)sqlite3_column_int64(st, 5);
    a->last_run = column_text(st, 6);
    a->last_review_at = (guint64)sqlite3_column_int64(st, 7);
    a->tokens_total = (guint64)sqlite3_column_int64(st, 8);
    a->tokens_today = (guint64)sqlite3_column_int64(st, 9);
    a->tokens_day = (guint64)sqlite3_column_int64(st, 10);
    g_ptr_array_add(rows, a);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    set_sqlite_error(error, store->reader, "cannot read agents");
    g_ptr_array_unref(rows);
    return NULL;
  }
  return rows;
}

GPtrArray *
shiftd_store_get_events(ShiftdStore *store, const char *run, guint32 from, guint32 upto, guint32 max, GError **error)
{
  sqlite3_stmt *st = reader_stmt(store,
                                 "SELECT seq, time, kind, json FROM events WHERE run = ? AND seq >= ? AND seq <= ?"
                                 " ORDER BY seq LIMIT ?",
                                 error);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, from);
  sqlite3_bind_int64(st, 3, upto);
  sqlite3_bind_int64(st, 4, max);
  GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)shiftd_event_row_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ShiftdEventRow *e = g_new0(ShiftdEventRow, 1);
    e->seq = (guint32)sqlite3_column_int64(st, 0);
    e->time = (guint64)sqlite3_column_int64(st, 1);
    e->kind = column_text(st, 2);
    e->json = column_text(st, 3);
    g_ptr_array_add(rows, e);
  }
  if (rc != SQLITE_DONE) {
    set_sqlite_error(error, store->reader, "cannot read events");
    g_clear_pointer(&rows, g_ptr_array_unref);
  }
  reader_done(st);
  return rows;
}

char *
shiftd_store_get_checkpoint(ShiftdStore *store, const char *run, guint32 *out_step, GError **error)
{
  sqlite3_stmt *st = reader_stmt(store, "SELECT step, messages FROM checkpoints WHERE run = ?", error);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
  char *messages = NULL;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    if (out_step)
      *out_step = (guint32)sqlite3_column_int64(st, 0);
    messages = column_text(st, 1);
  } else if (rc != SQLITE_DONE) {
    set_sqlite_error(error, store->reader, "cannot read checkpoint");
  }
  reader_done(st);
  return messages;
}
