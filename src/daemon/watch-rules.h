/* Path wakes' debounce as a function of time: a burst of changes makes one
 * wake, once the path has been quiet for a while, or at the latest a while
 * after the burst began (a path that never rests still wakes its agent). No
 * clock of its own: the caller says what time it is (monotonic µs). */
#pragma once

#include <glib.h>

/* The quiet gap that ends a burst, and the longest a burst holds its wake. */
#define WATCH_QUIET_USEC (1 * G_USEC_PER_SEC)
#define WATCH_MAX_HOLD_USEC (10 * G_USEC_PER_SEC)

typedef struct {
  guint64 first; /* the burst's first change; 0: no burst */
  guint64 last;  /* its latest */
} WatchBurst;

/* A change at `now`: returns when the burst's wake is due. */
guint64 watch_burst_add(WatchBurst *burst, guint64 now);
/* When the burst's wake is due; 0 without a burst. */
guint64 watch_burst_due(const WatchBurst *burst);
/* The wake is due at `now`: TRUE and the burst over, else FALSE and nothing changes. */
gboolean watch_burst_take(WatchBurst *burst, guint64 now);
