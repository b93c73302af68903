/* start_run: asks the daemon to start a run of another agent (Delegates=). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "daemon-link.h"
#include "tools.h"

/* The agents it may start, as the schema's choices for "agent". */
void shiftd_tool_start_run_schema(const ShiftdHello *hello, JsonObject *function);

/* Fills result: the child's name (with wait, outcome SHIFTD_TOOL_WAIT), or
 * the daemon's refusal (ok FALSE). Fails only with the link's errors. */
gboolean shiftd_tool_start_run(ShiftdLink *link, JsonObject *args, ShiftdToolResult *result, GError **error);
