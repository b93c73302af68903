#include <stdio.h>

#include "bus-error.h"
#include "cli-context.h"
#include "output.h"

static void
report(gboolean json, const char *name, const char *message, const char *dbus_name)
{
  fflush(stdout);
  fprintf(stderr, "shiftctl: %s\n", message);
  if (json) {
    g_autoptr(JsonObject) object = json_object_new();
    json_object_set_string_member(object, "error", name);
    json_object_set_string_member(object, "message", message);
    if (dbus_name != NULL)
      json_object_set_string_member(object, "dbus_error", dbus_name);
    cli_print_json_object(object, FALSE);
  }
}

int
cli_fail(CliContext *ctx, const GError *error)
{
  g_autofree char *where = cli_bus_describe(&ctx->bus);
  CliFailure failure;
  cli_failure_init(&failure, error, where);
  report(ctx->json, failure.name, failure.message, failure.dbus_name);
  cli_failure_clear(&failure);
  return CLI_EXIT_FAILURE;
}

int
cli_fail_usage(gboolean json, const char *message)
{
  g_autofree char *line = g_strdup_printf("%s (see shiftctl --help)", message);
  report(json, "Usage", line, NULL);
  return CLI_EXIT_USAGE;
}
