/* How a failure is told: one line on stderr (an object on stdout with
 * --json), a hint where one helps, and the exit status it calls for. */
#include <glib/gi18n.h>
#include <stdio.h>

#include "bus-error.h"
#include "cli-context.h"
#include "output.h"

static void
report(gboolean json, const char *name, const char *message, const char *dbus_name, const char *hint)
{
  fflush(stdout);
  fprintf(stderr, "shiftctl: %s\n", message);
  if (hint != NULL)
    fprintf(stderr, "%s\n", hint);
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
cli_exit_status_for(const char *name)
{
  static const char *const no_such[] = { "NoSuchRun", "NoSuchAgent", "UnknownObject", NULL };
  static const char *const not_running[] = { "NotRunning", "NotStarted", "NoBus", NULL };
  if (g_strv_contains(no_such, name))
    return CLI_EXIT_NO_SUCH;
  if (g_strv_contains(not_running, name))
    return CLI_EXIT_NOT_RUNNING;
  return CLI_EXIT_FAILURE;
}

int
cli_fail(CliContext *ctx, const GError *error)
{
  g_autofree char *where = cli_bus_describe(&ctx->bus);
  CliFailure failure;
  cli_failure_init(&failure, error, where);
  g_autofree char *hint = NULL;
  if (!ctx->quiet && (g_str_equal(failure.name, "NotRunning") || g_str_equal(failure.name, "NotStarted"))) {
    g_autofree char *command = cli_bus_status_hint(&ctx->bus);
    if (command != NULL)
      /* TRANSLATORS: %s is a command, "systemctl --user status shiftd" */
      hint = g_strdup_printf(_("See \"%s\" for details."), command);
  }
  report(ctx->json, failure.name, failure.message, failure.dbus_name, hint);
  int status = cli_exit_status_for(failure.name);
  cli_failure_clear(&failure);
  return status;
}

int
cli_fail_usage(gboolean json, const char *message)
{
  g_autofree char *line = g_strdup_printf(_("%s (see shiftctl --help)"), message);
  report(json, "Usage", line, NULL, NULL);
  return CLI_EXIT_USAGE;
}
