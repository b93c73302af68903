#include "popup.h"

gboolean
popup_show(const char *summary, const char *body, NotifyUrgency urgency, GError **error)
{
  NotifyNotification *note = notify_notification_new(summary, body, NOTIFY_ICON);
  notify_notification_set_urgency(note, urgency);
  notify_notification_set_hint(note, "desktop-entry", g_variant_new_string(NOTIFY_DESKTOP_ENTRY));
  gboolean ok = notify_notification_show(note, error);
  /* The notification lives on in the server once our object is gone. */
  g_object_unref(note);
  return ok;
}

char *
popup_one_line(const char *text)
{
  char *line = g_strdup(text ? text : "");
  for (char *c = line; *c; c++)
    if (*c == '\n' || *c == '\r' || *c == '\t')
      *c = ' ';
  return g_strstrip(line);
}

gboolean
popup_server_has(const char *capability)
{
  GList *caps = notify_get_server_caps();
  gboolean found = g_list_find_custom(caps, capability, (GCompareFunc)g_strcmp0) != NULL;
  g_list_free_full(caps, g_free);
  return found;
}
