#include "run-api.h"

#include "event.h"
#include "shiftd-names.h"

char *
cli_run_path(CliBus *bus, const char *name, GError **error)
{
  g_autoptr(GVariant) reply = cli_bus_call(bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "GetRun",
                                           g_variant_new("(s)", name), G_VARIANT_TYPE("(o)"), error);
  if (reply == NULL)
    return NULL;
  char *path = NULL;
  g_variant_get(reply, "(o)", &path);
  return path;
}

GVariant *
cli_get_all(CliBus *bus, const char *path, const char *iface, GError **error)
{
  g_autoptr(GVariant) reply =
    cli_bus_call(bus, path, "org.freedesktop.DBus.Properties", "GetAll", g_variant_new("(s)", iface),
                 G_VARIANT_TYPE("(a{sv})"), error);
  if (reply == NULL)
    return NULL;
  return g_variant_get_child_value(reply, 0);
}

GPtrArray *
cli_run_get_events(CliBus *bus, const char *path, guint32 from, guint32 max, GError **error)
{
  g_autoptr(GVariant) reply = cli_bus_call(bus, path, SHIFTD_RUN_IFACE, "GetEvents",
                                           g_variant_new("(uu)", from, max),
                                           G_VARIANT_TYPE("(a(utss))"), error);
  if (reply == NULL)
    return NULL;
  g_autoptr(GVariant) list = g_variant_get_child_value(reply, 0);
  GPtrArray *events = g_ptr_array_new_with_free_func((GDestroyNotify)cli_event_free);
  GVariantIter iter;
  GVariant *tuple;
  g_variant_iter_init(&iter, list);
  while ((tuple = g_variant_iter_next_value(&iter)) != NULL) {
    g_ptr_array_add(events, cli_event_new_from_variant(tuple));
    g_variant_unref(tuple);
  }
  return events;
}
