#include "bus.h"

#include <glib/gi18n.h>

#include "output.h"
#include "shiftd-names.h"

void
cli_bus_choose(CliBus *bus, CliBusChoice choice, const char *address, const char *env_address)
{
  g_free(bus->address);
  bus->address = NULL;
  bus->system = choice == CLI_BUS_SYSTEM;
  if (address != NULL && address[0] != '\0') {
    bus->kind = CLI_BUS_KIND_ADDRESS;
    bus->address = g_strdup(address);
  } else if (choice == CLI_BUS_SYSTEM) {
    bus->kind = CLI_BUS_KIND_SYSTEM;
  } else if (choice == CLI_BUS_DEFAULT && env_address != NULL && env_address[0] != '\0') {
    bus->kind = CLI_BUS_KIND_ADDRESS;
    bus->address = g_strdup(env_address);
  } else {
    bus->kind = CLI_BUS_KIND_SESSION;
  }
}

gboolean
cli_bus_connect(CliBus *bus, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (bus->kind == CLI_BUS_KIND_ADDRESS)
    bus->conn = g_dbus_connection_new_for_address_sync(
      bus->address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &local);
  else
    bus->conn = g_bus_get_sync(bus->kind == CLI_BUS_KIND_SYSTEM ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION,
                               NULL, &local);
  if (bus->conn == NULL) {
    g_autofree char *where = cli_bus_describe(bus);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, _("cannot connect to %s: %s"), where,
                local->message);
    return FALSE;
  }
  /* a vanished bus is reported as an error, not by exiting under our feet */
  g_dbus_connection_set_exit_on_close(bus->conn, FALSE);
  return TRUE;
}

void
cli_bus_clear(CliBus *bus)
{
  g_clear_object(&bus->conn);
  g_clear_pointer(&bus->address, g_free);
}

char *
cli_bus_describe(const CliBus *bus)
{
  switch (bus->kind) {
  case CLI_BUS_KIND_SESSION:
    return g_strdup(_("the session bus"));
  case CLI_BUS_KIND_SYSTEM:
    return g_strdup(_("the system bus"));
  case CLI_BUS_KIND_ADDRESS:
    return g_strdup_printf(_("the bus at %s"), bus->address);
  }
  g_assert_not_reached();
}

char *
cli_bus_flags(const CliBus *bus)
{
  if (bus->kind == CLI_BUS_KIND_ADDRESS) {
    g_autofree char *quoted = cli_shell_quote(bus->address);
    return g_strdup_printf("--address=%s%s ", quoted, bus->system ? " --system" : "");
  }
  return g_strdup(bus->kind == CLI_BUS_KIND_SYSTEM ? "--system " : "");
}

GVariant *
cli_bus_call(CliBus *bus, const char *path, const char *iface, const char *method, GVariant *params,
             const GVariantType *reply_type, GError **error)
{
  if (!bus->reached && !bus->no_activation)
    return cli_bus_call_starting(bus, path, iface, method, params, reply_type, error);
  /* once shiftd has answered, a shiftd gone mid-command is an error at once,
   * not a new daemon started under the command's feet */
  return g_dbus_connection_call_sync(bus->conn, SHIFTD_BUS_NAME, path, iface, method, params, reply_type,
                                     G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                     bus->timeout_msec ? bus->timeout_msec : CLI_CALL_TIMEOUT_MSEC, NULL, error);
}
