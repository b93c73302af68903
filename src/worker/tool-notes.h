/* notes: the agent's memory across runs, one text file. */
#pragma once

#include <glib.h>

/* action is "read", "write" or "append"; text is needed for the last two. */
char *shiftd_tool_notes(const char *notes_path, const char *action, const char *text, gsize cap, GError **error);
