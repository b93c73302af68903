/* shiftctl's command line: options may appear anywhere, like systemctl's. */
#pragma once

#include <glib.h>

typedef enum {
  CLI_CMD_START,
  CLI_CMD_STATUS,
  CLI_CMD_LIST,
  CLI_CMD_EVENTS,
  CLI_CMD_CANCEL,
  CLI_CMD_ANSWER,
  CLI_CMD_AGENTS,
  CLI_CMD_TRIGGER,
  CLI_CMD_RELOAD,
  CLI_CMD_ENABLE,
  CLI_CMD_DISABLE,
  CLI_CMD_WATCH,
  CLI_CMD_COMPLETE, /* hidden: what the shell completions ask */
  CLI_N_COMMANDS,
  CLI_CMD_NONE = CLI_N_COMMANDS,
} CliCommand;

typedef enum {
  CLI_BUS_DEFAULT,
  CLI_BUS_USER,
  CLI_BUS_SYSTEM,
} CliBusChoice;

typedef struct {
  CliCommand command;
  char **positional; /* the words after the command */
  CliBusChoice bus;
  char *address;
  gboolean json;
  gboolean help;
  gboolean version;
  gboolean quiet;     /* -q: no confirmations, notes or hints; errors still */
  gboolean no_pager;
  gboolean no_legend; /* no column headers, no footers */
  /* command options */
  char *agent;
  char *model;
  char *timeout;
  char *label;
  char *state;
  char *since;
  gboolean follow;
  gboolean wait;
  gboolean have_max_steps;
  guint32 max_steps;
  gboolean have_limit;
  guint32 limit;
  gboolean have_from;
  guint32 from;
  gboolean have_lines;
  guint32 lines; /* -n: events shown by status and events (0 is allowed) */
} CliArgs;

/* Fills args (call cli_args_clear after, also on failure). Errors are usage
 * errors in G_OPTION_ERROR; --help skips the argument-count checks. */
gboolean cli_args_parse(int argc, char **argv, CliArgs *args, GError **error);
void cli_args_clear(CliArgs *args);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CliArgs, cli_args_clear)

const char *cli_command_name(CliCommand command);
/* Help text for one command, or for all of them with CLI_CMD_NONE (translated). */
char *cli_args_help(CliCommand command);

/* For the shell completions: the commands (not the hidden one) with their
 * summaries, "NAME\tSUMMARY" a line; and the options a command takes (with
 * the global ones), "--long\tHELP" or "--long=\tHELP" a line, then "-x\tHELP". */
char *cli_args_complete_commands(void);
char *cli_args_complete_options(CliCommand command);
