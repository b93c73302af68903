/* One run: its record as it will be (pending) and as it is on disk and on the
 * bus (published). Changes are staged in a RunTxn, committed to the store, and
 * published — properties, Event signals, RunFinished, DecisionRequested — only
 * once the commit is durable. */
#pragma once

#include <json-glib/json-glib.h>

#include "daemon.h"
#include "run-row.h"

struct Run {
  Daemon *daemon;
  char *path;
  ShiftdRunRow *pending;
  ShiftdRunRow *published; /* NULL until the receipt is on disk */
  Worker *worker;          /* the live attempt, or NULL */
  gboolean resume_next;    /* the next attempt replaces a lost worker */
  gboolean task_stored;
  gboolean in_launch_queue;
  char *checkpoint;        /* latest conversation (JSON array), when known */
  guint32 checkpoint_step; /* model steps the checkpoint holds */
  gboolean checkpoint_loaded;
  guint64 attempt_started_mono;
  sd_event_source *timeout_source;
  sd_event_source *deadline_source;
};

typedef struct RunTxn RunTxn;
typedef void (*RunCommitted)(Run *run, const GError *error, gpointer user_data);

Run *run_new(Daemon *d, ShiftdRunRow *row /* owned */, gboolean published);
void run_free(Run *run);

RunTxn *run_txn_begin(Run *run);
/* Appends an event (seq = next, time = now); data is consumed. */
void run_txn_event(RunTxn *t, const char *kind, JsonObject *data);
void run_txn_checkpoint(RunTxn *t, guint32 step, const char *messages);
/* Loads the latest checkpoint from the store unless it is known already. */
void run_load_checkpoint(Run *run);
/* Commits; cb (may be NULL) runs once the data is durable, before announcements. */
void run_txn_commit(RunTxn *t, RunCommitted cb, gpointer user_data);

gboolean run_is_live(const ShiftdRunRow *row);
/* Announces a Summary change that is not stored (model-slot queue position). */
void run_emit_summary_changed(Run *run);

Run *daemon_find_run(Daemon *d, const char *name);
Run *daemon_find_run_by_path(Daemon *d, const char *path);
