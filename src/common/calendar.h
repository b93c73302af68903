/* A subset of systemd's calendar syntax (systemd.time(7)), enough for standing
 * agents without a systemd manager: minutely, hourly, daily, weekly, monthly,
 * yearly, and "[Weekdays] [Y-M-D] HH:MM[:SS]" where each field may be *, a
 * number, a list (1,15), a range (Mon..Fri, 9..17) or a repetition (0/15). */
#pragma once

#include <glib.h>

typedef struct ShiftdCalendar ShiftdCalendar;

ShiftdCalendar *shiftd_calendar_parse(const char *spec, GError **error);
void shiftd_calendar_free(ShiftdCalendar *cal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdCalendar, shiftd_calendar_free)

/* The first matching local time strictly after `after` (µs since the epoch);
 * FALSE when there is none within five years. */
gboolean shiftd_calendar_next(const ShiftdCalendar *cal, guint64 after, guint64 *next);
