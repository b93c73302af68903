/* The time as the core reads it: realtime and monotonic "now" in µs from a
 * clock that is the real one in the daemon and a fake one in tests, which set
 * and advance it; and local-time helpers (the zone TZ names) for the rules
 * that count in wall-clock minutes and days. */
#pragma once

#include <glib.h>

typedef struct ShiftdClock ShiftdClock;

/* The real clock (g_get_real_time, g_get_monotonic_time); not owned. */
ShiftdClock *shiftd_clock_real(void);
/* A clock that moves only when told, starting at these times. */
ShiftdClock *shiftd_clock_new_fake(guint64 realtime_usec, guint64 monotonic_usec);
/* Frees a fake clock; the real one is left alone. */
void shiftd_clock_free(ShiftdClock *clock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdClock, shiftd_clock_free)

guint64 shiftd_clock_realtime_usec(const ShiftdClock *clock);
guint64 shiftd_clock_monotonic_usec(const ShiftdClock *clock);
/* Fake clocks only. Advancing moves both times; setting the realtime is a
 * wall-clock step (an NTP jump, a resume), so the monotonic time stays. */
void shiftd_clock_advance(ShiftdClock *clock, guint64 usec);
void shiftd_clock_set_realtime(ShiftdClock *clock, guint64 usec);

/* The process's clock, which shiftd_now_realtime_usec() and
 * shiftd_now_monotonic_usec() read: the real one unless a test installs
 * another (not owned; NULL puts the real one back). Install before any
 * thread reads it. */
ShiftdClock *shiftd_clock_get_default(void);
void shiftd_clock_set_default(ShiftdClock *clock);

/* Minutes after local midnight as the local clock shows them (0..1439). */
guint shiftd_local_minute_of_day(guint64 usec);
/* Seconds east of UTC of the local zone at that time. */
glong shiftd_local_utc_offset(guint64 usec);
/* The first whole second in (from, to] with another UTC offset than at
 * `from` (a daylight saving change), in µs; 0 when there is none. */
guint64 shiftd_local_offset_change(guint64 from, guint64 to);
/* The moment the local day holding usec began ("today since midnight");
 * 23 or 25 hours before the next one on daylight saving days. */
guint64 shiftd_local_day_start(guint64 usec);
