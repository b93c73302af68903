/* One run: its record as it is on disk and on the bus (published) and, while a
 * change is staged or on its way to disk, as it will be (pending; else the
 * same record). Changes are staged in a RunTxn, committed to the store, and
 * published — properties, Event signals, RunFinished, DecisionRequested — only
 * once the commit is durable.
 *
 * Runs are reference-counted: the daemon holds the live ones, a window of the
 * most recently finished and a few loaded back from the store on demand
 * (run-table.c); a transaction, a worker or a pending call holds its own. */
#pragma once

#include <json-glib/json-glib.h>

#include "daemon.h"
#include "run-row.h"

typedef enum {
  RUN_HELD_NOT,    /* not in the daemon's table (pruned, or at exit) */
  RUN_HELD_LIVE,   /* queued, running or waiting */
  RUN_HELD_RECENT, /* finished, one of the window on the object manager */
  RUN_HELD_CACHED, /* finished, loaded from the store when asked for */
} RunHeld;

struct Run {
  int ref;
  Daemon *daemon;
  char *path;
  ShiftdRunRow *pending;   /* read it freely; write it only through run_edit() */
  ShiftdRunRow *published; /* NULL until the receipt is on disk */
  guint txns_in_flight;
  gboolean edited;         /* pending changed since the last commit took its snapshot */
  RunHeld held;
  GList held_link;         /* in the queue of its kind (recent or cached) */
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

typedef struct {
  guint32 seq;
  guint64 time;
  char *kind;
  char *json;
} RunEvent;

typedef struct RunTxn RunTxn;
typedef void (*RunCommitted)(Run *run, const GError *error, gpointer user_data);

Run *run_new(Daemon *d, ShiftdRunRow *row /* owned */, gboolean published);
Run *run_ref(Run *run);
void run_unref(Run *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Run, run_unref)
/* The record to change: pending, made apart from published first if need be.
 * Call it before the first change in a function, and commit in the same turn. */
ShiftdRunRow *run_edit(Run *run);

RunTxn *run_txn_begin(Run *run);
/* Appends an event (seq = next, time = now); data is consumed. */
void run_txn_event(RunTxn *t, const char *kind, JsonObject *data);
void run_txn_checkpoint(RunTxn *t, guint32 step, const char *messages);
/* Stores the agent's state as it is now in the same transaction, and once it
 * is durable announces these of its properties (static, NULL-terminated). */
void run_txn_agent(RunTxn *t, Agent *agent, const char *const *properties);
/* Loads the latest checkpoint from the store unless it is known already. */
void run_load_checkpoint(Run *run);
/* Commits; cb (may be NULL) runs once the data is durable, before announcements. */
void run_txn_commit(RunTxn *t, RunCommitted cb, gpointer user_data);
/* A `note` event {"text": text} on the run, committed on its own. */
void run_note(Run *run, const char *text);

gboolean run_is_live(const ShiftdRunRow *row);

/* A published run, from memory or else from the store; NULL when none. The
 * result stays valid until the loop runs again; keep a reference past that. */
Run *daemon_find_run(Daemon *d, const char *name);
