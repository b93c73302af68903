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

#define SCHEMA_VERSION 1
/* Checkpoint once the WAL holds this many frames: a small WAL is rewritten in
 * place from its start, and an in-place write syncs faster than an append. */
#define CHECKPOINT_FRAMES 64

typedef enum {
  OP_PUT_RUN,
  OP_PUT_TASK,
  OP_ADD_EVENT,
  OP_PUT_CHECKPOINT,
  OP_PUT_AGENT,
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
  sqlite3_stmt *put_task;
  sqlite3_stmt *add_event;
  sqlite3_stmt *put_checkpoint;
  sqlite3_stmt *put_agent;
  GThread *thread;
  GMutex lock;
  GCond cond;
  /* checkpoints run beside the writer, never in its way */
  sqlite3 *checkpointer;
  GThread *checkpoint_thread;
  GCond checkpoint_cond;
  gboolean checkpoint_wanted;
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
  " timeout INTEGER NOT NULL, label TEXT NOT NULL, active_usec INTEGER NOT NULL, answer TEXT) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS events ("
  " run TEXT NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL, kind TEXT NOT NULL,"
  " json TEXT NOT NULL, PRIMARY KEY (run, seq)) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS checkpoints ("
  " run TEXT PRIMARY KEY NOT NULL, step INTEGER NOT NULL, messages TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS agents ("
  " name TEXT PRIMARY KEY NOT NULL, enabled INTEGER NOT NULL, current_interval INTEGER NOT NULL,"
  " idle_streak INTEGER NOT NULL, next_wake INTEGER NOT NULL, last_run_at INTEGER NOT NULL,"
  " last_run TEXT NOT NULL, last_review_at INTEGER NOT NULL);";

static const char put_run_sql[] =
  "INSERT OR REPLACE INTO runs (name, agent, trigger, state, summary, result, error,"
  " question, choices, decision_default, decision_deadline, step, attempt, event_count,"
  " created_at, started_at, updated_at, finished_at, unit, owner, model, max_steps, timeout,"
  " label, active_usec, answer) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char select_runs_sql[] =
  "SELECT runs.name, agent, coalesce(task, ''), trigger, state, summary, result, error,"
  " question, choices, decision_default, decision_deadline, step, attempt, event_count,"
  " created_at, started_at, updated_at, finished_at, unit, owner, model, max_steps, timeout,"
  " label, active_usec, answer FROM runs LEFT JOIN run_tasks USING (name) ORDER BY created_at, runs.name";

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
shiftd_store_txn_put_run(ShiftdStoreTxn *txn, const ShiftdRunRow *row)
{
  Op *op = g_new0(Op, 1);
  op->kind = OP_PUT_RUN;
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

/* --- writer thread --- */

static int
bind_text(sqlite3_stmt *st, int i, const char *text)
{
  if (text == NULL)
    return sqlite3_bind_null(st, i);
  return sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

static int
exec_put_run(ShiftdStore *store, const ShiftdRunRow *r)
{
  sqlite3_stmt *st = store->put_run;
  g_autofree char *choices_json = NULL;
  if (r->choices && r->choices[0]) {
    g_autoptr(JsonArray) choices = json_array_new();
    for (char **c = r->choices; *c; c++)
      json_array_add_string_element(choices, *c);
    g_autoptr(JsonNode) node = json_node_init_array(json_node_alloc(), choices);
    choices_json = shiftd_json_to_string(node);
  }
  int i = 1;
  bind_text(st, i++, r->name);
  bind_text(st, i++, r->agent);
  bind_text(st, i++, r->trigger);
  bind_text(st, i++, r->state);
  bind_text(st, i++, r->summary);
  bind_text(st, i++, r->result);
  bind_text(st, i++, r->error);
  bind_text(st, i++, r->question);
  bind_text(st, i++, choices_json ? choices_json : "[]");
  bind_text(st, i++, r->decision_default);
  sqlite3_bind_int64(st, i++, (sqlite3_int64)r->decision_deadline);
  sqlite3_bind_int64(st, i++, r->step);
  sqlite3_bind_int64(st, i++, r->attempt);
  sqlite3_bind_int64(st, i++, r->event_count);
  sqlite3_bind_int64(st, i++, (sqlite3_int64)r->created_at);
  sqlite3_bind_int64(st, i++, (sqlite3_int64)r->started_at);
  sqlite3_bind_int64(st, i++, (sqlite3_int64)r->updated_at);
  sqlite3_bind_int64(st, i++, (sqlite3_int64)r->finished_at);
  bind_text(st, i++, r->unit);
  sqlite3_bind_int64(st, i++, r->owner);
  bind_text(st, i++, r->model);
  sqlite3_bind_int64(st, i++, r->max_steps);
  sqlite3_bind_int64(st, i++, (sqlite3_int64)r->timeout_usec);
  bind_text(st, i++, r->label);
  sqlite3_bind_int64(st, i++, (sqlite3_int64)r->active_usec);
  bind_text(st, i++, r->answer);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

static int
exec_op(ShiftdStore *store, Op *op)
{
  sqlite3_stmt *st = NULL;
  switch (op->kind) {
  case OP_PUT_RUN:
    return exec_put_run(store, op->run);
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
    while (g_queue_is_empty(&store->pending) && !store->stopping)
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
  if (frames >= CHECKPOINT_FRAMES) {
    g_mutex_lock(&store->lock);
    store->checkpoint_wanted = TRUE;
    g_cond_signal(&store->checkpoint_cond);
    g_mutex_unlock(&store->lock);
  }
  return SQLITE_OK;
}

static gpointer
checkpoint_thread(gpointer data)
{
  ShiftdStore *store = data;
  for (;;) {
    g_mutex_lock(&store->lock);
    while (!store->checkpoint_wanted && !store->stopping)
      g_cond_wait(&store->checkpoint_cond, &store->lock);
    gboolean stop = store->stopping;
    store->checkpoint_wanted = FALSE;
    g_mutex_unlock(&store->lock);
    if (stop)
      break;
    /* PASSIVE: copies what it can without blocking the writer or readers. */
    sqlite3_wal_checkpoint_v2(store->checkpointer, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  }
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
  const ShiftdStoreSchema schema = { schema_sql, SCHEMA_VERSION, tables };
  store->path = shiftd_store_file_prepare(state_dir, &schema, error);
  if (store->path == NULL)
    goto fail;

  store->writer = open_connection(store->path, error);
  if (store->writer == NULL)
    goto fail;

  if (!prepare(store->writer, "BEGIN IMMEDIATE", &store->begin, error) ||
      !prepare(store->writer, "COMMIT", &store->commit, error) ||
      !prepare(store->writer, put_run_sql, &store->put_run, error) ||
      !prepare(store->writer, "INSERT OR REPLACE INTO run_tasks (name, task) VALUES (?,?)", &store->put_task,
               error) ||
      !prepare(store->writer, "INSERT INTO events (run, seq, time, kind, json) VALUES (?,?,?,?,?)",
               &store->add_event, error) ||
      !prepare(store->writer, "INSERT OR REPLACE INTO checkpoints (run, step, messages) VALUES (?,?,?)",
               &store->put_checkpoint, error) ||
      !prepare(store->writer,
               "INSERT OR REPLACE INTO agents (name, enabled, current_interval, idle_streak, next_wake,"
               " last_run_at, last_run, last_review_at) VALUES (?,?,?,?,?,?,?,?)",
               &store->put_agent, error))
    goto fail;

  store->reader = open_connection(store->path, error);
  if (store->reader == NULL)
    goto fail;
  store->checkpointer = open_connection(store->path, error);
  if (store->checkpointer == NULL)
    goto fail;
  sqlite3_wal_autocheckpoint(store->writer, 0);
  sqlite3_wal_hook(store->writer, on_wal_commit, store);

  store->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (store->event_fd < 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "eventfd: %s", g_strerror(e));
    goto fail;
  }
  store->thread = g_thread_new("shiftd-store", writer_thread, store);
  store->checkpoint_thread = g_thread_new("shiftd-checkpoint", checkpoint_thread, store);
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
  sqlite3_finalize(store->put_task);
  sqlite3_finalize(store->add_event);
  sqlite3_finalize(store->put_checkpoint);
  sqlite3_finalize(store->put_agent);
  sqlite3_close(store->writer);
  sqlite3_close(store->reader);
  sqlite3_close(store->checkpointer);
  if (store->event_fd >= 0)
    close(store->event_fd);
  g_mutex_clear(&store->lock);
  g_cond_clear(&store->cond);
  g_cond_clear(&store->checkpoint_cond);
  g_free(store->path);
  g_free(store);
}

/* --- reads --- */

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

GPtrArray *
shiftd_store_load_runs(ShiftdStore *store, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(store->reader, select_runs_sql, -1, &st, NULL) != SQLITE_OK) {
    set_sqlite_error(error, store->reader, "cannot read runs");
    return NULL;
  }
  GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)shiftd_run_row_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ShiftdRunRow *r = g_new0(ShiftdRunRow, 1);
    int i = 0;
    r->name = column_text(st, i++);
    r->agent = column_text(st, i++);
    r->task = column_text(st, i++);
    r->trigger = column_text(st, i++);
    r->state = column_text(st, i++);
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
    g_ptr_array_add(rows, r);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    set_sqlite_error(error, store->reader, "cannot read runs");
    g_ptr_array_unref(rows);
    return NULL;
  }
  return rows;
}

GPtrArray *
shiftd_store_load_agents(ShiftdStore *store, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(store->reader,
                         "SELECT name, enabled, current_interval, idle_streak, next_wake, last_run_at,"
                         " last_run, last_review_at FROM agents ORDER BY name",
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
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(store->reader,
                         "SELECT seq, time, kind, json FROM events WHERE run = ? AND seq >= ? AND seq <= ?"
                         " ORDER BY seq LIMIT ?",
                         -1, &st, NULL) != SQLITE_OK) {
    set_sqlite_error(error, store->reader, "cannot read events");
    return NULL;
  }
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
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    set_sqlite_error(error, store->reader, "cannot read events");
    g_ptr_array_unref(rows);
    return NULL;
  }
  return rows;
}

char *
shiftd_store_get_checkpoint(ShiftdStore *store, const char *run, guint32 *out_step, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(store->reader, "SELECT step, messages FROM checkpoints WHERE run = ?", -1, &st, NULL) !=
      SQLITE_OK) {
    set_sqlite_error(error, store->reader, "cannot read checkpoint");
    return NULL;
  }
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
  sqlite3_finalize(st);
  return messages;
}
