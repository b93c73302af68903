/* cancel, answer, reload: one call each, and a word on how it went. */
#include <stdio.h>

#include "cli-context.h"
#include "output.h"
#include "props.h"
#include "run-api.h"
#include "shiftd-names.h"

/* Calls method on the run called name, then reports the state it is in now. */
static int
call_on_run(CliContext *ctx, const char *name, const char *method, GVariant *params,
            const char *done_text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cli_run_path(&ctx->bus, name, &error);
  if (path == NULL)
    return cli_fail(ctx, error);
  g_autoptr(GVariant) reply =
    cli_bus_call(&ctx->bus, path, SHIFTD_RUN_IFACE, method, params, G_VARIANT_TYPE_UNIT, &error);
  if (reply == NULL)
    return cli_fail(ctx, error);

  /* the state after the call is a courtesy: its absence is no failure */
  g_autoptr(GVariant) props = cli_get_all(&ctx->bus, path, SHIFTD_RUN_IFACE, NULL);
  const char *state = cli_props_str(props, "State");
  if (ctx->json) {
    g_autoptr(JsonObject) object = json_object_new();
    json_object_set_string_member(object, "name", name);
    json_object_set_string_member(object, "path", path);
    if (state[0] != '\0')
      json_object_set_string_member(object, "state", state);
    cli_print_json_object(object, FALSE);
  } else if (state[0] != '\0') {
    g_autofree char *shown = cli_colorize(state, cli_state_sgr(state), ctx->color);
    printf("%s %s; it is %s now\n", done_text, name, shown);
  } else {
    printf("%s %s\n", done_text, name);
  }
  return CLI_EXIT_OK;
}

int
cli_cmd_cancel(CliContext *ctx, const CliArgs *args)
{
  return call_on_run(ctx, args->positional[0], "Cancel", NULL, "Cancelled");
}

int
cli_cmd_answer(CliContext *ctx, const CliArgs *args)
{
  return call_on_run(ctx, args->positional[0], "Answer", g_variant_new("(s)", args->positional[1]),
                     "Answered");
}

int
cli_cmd_reload(CliContext *ctx, const CliArgs *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = cli_bus_call(&ctx->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE,
                                           "Reload", NULL, G_VARIANT_TYPE_UNIT, &error);
  if (reply == NULL)
    return cli_fail(ctx, error);
  if (ctx->json) {
    g_autoptr(JsonObject) object = json_object_new();
    json_object_set_boolean_member(object, "reloaded", TRUE);
    cli_print_json_object(object, FALSE);
  }
  return CLI_EXIT_OK;
}
