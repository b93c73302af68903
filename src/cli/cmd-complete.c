/* __complete: what the shell completions ask (hidden from --help). One word
 * a line; nothing and a non-zero exit status (shiftctl's own: 2, 4, 7) when
 * shiftd cannot say. Never starts shiftd (see main.c): a Tab must not wake a
 * daemon.
 *   __complete commands          NAME<TAB>SUMMARY
 *   __complete options [COMMAND] --long[=]<TAB>HELP, -x<TAB>HELP
 *   __complete runs [live|STATE] run names
 *   __complete agents            agent names
 *   __complete choices NAME      the choices of a waiting run
 *   __complete states            the run states */
#include <stdio.h>

#include "cli-context.h"
#include "props.h"
#include "run-api.h"
#include "run-row.h"
#include "shiftd-names.h"

static const char *const states[] = { SHIFTD_STATE_QUEUED, SHIFTD_STATE_RUNNING, SHIFTD_STATE_WAITING,
                                      SHIFTD_STATE_DONE,   SHIFTD_STATE_IDLE,    SHIFTD_STATE_FAILED,
                                      SHIFTD_STATE_CANCELLED, NULL };

static int
complete_runs(CliContext *ctx, const char *which)
{
  gboolean live = g_strcmp0(which, "live") == 0;
  g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
  if (which != NULL && !live)
    g_variant_builder_add(&b, "{sv}", "state", g_variant_new_string(which));
  g_autoptr(GVariant) reply = cli_bus_call(&ctx->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "ListRuns",
                                           g_variant_new("(@a{sv})", g_variant_builder_end(&b)),
                                           G_VARIANT_TYPE("(a(ssssto))"), NULL);
  if (reply == NULL)
    return CLI_EXIT_FAILURE;
  g_autoptr(GVariant) runs = g_variant_get_child_value(reply, 0);
  GVariantIter iter;
  const char *name, *state;
  g_variant_iter_init(&iter, runs);
  while (g_variant_iter_next(&iter, "(&s&s&s&st&o)", &name, NULL, &state, NULL, NULL, NULL))
    if (!live || !shiftd_run_state_is_final(state))
      printf("%s\n", name);
  return CLI_EXIT_OK;
}

static int
complete_agents(CliContext *ctx)
{
  g_autoptr(GVariant) reply = cli_bus_call(&ctx->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "ListAgents",
                                           NULL, G_VARIANT_TYPE("(a(sssto))"), NULL);
  if (reply == NULL)
    return CLI_EXIT_FAILURE;
  g_autoptr(GVariant) agents = g_variant_get_child_value(reply, 0);
  GVariantIter iter;
  const char *name;
  g_variant_iter_init(&iter, agents);
  while (g_variant_iter_next(&iter, "(&s&s&st&o)", &name, NULL, NULL, NULL, NULL))
    printf("%s\n", name);
  return CLI_EXIT_OK;
}

static int
complete_choices(CliContext *ctx, const char *name)
{
  if (name == NULL)
    return CLI_EXIT_USAGE;
  g_autofree char *path = cli_run_path(&ctx->bus, name, NULL);
  if (path == NULL)
    return CLI_EXIT_NO_SUCH;
  g_autoptr(GVariant) props = cli_get_all(&ctx->bus, path, SHIFTD_RUN_IFACE, NULL);
  if (props == NULL)
    return CLI_EXIT_FAILURE;
  g_auto(GStrv) choices = cli_props_strv(props, "Choices");
  for (char **c = choices; *c; c++)
    printf("%s\n", *c);
  return CLI_EXIT_OK;
}

static int
print_text(char *text)
{
  fputs(text, stdout);
  g_free(text);
  return CLI_EXIT_OK;
}

int
cli_cmd_complete(CliContext *ctx, const CliArgs *args)
{
  const char *what = args->positional[0];
  const char *arg = args->positional[1];
  if (g_str_equal(what, "commands"))
    return print_text(cli_args_complete_commands());
  if (g_str_equal(what, "options")) {
    CliCommand command = CLI_CMD_NONE;
    for (guint c = 0; arg != NULL && c < CLI_N_COMMANDS; c++)
      if (g_strcmp0(cli_command_name(c), arg) == 0)
        command = c;
    return print_text(cli_args_complete_options(command));
  }
  if (g_str_equal(what, "states")) {
    for (const char *const *s = states; *s; s++)
      printf("%s\n", *s);
    return CLI_EXIT_OK;
  }
  if (!cli_bus_connect(&ctx->bus, NULL))
    return CLI_EXIT_NOT_RUNNING;
  if (g_str_equal(what, "runs"))
    return complete_runs(ctx, arg);
  if (g_str_equal(what, "agents"))
    return complete_agents(ctx);
  if (g_str_equal(what, "choices"))
    return complete_choices(ctx, arg);
  return CLI_EXIT_USAGE;
}
