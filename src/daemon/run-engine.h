/* The run lifecycle shared by every front door and both backends: receipts,
 * launching attempts, worker messages, endings, cancel, timeouts, resume. */
#pragma once

#include <json-glib/json-glib.h>

#include "daemon.h"
#include "run.h"

typedef struct {
  const char *model;
  guint32 max_steps;
  guint64 timeout_usec;
  const char *label;
  /* start_run: the run starting this one (NULL: none) and its depth */
  const char *parent;
  guint32 parent_depth;
} RunOptions;

/* Creates a run and commits its receipt; cb runs when the receipt is durable
 * (the run is published), then the run is queued for a worker. */
Run *engine_start_run(Daemon *d, Agent *agent, const char *task, ShiftdRunTrigger trigger, guint32 owner,
                      const RunOptions *options, RunCommitted cb, gpointer user_data, GError **error);

/* Cancel: the final state is committed (cb runs then), the worker is stopped. */
gboolean engine_cancel(Run *run, guint32 uid, RunCommitted cb, gpointer user_data, GError **error);
/* Answer a waiting run: records `answered`, queues the next attempt. */
gboolean engine_answer(Run *run, const char *choice, guint32 uid, const char *via,
                       RunCommitted cb, gpointer user_data, GError **error);

/* The child run a run waits for ended (outcome: the tool result its next
 * attempt gets): records `child_ended` and queues that attempt. */
void engine_child_ended(Run *run, const char *child, const char *state, const char *outcome);

/* Start-up: runs whose worker was lost are queued to resume; deadlines re-armed. */
void engine_recover(Daemon *d);
/* Starts queued runs while there is room. */
void engine_launch_queued(Daemon *d);
/* Clean stop: tell every worker to stop; runs keep their state for the next start. */
void engine_stop_all(Daemon *d);

/* From the worker connection. */
void engine_worker_message(Worker *w, const char *type, JsonObject *msg);
void engine_worker_protocol_error(Worker *w, const char *reason);
void engine_worker_gone(Worker *w, const char *reason);

/* Slot limiter callbacks. */
void engine_slot_granted(gpointer waiter, gpointer user_data);
void engine_slots_changed(gpointer user_data);
