#include "answer.h"

#include <glib/gi18n.h>

#include "log.h"
#include "popup.h"
#include "shiftd-names.h"

/* shiftd replies once the answer is durable; this only bounds a wedged daemon. */
#define ANSWER_TIMEOUT_MSEC 25000

typedef struct {
  char *name;
  char *choice;
} AnswerCall;

static void
answer_call_free(AnswerCall *call)
{
  g_free(call->name);
  g_free(call->choice);
  g_free(call);
}

static char *
reason_of(const GError *error)
{
  g_autofree char *remote = g_dbus_error_get_remote_error(error);
  if (remote != NULL && (g_str_equal(remote, "org.freedesktop.DBus.Error.ServiceUnknown") ||
                         g_str_equal(remote, "org.freedesktop.DBus.Error.NameHasNoOwner")))
    return g_strdup(_("shiftd is not running"));
  g_autoptr(GError) copy = g_error_copy(error);
  g_dbus_error_strip_remote_error(copy);
  g_autofree char *line = popup_one_line(copy->message);
  if (line[0] == '\0')
    return g_strdup(remote ? remote : "unknown error");
  return g_steal_pointer(&line);
}

static void
report_failure(const char *name, const char *choice, const char *reason)
{
  log_run(LOG_WARNING, name, NULL, "answer \"%s\" not taken: %s", choice, reason);
  /* TRANSLATORS: a notification's title; %s is the run's name */
  g_autofree char *summary = g_strdup_printf(_("Answer to %s not taken"), name);
  g_autoptr(GError) error = NULL;
  if (!popup_show(summary, reason, NOTIFY_URGENCY_NORMAL, &error))
    log_run(LOG_WARNING, name, NULL, "cannot show that the answer failed: %s", error->message);
  else
    log_run(LOG_INFO, name, NULL, "shown a notification that the answer failed");
}

static void
on_answered(GObject *source, GAsyncResult *res, gpointer data)
{
  AnswerCall *call = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
  if (reply != NULL) {
    log_run(LOG_INFO, call->name, NULL, "answered \"%s\" from its notification", call->choice);
  } else {
    g_autofree char *reason = reason_of(error);
    report_failure(call->name, call->choice, reason);
  }
  answer_call_free(call);
}

void
answer_send(GDBusConnection *conn, const char *name, const char *path, const char *choice)
{
  if (conn == NULL || g_dbus_connection_is_closed(conn)) {
    report_failure(name, choice, _("not connected to shiftd's bus"));
    return;
  }
  AnswerCall *call = g_new0(AnswerCall, 1);
  call->name = g_strdup(name);
  call->choice = g_strdup(choice);
  g_dbus_connection_call(conn, SHIFTD_BUS_NAME, path, SHIFTD_RUN_IFACE, "Answer", g_variant_new("(s)", choice),
                         G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NONE, ANSWER_TIMEOUT_MSEC, NULL, on_answered,
                         call);
}
