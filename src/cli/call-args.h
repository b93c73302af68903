/* Command-line options turned into the a{sv} arguments of the Manager's calls. */
#pragma once

#include <glib.h>

#include "args.h"

/* StartRun options: model s, max_steps u, timeout t (µs), label s. Floating. */
GVariant *cli_start_options_build(const CliArgs *args, GError **error);
/* ListRuns filter: state s, agent s, limit u, since t (now - SPAN). Floating. */
GVariant *cli_list_filter_build(const CliArgs *args, guint64 now_usec, GError **error);
/* The task: the words joined by spaces. */
char *cli_task_from_words(char **words, GError **error);
