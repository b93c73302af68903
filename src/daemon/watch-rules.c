#include "watch-rules.h"

guint64
watch_burst_due(const WatchBurst *b)
{
  if (b->first == 0)
    return 0;
  return MIN(b->last + WATCH_QUIET_USEC, b->first + WATCH_MAX_HOLD_USEC);
}

guint64
watch_burst_add(WatchBurst *b, guint64 now)
{
  /* 0 means "no burst": a clock that reads 0 counts from 1 */
  now = MAX(now, 1);
  if (b->first == 0)
    b->first = now;
  b->last = MAX(b->last, now);
  return watch_burst_due(b);
}

gboolean
watch_burst_take(WatchBurst *b, guint64 now)
{
  guint64 due = watch_burst_due(b);
  if (due == 0 || now < due)
    return FALSE;
  b->first = b->last = 0;
  return TRUE;
}
