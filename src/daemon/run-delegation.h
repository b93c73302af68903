/* Runs that start runs (Delegates=, the start_run tool): the worker's
 * request, the authority a child is started with, the run tree's bounds,
 * a parent waiting for its child and resuming when it ends, and cancels
 * that follow the tree down. */
#pragma once

#include <json-glib/json-glib.h>

#include "daemon.h"
#include "run.h"

/* A run this many runs deep (a run nobody started is the first) starts none. */
#define DELEGATION_DEPTH_MAX 3
/* Children of one run that may be live at once, and started in all. */
#define DELEGATION_LIVE_CHILDREN_MAX 8
#define DELEGATION_CHILDREN_MAX 32

/* The hello's settings: start_run among the tools of an agent with Delegates=. */
void delegation_fill_settings(Agent *agent, JsonObject *settings);

/* A worker's `start_run` request: answered with a `reply` (ok and the
 * child's name once both records are durable, or ok false and why). */
void delegation_start_run(Worker *w, Run *parent, JsonObject *msg);

/* A run waiting for its child: resumes it if that child has ended (or is
 * gone from the store). */
void delegation_check_waiting(Run *run);
/* A run's final state is durable: its parent, if waiting for it, resumes. */
void delegation_run_finished(Run *run);
/* A run was cancelled: so are its live children (and theirs). */
void delegation_cancel_children(Run *run, guint32 uid);

/* At exit: the user-database thread. */
void delegation_forget(void);
