#include "decision.h"

#include <glib/gi18n.h>
#include <libnotify/notify.h>

#include "log.h"
#include "popup.h"

/* How long a withdrawn notification still hears its buttons. */
#define DECISION_LINGER_SEC 10

struct _Decision {
  char *name;
  char *path;
  char *agent;
  guint64 deadline;
  DecisionHandlers handlers;
  NotifyNotification *note;
  NotifyUrgency urgency;
  guint raise_source;
  guint linger_source;
  gboolean closed;    /* the server says it is gone (dismissed, or closed for us) */
  gboolean withdrawn; /* ours to free once closed */
};

static void arm_raise(Decision *d);

static const char *
urgency_word(NotifyUrgency urgency)
{
  return urgency == NOTIFY_URGENCY_CRITICAL ? "critical" : "normal";
}

static guint32
note_id(Decision *d)
{
  guint id = 0;
  g_object_get(d->note, "id", &id, NULL);
  return id;
}

static void
decision_free(Decision *d)
{
  g_clear_handle_id(&d->raise_source, g_source_remove);
  g_clear_handle_id(&d->linger_source, g_source_remove);
  g_signal_handlers_disconnect_by_data(d->note, d);
  g_object_unref(d->note);
  g_free(d->name);
  g_free(d->path);
  g_free(d->agent);
  g_free(d);
}

static void
on_action(NotifyNotification *note, char *action, gpointer data)
{
  Decision *d = data;
  /* libnotify touches the notification after this returns: never free here. */
  if (g_str_equal(action, "default"))
    d->handlers.open(d->name, d->handlers.user_data);
  else
    d->handlers.answer(d->name, d->path, action, d->handlers.user_data);
}

static void
on_closed(NotifyNotification *note, gpointer data)
{
  Decision *d = data;
  d->closed = TRUE;
  if (d->withdrawn) {
    decision_free(d); /* libnotify holds its own reference while it emits */
    return;
  }
  log_run(LOG_DEBUG, d->name, d->agent, "the notification server closed the notification (reason %d)",
          notify_notification_get_closed_reason(note));
}

static gboolean
linger_done(gpointer data)
{
  Decision *d = data;
  d->linger_source = 0;
  decision_free(d);
  return G_SOURCE_REMOVE;
}

/* Shows the notification again (same id) with a new urgency. */
static void
reshow(Decision *d, NotifyUrgency urgency, const char *why)
{
  d->urgency = urgency;
  notify_notification_set_urgency(d->note, urgency);
  if (d->closed)
    return; /* dismissed by the person: not pushed back in front of them */
  g_autoptr(GError) error = NULL;
  if (!notify_notification_show(d->note, &error))
    log_run(LOG_WARNING, d->name, d->agent, "cannot update the notification: %s", error->message);
  else
    log_run(LOG_INFO, d->name, d->agent, "notification %u now %s: %s", note_id(d), urgency_word(urgency), why);
}

static gboolean
raise_cb(gpointer data)
{
  Decision *d = data;
  d->raise_source = 0;
  if (decision_text_urgency(d->deadline, g_get_real_time()) == NOTIFY_URGENCY_CRITICAL)
    reshow(d, NOTIFY_URGENCY_CRITICAL, "the deadline is under an hour away");
  else
    arm_raise(d); /* woke early (the clock moved): wait again */
  return G_SOURCE_REMOVE;
}

static void
arm_raise(Decision *d)
{
  g_clear_handle_id(&d->raise_source, g_source_remove);
  gint64 in = decision_text_critical_in(d->deadline, g_get_real_time());
  if (in < 0)
    return;
  /* Far-off deadlines re-arm on waking rather than overflow the timer. */
  guint64 ms = MIN(((guint64)in + 999) / 1000, (guint64)G_MAXINT);
  d->raise_source = g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)ms, raise_cb, d, NULL);
}

Decision *
decision_show(const DecisionInfo *info, const DecisionHandlers *handlers, GError **error)
{
  gboolean actions = popup_server_has("actions");
  gboolean buttons = actions && decision_text_choices_are_keys(info->choices);
  g_autofree char *summary = decision_text_summary(info);
  g_autofree char *body = decision_text_body(info, buttons, handlers->shiftctl_options,
                                             popup_server_has("body-markup"));

  Decision *d = g_new0(Decision, 1);
  d->name = g_strdup(info->name);
  d->path = g_strdup(info->path);
  d->agent = g_strdup(info->agent);
  d->deadline = info->deadline;
  d->handlers = *handlers;
  d->note = notify_notification_new(summary, body, NOTIFY_ICON);
  /* A decision stays until it is made; it does not time out on screen. */
  notify_notification_set_timeout(d->note, NOTIFY_EXPIRES_NEVER);
  notify_notification_set_hint(d->note, "desktop-entry", g_variant_new_string(NOTIFY_DESKTOP_ENTRY));
  guint n_buttons = 0;
  for (guint i = 0; buttons && info->choices[i]; i++, n_buttons++)
    notify_notification_add_action(d->note, info->choices[i], info->choices[i], on_action, d, NULL);
  if (actions)
    /* TRANSLATORS: the label of a click on the notification itself (it opens shiftctl status) */
    notify_notification_add_action(d->note, "default", _("Details"), on_action, d, NULL);
  d->urgency = decision_text_urgency(d->deadline, g_get_real_time());
  notify_notification_set_urgency(d->note, d->urgency);
  g_signal_connect(d->note, "closed", G_CALLBACK(on_closed), d);

  if (!notify_notification_show(d->note, error)) {
    decision_free(d);
    return NULL;
  }
  log_run(LOG_INFO, d->name, d->agent, "shown notification %u (%s, %u buttons%s)", note_id(d),
          urgency_word(d->urgency), n_buttons, buttons ? "" : ", answer by shiftctl");
  arm_raise(d);
  return d;
}

void
decision_set_deadline(Decision *d, guint64 deadline)
{
  if (deadline == d->deadline)
    return;
  d->deadline = deadline;
  NotifyUrgency urgency = decision_text_urgency(deadline, g_get_real_time());
  if (urgency != d->urgency)
    reshow(d, urgency, "its deadline moved");
  arm_raise(d);
}

void
decision_withdraw(Decision *d, const char *why)
{
  g_clear_handle_id(&d->raise_source, g_source_remove);
  d->withdrawn = TRUE;
  guint32 id = note_id(d);
  if (d->closed) {
    log_run(LOG_INFO, d->name, d->agent, "withdrew notification %u (already closed): %s", id, why);
    decision_free(d);
    return;
  }
  g_autoptr(GError) error = NULL;
  if (!notify_notification_close(d->note, &error))
    log_run(LOG_WARNING, d->name, d->agent, "cannot close notification %u: %s", id, error->message);
  log_run(LOG_INFO, d->name, d->agent, "withdrew notification %u: %s", id, why);
  /* on_closed frees it when the server confirms; this bounds the wait. */
  d->linger_source = g_timeout_add_seconds(DECISION_LINGER_SEC, linger_done, d);
}
