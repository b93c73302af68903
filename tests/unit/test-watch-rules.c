/* Path wakes' debounce on a made-up clock: a burst is one wake after a quiet
 * gap, never held past the longest hold, and the next burst starts afresh. */
#include <glib.h>

#include "watch-rules.h"

#define S G_USEC_PER_SEC
#define T0 (1000 * S)

static void
test_quiet_gap(void)
{
  WatchBurst b = { 0 };
  g_assert_cmpuint(watch_burst_due(&b), ==, 0);
  g_assert_false(watch_burst_take(&b, T0));
  g_assert_cmpuint(watch_burst_add(&b, T0), ==, T0 + WATCH_QUIET_USEC);
  /* twenty writes in a tenth of a second: due a quiet gap after the last */
  guint64 due = 0;
  for (int i = 1; i <= 20; i++)
    due = watch_burst_add(&b, T0 + (guint64)i * 5000);
  g_assert_cmpuint(due, ==, T0 + 100000 + WATCH_QUIET_USEC);
  g_assert_false(watch_burst_take(&b, due - 1));
  g_assert_cmpuint(watch_burst_due(&b), ==, due);
  g_assert_true(watch_burst_take(&b, due));
  /* over: nothing due, and taken once only */
  g_assert_cmpuint(watch_burst_due(&b), ==, 0);
  g_assert_false(watch_burst_take(&b, due + S));
  /* a later change is a burst of its own */
  g_assert_cmpuint(watch_burst_add(&b, due + 5 * S), ==, due + 5 * S + WATCH_QUIET_USEC);
}

static void
test_max_hold(void)
{
  /* a path that never rests (a change every half second) still wakes its agent */
  WatchBurst b = { 0 };
  guint64 due = 0, now = T0;
  for (; now < T0 + 30 * S; now += S / 2) {
    due = watch_burst_add(&b, now);
    if (watch_burst_take(&b, now))
      break;
  }
  g_assert_cmpuint(now, ==, T0 + WATCH_MAX_HOLD_USEC);
  g_assert_cmpuint(due, ==, T0 + WATCH_MAX_HOLD_USEC);
  /* and the changes after it start the next hold */
  g_assert_cmpuint(watch_burst_add(&b, now + S / 2), ==, now + S / 2 + WATCH_QUIET_USEC);
}

static void
test_clock_at_zero(void)
{
  /* 0 means "no burst": a change at time 0 still makes one */
  WatchBurst b = { 0 };
  g_assert_cmpuint(watch_burst_add(&b, 0), ==, 1 + WATCH_QUIET_USEC);
  g_assert_true(watch_burst_take(&b, 1 + WATCH_QUIET_USEC));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/watch/quiet-gap", test_quiet_gap);
  g_test_add_func("/watch/max-hold", test_max_hold);
  g_test_add_func("/watch/clock-at-zero", test_clock_at_zero);
  return g_test_run();
}
