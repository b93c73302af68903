/* What every command gets: the bus, and how to print. */
#pragma once

#include <glib.h>

#include "args.h"
#include "bus.h"

/* Exit statuses: 1 covers both "the call failed" and "the run failed". */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE 2

typedef struct {
  CliBus bus;
  gboolean json;
  gboolean color;
  GTimeZone *tz;
} CliContext;

/* Reports error (one line on stderr; with --json also an object on stdout)
 * and returns CLI_EXIT_FAILURE. */
int cli_fail(CliContext *ctx, const GError *error);
/* The same for a usage error; returns CLI_EXIT_USAGE. */
int cli_fail_usage(gboolean json, const char *message);

int cli_cmd_start(CliContext *ctx, const CliArgs *args);
int cli_cmd_trigger(CliContext *ctx, const CliArgs *args);
int cli_cmd_status(CliContext *ctx, const CliArgs *args);
int cli_cmd_list(CliContext *ctx, const CliArgs *args);
int cli_cmd_events(CliContext *ctx, const CliArgs *args);
int cli_cmd_cancel(CliContext *ctx, const CliArgs *args);
int cli_cmd_answer(CliContext *ctx, const CliArgs *args);
int cli_cmd_reload(CliContext *ctx, const CliArgs *args);
int cli_cmd_agents(CliContext *ctx, const CliArgs *args);
