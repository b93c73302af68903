/* The ending messages of an attempt (exactly one is sent). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

JsonObject *shiftd_ending_done(const char *result);
JsonObject *shiftd_ending_no_work(const char *reason);
JsonObject *shiftd_ending_ask(const char *question, const char *const *choices, const char *default_choice,
                              guint64 timeout_usec, const char *tool_call_id);
JsonObject *shiftd_ending_error(const char *reason);
/* start_run with wait: the run waits, with no worker, for its child run. */
JsonObject *shiftd_ending_wait(const char *child, const char *tool_call_id);
/* Cuts a long result or reason to what the daemon keeps (SHIFTD_TEXT_MAX_BYTES),
 * saying how long it was ("full_bytes"): a whole one may not fit in a line. */
void shiftd_ending_bound(JsonObject *ending);
