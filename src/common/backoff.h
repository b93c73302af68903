/* Retry arithmetic for model calls: exponential backoff, Retry-After. */
#pragma once

#include <glib.h>

/* Delay before retry number `retry` (0 = the first retry): base × 2^retry, capped. */
guint64 shiftd_backoff_delay_usec(guint retry, guint64 base_usec, guint64 cap_usec);

/* Retry-After is either delta-seconds or an HTTP-date; the result is a delay
 * from now_usec (realtime µs), 0 for a date in the past. */
gboolean shiftd_retry_after_parse(const char *value, guint64 now_usec, guint64 *out_delay_usec);

/* The delay to use: the server's Retry-After when it gave one (capped), else backoff. */
guint64 shiftd_retry_delay_usec(guint retry, guint64 base_usec, guint64 cap_usec,
                                gboolean have_retry_after, guint64 retry_after_usec);
