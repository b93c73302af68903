/* The durable store: SQLite in WAL mode. Writes are batched into transactions by
 * a writer thread (group commit: one sync serves every transaction queued while
 * the previous one was syncing); completions come back to the owner's thread
 * through an eventfd, so replies and announcements are sent only once their
 * data is on disk. Reads use a second connection and never wait behind a sync. */
#pragma once

#include <glib.h>

#include "run-row.h"

typedef struct ShiftdStore ShiftdStore;
typedef struct ShiftdStoreTxn ShiftdStoreTxn;

/* error is NULL when the transaction is durable. */
typedef void (*ShiftdStoreDone)(gpointer user_data, const GError *error);

typedef struct {
  guint32 seq;
  guint64 time;
  char *kind;
  char *json;
} ShiftdEventRow;

void shiftd_event_row_free(ShiftdEventRow *event);

/* Opens STATE_DIR/shiftd.db, or makes a new one where there is no trace of a
 * store. A damaged or half-there store is refused with a SHIFTD_STORE_REFUSED
 * error (store-file.h) and left as it was. The caller holds the state
 * directory's lock (shiftd_state_lock_take). */
ShiftdStore *shiftd_store_open(const char *state_dir, GError **error);
/* Waits for queued writes, runs nothing further, closes. */
void shiftd_store_close(ShiftdStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdStore, shiftd_store_close)

const char *shiftd_store_get_path(ShiftdStore *store);
/* Readable when completions are ready; then call shiftd_store_dispatch(). */
int shiftd_store_get_notify_fd(ShiftdStore *store);
void shiftd_store_dispatch(ShiftdStore *store);
/* Blocks until every queued transaction is committed, then dispatches. */
void shiftd_store_flush(ShiftdStore *store);
/* How many COMMITs and transactions so far (group commit shows as commits < txns). */
void shiftd_store_get_stats(ShiftdStore *store, guint64 *commits, guint64 *txns);

ShiftdStoreTxn *shiftd_store_txn_new(void);
/* The run's record, all but its task (first: its receipt, no record yet)... */
void shiftd_store_txn_put_run(ShiftdStoreTxn *txn, const ShiftdRunRow *row, gboolean first);
/* ...which is written once, with the receipt. */
void shiftd_store_txn_put_task(ShiftdStoreTxn *txn, const char *run, const char *task);
void shiftd_store_txn_add_event(ShiftdStoreTxn *txn, const char *run, guint32 seq, guint64 time,
                                const char *kind, const char *json);
void shiftd_store_txn_put_checkpoint(ShiftdStoreTxn *txn, const char *run, guint32 step, const char *messages_json);
void shiftd_store_txn_put_agent(ShiftdStoreTxn *txn, const ShiftdAgentState *state);
/* Deletes finished runs with their events, tasks and checkpoints: those
 * finished before finished_before, then those beyond the newest keep_runs
 * (0: no such limit); at most max of them. Their names stay known (never
 * issued again). pruned (a GPtrArray of char*, freeing them) gets the names
 * when the txn is done. */
void shiftd_store_txn_prune(ShiftdStoreTxn *txn, guint64 finished_before, guint keep_runs, guint max,
                            GPtrArray *pruned);
/* Takes ownership of txn; done runs on the dispatching thread. */
void shiftd_store_commit(ShiftdStore *store, ShiftdStoreTxn *txn, ShiftdStoreDone done, gpointer user_data);

/* Reads */
/* The runs in queued, running or waiting, by creation. */
GPtrArray *shiftd_store_load_live_runs(ShiftdStore *store, GError **error);
/* The max most recently finished runs, oldest first. */
GPtrArray *shiftd_store_load_finished_runs(ShiftdStore *store, guint max, GError **error);
/* NULL (no error) when there is no such run. */
ShiftdRunRow *shiftd_store_load_run(ShiftdStore *store, const char *name, GError **error);
/* Issued before, pruned or not (TRUE when it cannot tell). */
gboolean shiftd_store_run_name_known(ShiftdStore *store, const char *name);

#define SHIFTD_RUN_QUERY_ANYONE G_MAXUINT64
typedef struct {
  const char *state;         /* NULL: any */
  const char *agent;         /* NULL: any */
  guint64 since;             /* created at or after */
  guint32 limit;             /* the newest this many; 0: all */
  gboolean finished_only;
  const char *not_trigger;   /* NULL: any */
  /* SHIFTD_RUN_QUERY_ANYONE, or only the runs this uid may read: its own and
   * those of reader_agents */
  guint64 reader;
  const char *const *reader_agents;
  gboolean unreadable;       /* instead, only those the reader may not read */
} ShiftdRunQuery;
/* Runs matching q, oldest first, without their tasks. */
GPtrArray *shiftd_store_list_runs(ShiftdStore *store, const ShiftdRunQuery *q, GError **error);
GPtrArray *shiftd_store_load_agents(ShiftdStore *store, GError **error);  /* ShiftdAgentState* */
/* Events from..upto (inclusive), at most max of them. */
GPtrArray *shiftd_store_get_events(ShiftdStore *store, const char *run, guint32 from, guint32 upto,
                                   guint32 max, GError **error); /* ShiftdEventRow* */
/* NULL with no error when the run has no checkpoint. */
char *shiftd_store_get_checkpoint(ShiftdStore *store, const char *run, guint32 *out_step, GError **error);
