/* A button's answer sent to shiftd (Run.Answer, asynchronously), and a short
 * notification saying why when it is not taken. */
#pragma once

#include <gio/gio.h>

/* conn NULL: not connected to shiftd's bus, reported like any other failure. */
void answer_send(GDBusConnection *conn, const char *name, const char *path, const char *choice);
