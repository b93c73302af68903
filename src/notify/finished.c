#include "finished.h"

#include <unistd.h>

#include "log.h"
#include "popup.h"
#include "shiftd-names.h"

typedef struct {
  char *name;
  char *state;
} FinishedCall;

static void
finished_call_free(FinishedCall *call)
{
  g_free(call->name);
  g_free(call->state);
  g_free(call);
}

static void
on_props(GObject *source, GAsyncResult *res, gpointer data)
{
  FinishedCall *call = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
  const char *agent = "", *summary = "";
  guint32 owner = 0;
  g_autoptr(GVariant) props = NULL;
  if (reply == NULL) {
    log_run(LOG_WARNING, call->name, NULL, "cannot read the finished run: %s", error->message);
  } else {
    props = g_variant_get_child_value(reply, 0);
    g_variant_lookup(props, "Agent", "&s", &agent);
    g_variant_lookup(props, "Summary", "&s", &summary);
    g_variant_lookup(props, "Owner", "u", &owner);
    /* RunFinished reaches every listener on the bus; announce only our own runs. */
    if (owner != getuid() && getuid() != 0) {
      finished_call_free(call);
      return;
    }
  }
  g_autofree char *title = g_strdup_printf("%s%s%s %s", agent, agent[0] ? ": " : "", call->name, call->state);
  g_autofree char *body = popup_one_line(summary);
  g_autoptr(GError) shown_error = NULL;
  if (!popup_show(title, body, NOTIFY_URGENCY_NORMAL, &shown_error))
    log_run(LOG_WARNING, call->name, agent[0] ? agent : NULL, "cannot show that it finished: %s",
            shown_error->message);
  else
    log_run(LOG_INFO, call->name, agent[0] ? agent : NULL, "shown that it finished (%s)", call->state);
  finished_call_free(call);
}

void
finished_announce(GDBusConnection *conn, const char *name, const char *path, const char *state)
{
  FinishedCall *call = g_new0(FinishedCall, 1);
  call->name = g_strdup(name);
  call->state = g_strdup(state);
  g_dbus_connection_call(conn, SHIFTD_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                         g_variant_new("(s)", SHIFTD_RUN_IFACE), G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE,
                         -1, NULL, on_props, call);
}
