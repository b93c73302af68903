/* A run's place in the run tree (start_run): the runs its Parent and
 * Children properties name, read from the daemon for status. */
#pragma once

#include <json-glib/json-glib.h>

#include "bus.h"

typedef struct {
  char *path;
  char *name;  /* "" when the run could not be read */
  char *state;
} CliTreeRun;

void cli_tree_run_free(CliTreeRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliTreeRun, cli_tree_run_free)

/* The parent, NULL when Parent is "/" or absent (an older daemon). */
CliTreeRun *cli_run_tree_parent(CliBus *bus, GVariant *props);
/* The children, oldest first (CliTreeRun). */
GPtrArray *cli_run_tree_children(CliBus *bus, GVariant *props);

/* "name (state)", or the path when the run could not be read. */
char *cli_tree_run_describe(const CliTreeRun *run);
/* {"name", "state", "path"}. */
JsonObject *cli_tree_run_to_json(const CliTreeRun *run);
