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
} CliArgs;

/* Fills args (call cli_args_clear after, also on failure). Errors are usage
 * errors in G_OPTION_ERROR; --help skips the argument-count checks. */
gboolean cli_args_parse(int argc, char **argv, CliArgs *args, GError **error);
void cli_args_clear(CliArgs *args);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CliArgs, cli_args_clear)

const char *cli_command_name(CliCommand command);
/* Help text for one command, or for all of them with CLI_CMD_NONE. */
char *cli_args_help(CliCommand command);
