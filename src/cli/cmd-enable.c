/* enable, disable: arm or disarm a standing agent's schedule. */
#include <glib/gi18n.h>
#include <stdio.h>

#include "cli-context.h"
#include "output.h"
#include "props.h"
#include "run-api.h"
#include "shiftd-names.h"

/* The Agent object of the agent called name, from ListAgents (the API has no GetAgent). */
char *
cli_agent_path(CliBus *bus, const char *name, GError **error)
{
  g_autoptr(GVariant) reply = cli_bus_call(bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "ListAgents", NULL,
                                           G_VARIANT_TYPE("(a(sssto))"), error);
  if (reply == NULL)
    return NULL;
  g_autoptr(GVariant) list = g_variant_get_child_value(reply, 0);
  GVariantIter iter;
  const char *agent, *agent_path;
  g_variant_iter_init(&iter, list);
  while (g_variant_iter_next(&iter, "(&s&s&st&o)", &agent, NULL, NULL, NULL, &agent_path))
    if (g_str_equal(agent, name))
      return g_strdup(agent_path);
  /* the words shiftd uses for StartRun and TriggerAgent */
  g_autofree char *why = g_strdup_printf(_("no agent named \"%s\""), name);
  g_propagate_error(error, g_dbus_error_new_for_dbus_error(SHIFTD_ERROR_NO_SUCH_AGENT, why));
  return NULL;
}

static int
set_enabled(CliContext *ctx, const char *name, gboolean enabled)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cli_agent_path(&ctx->bus, name, &error);
  if (path == NULL)
    return cli_fail(ctx, error);
  g_autoptr(GVariant) reply = cli_bus_call(&ctx->bus, path, SHIFTD_AGENT_IFACE, "SetEnabled",
                                           g_variant_new("(b)", enabled), G_VARIANT_TYPE_UNIT, &error);
  if (reply == NULL)
    return cli_fail(ctx, error);

  /* when it wakes next is a courtesy: its absence is no failure */
  g_autoptr(GVariant) props = cli_get_all(&ctx->bus, path, SHIFTD_AGENT_IFACE, NULL);
  guint64 next_wake = cli_props_u64(props, "NextWakeAt");
  if (ctx->json) {
    g_autoptr(JsonObject) object = json_object_new();
    json_object_set_string_member(object, "name", name);
    json_object_set_string_member(object, "path", path);
    json_object_set_boolean_member(object, "enabled", enabled);
    json_object_set_int_member(object, "next_wake", (gint64)next_wake);
    cli_print_json_object(object, FALSE);
  } else if (!ctx->quiet) {
    if (!enabled) {
      /* TRANSLATORS: %s is an agent's name */
      printf(_("Disabled %s\n"), name);
    } else if (next_wake != 0) {
      g_autofree char *when = cli_format_relative(ctx->now, next_wake);
      /* TRANSLATORS: %s is an agent's name, then a time such as "in 15 min" */
      printf(_("Enabled %s; next wake %s\n"), name, when);
    } else {
      printf(_("Enabled %s\n"), name);
    }
  }
  return CLI_EXIT_OK;
}

int
cli_cmd_enable(CliContext *ctx, const CliArgs *args)
{
  return set_enabled(ctx, args->positional[0], TRUE);
}

int
cli_cmd_disable(CliContext *ctx, const CliArgs *args)
{
  return set_enabled(ctx, args->positional[0], FALSE);
}
