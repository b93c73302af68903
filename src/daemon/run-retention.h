/* Finished runs past [Store] KeepFinished= or KeepRuns= are pruned with their
 * events, in the store's writer thread and in batches; what left the store
 * leaves memory and the bus. Their names stay taken. */
#pragma once

#include "daemon.h"

/* Prunes what is due now, then every hour. */
int run_retention_start(Daemon *d);
void run_retention_stop(Daemon *d);
/* A run finished: with KeepRuns= set, prune every so many. */
void run_retention_run_finished(Daemon *d);
