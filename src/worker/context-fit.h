/* Keeps the prompt within the model's context window (ContextTokens=): when
 * the next prompt would not fit, the turns between the task and the latest
 * ones are replaced by one message summarizing them, written by the model. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "context-estimate.h"
#include "daemon-link.h"
#include "hello.h"

/* The start of the message that stands for summarized turns; the stand-in
 * model reads the number of model turns after it. */
#define SHIFTD_CONTEXT_SUMMARY_PREFIX "Summary of the earlier part of this run ("

/* Compacts *messages (replaced, the old array unreffed) when the request
 * would pass the window, sending `compacted`; sets *out_bytes to the bytes of
 * the request as it will go. Fails only with the link's errors: a summary the
 * model cannot write becomes a note saying what was dropped. */
gboolean shiftd_context_fit(ShiftdLink *link, const ShiftdHello *hello, ShiftdContextEstimate *estimate,
                            JsonArray **messages, JsonArray *tools, guint step, gsize *out_bytes, GError **error);
