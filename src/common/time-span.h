/* Time spans in systemd's syntax ("90s", "15min", "1h 30min"), in µs. */
#pragma once

#include <glib.h>

#define SHIFTD_USEC_PER_SEC G_GUINT64_CONSTANT(1000000)
#define SHIFTD_USEC_INFINITY G_MAXUINT64

gboolean shiftd_time_span_parse(const char *text, guint64 *out_usec, GError **error);
/* "1h 30min", "45s", "250ms", "0", "infinity" */
char *shiftd_time_span_format(guint64 usec);
guint64 shiftd_now_realtime_usec(void);
guint64 shiftd_now_monotonic_usec(void);
