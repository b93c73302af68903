#include "shiftd-clock.h"

#include <time.h>

struct ShiftdClock {
  gboolean fake;
  guint64 realtime;
  guint64 monotonic;
};

static ShiftdClock real_clock = { .fake = FALSE };
static ShiftdClock *default_clock = NULL;

ShiftdClock *
shiftd_clock_real(void)
{
  return &real_clock;
}

ShiftdClock *
shiftd_clock_new_fake(guint64 realtime_usec, guint64 monotonic_usec)
{
  ShiftdClock *c = g_new0(ShiftdClock, 1);
  c->fake = TRUE;
  c->realtime = realtime_usec;
  c->monotonic = monotonic_usec;
  return c;
}

void
shiftd_clock_free(ShiftdClock *clock)
{
  if (clock && clock->fake)
    g_free(clock);
}

guint64
shiftd_clock_realtime_usec(const ShiftdClock *clock)
{
  return clock->fake ? clock->realtime : (guint64)g_get_real_time();
}

guint64
shiftd_clock_monotonic_usec(const ShiftdClock *clock)
{
  return clock->fake ? clock->monotonic : (guint64)g_get_monotonic_time();
}

void
shiftd_clock_advance(ShiftdClock *clock, guint64 usec)
{
  g_return_if_fail(clock->fake);
  clock->realtime += usec;
  clock->monotonic += usec;
}

void
shiftd_clock_set_realtime(ShiftdClock *clock, guint64 usec)
{
  g_return_if_fail(clock->fake);
  clock->realtime = usec;
}

ShiftdClock *
shiftd_clock_get_default(void)
{
  ShiftdClock *c = g_atomic_pointer_get(&default_clock);
  return c ? c : &real_clock;
}

void
shiftd_clock_set_default(ShiftdClock *clock)
{
  g_atomic_pointer_set(&default_clock, clock);
}

static struct tm
local_tm(time_t t)
{
  struct tm tm;
  localtime_r(&t, &tm);
  return tm;
}

guint
shiftd_local_minute_of_day(guint64 usec)
{
  struct tm tm = local_tm((time_t)(usec / G_USEC_PER_SEC));
  return (guint)(tm.tm_hour * 60 + tm.tm_min);
}

glong
shiftd_local_utc_offset(guint64 usec)
{
  return local_tm((time_t)(usec / G_USEC_PER_SEC)).tm_gmtoff;
}

guint64
shiftd_local_offset_change(guint64 from, guint64 to)
{
  time_t lo = (time_t)(from / G_USEC_PER_SEC), hi = (time_t)(to / G_USEC_PER_SEC);
  glong before = local_tm(lo).tm_gmtoff;
  if (hi <= lo || local_tm(hi).tm_gmtoff == before)
    return 0; /* two changes in one span would cancel out; no zone has them a day apart */
  while (hi - lo > 1) {
    time_t mid = lo + (hi - lo) / 2;
    if (local_tm(mid).tm_gmtoff == before)
      lo = mid;
    else
      hi = mid;
  }
  return (guint64)hi * G_USEC_PER_SEC;
}

guint64
shiftd_local_day_start(guint64 usec)
{
  /* Search rather than mktime(00:00): midnight may not exist or happen
   * twice, and mktime's guess at daylight saving depends on earlier calls. */
  time_t t = (time_t)(usec / G_USEC_PER_SEC);
  struct tm today = local_tm(t);
  time_t hi = t, lo = t > 30 * 3600 ? t - 30 * 3600 : 0;
  struct tm first = local_tm(lo);
  if (first.tm_year == today.tm_year && first.tm_yday == today.tm_yday)
    return (guint64)lo * G_USEC_PER_SEC;
  while (hi - lo > 1) {
    time_t mid = lo + (hi - lo) / 2;
    struct tm m = local_tm(mid);
    if (m.tm_year == today.tm_year && m.tm_yday == today.tm_yday)
      hi = mid;
    else
      lo = mid;
  }
  return (guint64)hi * G_USEC_PER_SEC;
}
