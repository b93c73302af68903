#include "daemon-link.h"

#include "log.h"
#include "shiftd-names.h"

/* Reconnect delays: 1 s, doubling, never more than 30 s apart. */
#define LINK_RETRY_FIRST_SEC 1
#define LINK_RETRY_MAX_SEC 30

struct _DaemonLink {
  NotifyBusKind kind;
  char *address;
  char *where; /* for log lines */
  DaemonLinkHandlers handlers;
  gpointer user_data;

  GDBusConnection *conn;
  gulong closed_handler;
  guint watch_id;
  gboolean present;
  gboolean said_absent; /* "not running" is logged once per absence */

  GCancellable *connecting;
  guint retry_source;
  guint retry_delay;
};

static void link_connect(DaemonLink *link);

DaemonLink *
daemon_link_new(const NotifyArgs *args, const DaemonLinkHandlers *handlers, gpointer user_data)
{
  DaemonLink *link = g_new0(DaemonLink, 1);
  link->kind = args->bus;
  link->address = g_strdup(args->address);
  link->where = notify_args_describe_bus(args);
  link->handlers = *handlers;
  link->user_data = user_data;
  link->retry_delay = LINK_RETRY_FIRST_SEC;
  return link;
}

static gboolean
retry_cb(gpointer data)
{
  DaemonLink *link = data;
  link->retry_source = 0;
  link_connect(link);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry(DaemonLink *link)
{
  g_clear_handle_id(&link->retry_source, g_source_remove);
  link->retry_source = g_timeout_add_seconds(link->retry_delay, retry_cb, link);
  link->retry_delay = MIN(link->retry_delay * 2, LINK_RETRY_MAX_SEC);
}

static void
on_name_appeared(GDBusConnection *conn, const char *name, const char *owner, gpointer data)
{
  DaemonLink *link = data;
  if (link->present)
    return;
  link->present = TRUE;
  link->said_absent = FALSE;
  log_info("shiftd is on %s (%s)", link->where, owner);
  link->handlers.appeared(link->user_data);
}

static void
on_name_vanished(GDBusConnection *conn, const char *name, gpointer data)
{
  DaemonLink *link = data;
  if (!link->present) {
    if (!link->said_absent)
      log_info("shiftd is not running on %s; waiting for it", link->where);
    link->said_absent = TRUE;
    return;
  }
  link->present = FALSE;
  link->said_absent = TRUE;
  log_info("shiftd left %s; waiting for it to come back", link->where);
  link->handlers.vanished(link->user_data);
}

static void
drop_connection(DaemonLink *link)
{
  if (link->conn == NULL)
    return;
  if (link->watch_id != 0) {
    g_bus_unwatch_name(link->watch_id);
    link->watch_id = 0;
  }
  if (link->present) {
    link->present = FALSE;
    link->handlers.vanished(link->user_data);
  }
  link->handlers.disconnected(link->conn, link->user_data);
  g_clear_signal_handler(&link->closed_handler, link->conn);
  g_clear_object(&link->conn);
}

static void
on_closed(GDBusConnection *conn, gboolean remote_peer_vanished, GError *error, gpointer data)
{
  DaemonLink *link = data;
  log_warning("lost the connection to %s: %s; reconnecting", link->where,
              error ? error->message : "closed");
  link->retry_delay = LINK_RETRY_FIRST_SEC;
  drop_connection(link);
  schedule_retry(link);
}

static void
on_connected(GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *conn = g_dbus_connection_new_for_address_finish(res, &error);
  if (conn == NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* the link is gone */

  DaemonLink *link = data;
  g_clear_object(&link->connecting);
  if (conn == NULL) {
    log_warning("cannot connect to %s: %s; retrying in %u s", link->where, error->message, link->retry_delay);
    schedule_retry(link);
    return;
  }

  link->conn = conn;
  link->retry_delay = LINK_RETRY_FIRST_SEC;
  /* A vanished bus is ours to handle (reconnect), not a reason to exit. */
  g_dbus_connection_set_exit_on_close(conn, FALSE);
  link->closed_handler = g_signal_connect(conn, "closed", G_CALLBACK(on_closed), link);
  log_info("connected to %s", link->where);
  link->handlers.connected(conn, link->user_data);
  link->watch_id = g_bus_watch_name_on_connection(conn, SHIFTD_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                  on_name_appeared, on_name_vanished, link, NULL);
}

static void
link_connect(DaemonLink *link)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  if (link->kind == NOTIFY_BUS_ADDRESS)
    address = g_strdup(link->address);
  else
    address = g_dbus_address_get_for_bus_sync(link->kind == NOTIFY_BUS_SYSTEM ? G_BUS_TYPE_SYSTEM
                                                                              : G_BUS_TYPE_SESSION,
                                              NULL, &error);
  if (address == NULL) {
    log_warning("cannot find %s: %s; retrying in %u s", link->where, error->message, link->retry_delay);
    schedule_retry(link);
    return;
  }
  /* A connection of our own, never the process-wide session bus that
   * libnotify shares: this one may close and be remade without touching it. */
  link->connecting = g_cancellable_new();
  g_dbus_connection_new_for_address(
    address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, link->connecting, on_connected, link);
}

void
daemon_link_start(DaemonLink *link)
{
  g_return_if_fail(link->conn == NULL && link->connecting == NULL);
  link_connect(link);
}

void
daemon_link_free(DaemonLink *link)
{
  if (link == NULL)
    return;
  if (link->connecting != NULL) {
    g_cancellable_cancel(link->connecting);
    g_clear_object(&link->connecting);
  }
  g_clear_handle_id(&link->retry_source, g_source_remove);
  drop_connection(link);
  g_free(link->address);
  g_free(link->where);
  g_free(link);
}
