/* --notify-finished: a notification when one of our runs finishes or fails,
 * with its state and summary. */
#pragma once

#include <gio/gio.h>

void finished_announce(GDBusConnection *conn, const char *name, const char *path, const char *state);
