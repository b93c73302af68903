/* Events as one human line each. */
#pragma once

#include <glib.h>

#include "event.h"

/* The gist of an event's json, by kind, on one line of at most max_bytes. */
char *cli_event_render_details(const char *kind, const char *json, gsize max_bytes);
/* "   12 Jun 03 14:03:22 tool_call    step 2: shell(command=ls)" */
char *cli_event_render_line(const CliEvent *event, GTimeZone *tz, gboolean color);
/* text on one line: whitespace runs (newlines too) become one space. */
char *cli_flatten(const char *text);
