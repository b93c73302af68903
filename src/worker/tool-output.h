/* A tool's output as the conversation keeps it: whole when short; else its
 * head and tail, with the whole output saved in the workspace (when the run
 * has one) for the model to read in parts. */
#pragma once

#include <glib.h>

#include "hello.h"

/* The most bytes of one output kept in the conversation: 8 KiB, or an eighth
 * of the context window in a small one. */
gsize shiftd_tool_output_bound(const ShiftdHello *hello);

/* The text for the conversation (transfer full). A file that cannot be
 * written is logged; the excerpt then says only that the output was cut. */
char *shiftd_tool_output_fit(const ShiftdHello *hello, guint step, const char *call_id, const char *output);
