/* What every command gets: the bus, and how to print. */
#pragma once

#include <glib.h>

#include "args.h"
#include "bus.h"

/* Exit statuses, after systemctl and LSB where they fit. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1     /* a call failed; a followed run failed or was cancelled */
#define CLI_EXIT_USAGE 2       /* invalid or excess arguments */
#define CLI_EXIT_NO_SUCH 4     /* no such run or agent (systemctl: no such unit) */
#define CLI_EXIT_NOT_RUNNING 7 /* shiftd is not running, cannot be reached, or failed to start (LSB) */

typedef struct {
  CliBus bus;
  gboolean json;
  gboolean color;
  gboolean quiet;
  gboolean no_legend;
  gboolean pager_allowed; /* stdout is a terminal and --no-pager was not given */
  guint width;            /* columns to fit lines into; 0: no limit */
  guint64 now;            /* µs since the epoch, read once */
  GTimeZone *tz;
} CliContext;

/* Reports error (one line on stderr, and a hint line where one helps; with
 * --json also an object on stdout) and returns the exit status it calls for. */
int cli_fail(CliContext *ctx, const GError *error);
/* The same for a usage error; returns CLI_EXIT_USAGE. */
int cli_fail_usage(gboolean json, const char *message);
/* The exit status for a failure named name ("NoSuchRun", "NotRunning", …). */
int cli_exit_status_for(const char *failure_name);

/* Pages what follows on stdout when that is allowed (see pager.h). */
void cli_page(CliContext *ctx);

int cli_cmd_start(CliContext *ctx, const CliArgs *args);
int cli_cmd_trigger(CliContext *ctx, const CliArgs *args);
int cli_cmd_status(CliContext *ctx, const CliArgs *args);
int cli_cmd_list(CliContext *ctx, const CliArgs *args);
int cli_cmd_events(CliContext *ctx, const CliArgs *args);
int cli_cmd_cancel(CliContext *ctx, const CliArgs *args);
int cli_cmd_answer(CliContext *ctx, const CliArgs *args);
int cli_cmd_reload(CliContext *ctx, const CliArgs *args);
int cli_cmd_agents(CliContext *ctx, const CliArgs *args);
int cli_cmd_enable(CliContext *ctx, const CliArgs *args);
int cli_cmd_disable(CliContext *ctx, const CliArgs *args);
int cli_cmd_watch(CliContext *ctx, const CliArgs *args);
int cli_cmd_complete(CliContext *ctx, const CliArgs *args);
