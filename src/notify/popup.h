/* One-off notifications with no buttons and nothing to follow up: an answer
 * that was not taken, a run that finished. */
#pragma once

#include <glib.h>
#include <libnotify/notify.h>

/* data/shiftd-notify.desktop, installed as an application entry, and the
 * project's icon (data/icons) */
#define NOTIFY_DESKTOP_ENTRY "shiftd-notify"
#define NOTIFY_ICON "shiftd"

/* Sends it and lets it go; a server that cannot be reached is an error. */
gboolean popup_show(const char *summary, const char *body, NotifyUrgency urgency, GError **error);
/* Text on one line: line breaks and tabs become spaces, ends are trimmed. */
char *popup_one_line(const char *text);
/* Whether the notification server lists this capability. */
gboolean popup_server_has(const char *capability);
