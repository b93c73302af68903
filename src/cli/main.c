/* shiftctl: talk to shiftd over D-Bus, like systemctl does to systemd. */
#include "build-config.h"
#include "locale-setup.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli-context.h"
#include "output.h"
#include "pager.h"

typedef int (*CommandFunc)(CliContext *ctx, const CliArgs *args);

static const CommandFunc handlers[CLI_N_COMMANDS] = {
  [CLI_CMD_START] = cli_cmd_start,     [CLI_CMD_STATUS] = cli_cmd_status,
  [CLI_CMD_LIST] = cli_cmd_list,       [CLI_CMD_EVENTS] = cli_cmd_events,
  [CLI_CMD_CANCEL] = cli_cmd_cancel,   [CLI_CMD_ANSWER] = cli_cmd_answer,
  [CLI_CMD_AGENTS] = cli_cmd_agents,   [CLI_CMD_TRIGGER] = cli_cmd_trigger,
  [CLI_CMD_RELOAD] = cli_cmd_reload,   [CLI_CMD_ENABLE] = cli_cmd_enable,
  [CLI_CMD_DISABLE] = cli_cmd_disable, [CLI_CMD_WATCH] = cli_cmd_watch,
  [CLI_CMD_COMPLETE] = cli_cmd_complete,
};

/* --json must shape even the report of a command line that does not parse. */
static gboolean
wants_json(int argc, char **argv)
{
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "--json") == 0)
      return TRUE;
  return FALSE;
}

int
main(int argc, char **argv)
{
  shiftd_setup_locale();

  g_auto(CliArgs) args = { 0 };
  g_autoptr(GError) error = NULL;
  if (!cli_args_parse(argc, argv, &args, &error))
    return cli_fail_usage(wants_json(argc, argv), error->message);

  if (args.version) {
    printf("shiftctl %s\n", PACKAGE_VERSION);
    return CLI_EXIT_OK;
  }
  gboolean tty = isatty(STDOUT_FILENO);
  if (args.help) {
    g_autofree char *help = cli_args_help(args.command);
    if (tty && !args.no_pager)
      cli_pager_open();
    fputs(help, stdout);
    cli_pager_close();
    return CLI_EXIT_OK;
  }
  if (args.command == CLI_CMD_NONE)
    return cli_fail_usage(args.json, _("no command given"));

  CliContext ctx = {
    .json = args.json,
    .quiet = args.quiet,
    .no_legend = args.no_legend,
    .pager_allowed = tty && !args.no_pager,
    .width = cli_output_width(tty, g_getenv("COLUMNS")),
    .now = cli_clock_now(),
  };
  ctx.color = !args.json && cli_color_wanted(tty, g_getenv("NO_COLOR"), g_getenv("TERM"));
  ctx.tz = g_time_zone_new_local();
  cli_bus_choose(&ctx.bus, args.bus, args.address, g_getenv("SHIFTD_BUS_ADDRESS"));
  if (args.command == CLI_CMD_COMPLETE) {
    /* completions never start shiftd, and give up soon */
    ctx.bus.no_activation = TRUE;
    ctx.bus.timeout_msec = 2000;
  }

  int status;
  if (args.command == CLI_CMD_COMPLETE)
    status = cli_cmd_complete(&ctx, &args); /* connects when it needs the bus */
  else if (!cli_bus_connect(&ctx.bus, &error))
    status = cli_fail(&ctx, error);
  else
    status = handlers[args.command](&ctx, &args);

  cli_pager_close();
  cli_bus_clear(&ctx.bus);
  g_time_zone_unref(ctx.tz);
  return status;
}
