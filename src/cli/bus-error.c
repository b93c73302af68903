#include "bus-error.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

#include "event-render.h"
#include "shiftd-names.h"

G_DEFINE_QUARK(shiftctl-error-quark, cli_error)

static char *
short_name(const char *dbus_name)
{
  if (g_str_has_prefix(dbus_name, SHIFTD_ERROR_PREFIX))
    return g_strdup(dbus_name + strlen(SHIFTD_ERROR_PREFIX));
  const char *dot = strrchr(dbus_name, '.');
  return g_strdup(dot ? dot + 1 : dbus_name);
}

static const char *
local_name(const GError *error)
{
  if (error->domain == CLI_ERROR)
    return error->code == CLI_ERROR_VANISHED ? "Vanished" : error->code == CLI_ERROR_NOT_STARTED ? "NotStarted"
                                                                                                : "Protocol";
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return "Timeout";
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED))
    return "NoBus";
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    return "Disconnected";
  return "Failed";
}

void
cli_failure_init(CliFailure *failure, const GError *error, const char *bus_description)
{
  memset(failure, 0, sizeof *failure);
  failure->dbus_name = g_dbus_error_get_remote_error(error);

  if (failure->dbus_name != NULL &&
      (g_str_equal(failure->dbus_name, "org.freedesktop.DBus.Error.ServiceUnknown") ||
       g_str_equal(failure->dbus_name, "org.freedesktop.DBus.Error.NameHasNoOwner"))) {
    failure->name = g_strdup("NotRunning");
    failure->message = g_strdup_printf(_("shiftd is not running on %s (%s has no owner)"),
                                       bus_description, SHIFTD_BUS_NAME);
    return;
  }

  g_autoptr(GError) copy = g_error_copy(error);
  g_dbus_error_strip_remote_error(copy);
  /* An activation that failed: shiftd's own answer (it says so itself),
   * dbus-daemon's ("Process … exited with status 78") or systemd's. */
  if (failure->dbus_name != NULL && (g_str_has_prefix(failure->dbus_name, "org.freedesktop.DBus.Error.Spawn.") ||
                                     g_str_has_prefix(failure->dbus_name, "org.freedesktop.systemd1."))) {
    g_autofree char *flat = cli_flatten(copy->message);
    failure->name = g_strdup("NotStarted");
    failure->message = g_str_has_prefix(flat, "shiftd failed to start")
                         ? g_steal_pointer(&flat)
                         : g_strdup_printf(_("shiftd failed to start: %s"), flat);
    return;
  }
  failure->name = failure->dbus_name ? short_name(failure->dbus_name) : g_strdup(local_name(error));
  failure->message = cli_flatten(copy->message);
  if (failure->message[0] == '\0') {
    g_free(failure->message);
    failure->message = g_strdup(failure->dbus_name ? failure->dbus_name : "unknown error");
  }
}

void
cli_failure_clear(CliFailure *failure)
{
  g_clear_pointer(&failure->name, g_free);
  g_clear_pointer(&failure->message, g_free);
  g_clear_pointer(&failure->dbus_name, g_free);
}
