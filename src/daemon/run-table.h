/* The runs the daemon holds in memory: every live run, a window of the most
 * recently finished ones (what the object manager lists) and a few more
 * loaded back from the store when someone asks for them. Every other run is
 * in the store only, and still answers by its name and path. */
#pragma once

#include "daemon.h"
#include "run.h"

/* Finished runs the object manager lists, newest last. */
#define RUN_WINDOW_MAX 500
/* Finished runs outside the window kept after a look-up. */
#define RUN_CACHE_MAX 64

void run_table_init(Daemon *d);
/* At start-up: the live runs and the window. */
gboolean run_table_load(Daemon *d, GError **error);
void run_table_free(Daemon *d);

/* A new run (its receipt not yet on disk): the table takes the reference. */
void run_table_add_live(Daemon *d, Run *run);
/* Its final state is published: it joins the window, the oldest there
 * leaves the object manager. */
void run_table_finished(Daemon *d, Run *run);
/* Pruned from the store: gone from the bus and from memory. */
void run_table_forget(Daemon *d, const char *name);

/* In memory or on record, pruned or not. */
gboolean run_table_name_taken(Daemon *d, const char *name);
/* Paths of the live runs and the window, for the node enumerator. */
GPtrArray *run_table_listed_paths(Daemon *d);
/* The live runs, by creation (a copy, each with a reference). */
GPtrArray *run_table_live_runs(Daemon *d);
