#include <glib.h>

#include "backoff.h"
#include "time-span.h"

#define S SHIFTD_USEC_PER_SEC

static void
test_doubling(void)
{
  g_assert_cmpuint(shiftd_backoff_delay_usec(0, S, 60 * S), ==, S);
  g_assert_cmpuint(shiftd_backoff_delay_usec(1, S, 60 * S), ==, 2 * S);
  g_assert_cmpuint(shiftd_backoff_delay_usec(2, S, 60 * S), ==, 4 * S);
  g_assert_cmpuint(shiftd_backoff_delay_usec(5, S, 60 * S), ==, 32 * S);
  g_assert_cmpuint(shiftd_backoff_delay_usec(6, S, 60 * S), ==, 60 * S);
  /* no overflow however many retries */
  g_assert_cmpuint(shiftd_backoff_delay_usec(200, S, 60 * S), ==, 60 * S);
  g_assert_cmpuint(shiftd_backoff_delay_usec(3, 100000, 60 * S), ==, 800000);
}

static void
test_retry_after(void)
{
  guint64 d = 0;
  g_assert_true(shiftd_retry_after_parse("3", 0, &d));
  g_assert_cmpuint(d, ==, 3 * S);
  g_assert_true(shiftd_retry_after_parse(" 0 ", 0, &d));
  g_assert_cmpuint(d, ==, 0);
  /* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
  guint64 now = 784111770 * S;
  g_assert_true(shiftd_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", now, &d));
  g_assert_cmpuint(d, ==, 7 * S);
  g_assert_true(shiftd_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", now + 60 * S, &d));
  g_assert_cmpuint(d, ==, 0);
  const char *bad[] = { "", "soon", "3s", "-1", "Sun, 06 Nov 1994", NULL };
  for (guint i = 0; bad[i]; i++)
    g_assert_false(shiftd_retry_after_parse(bad[i], now, &d));
  g_assert_false(shiftd_retry_after_parse(NULL, now, &d));
}

static void
test_choice(void)
{
  g_assert_cmpuint(shiftd_retry_delay_usec(0, S, 60 * S, TRUE, 5 * S), ==, 5 * S);
  g_assert_cmpuint(shiftd_retry_delay_usec(0, S, 60 * S, TRUE, 3600 * S), ==, 60 * S);
  g_assert_cmpuint(shiftd_retry_delay_usec(2, S, 60 * S, FALSE, 0), ==, 4 * S);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/backoff/doubling", test_doubling);
  g_test_add_func("/backoff/retry-after", test_retry_after);
  g_test_add_func("/backoff/choice", test_choice);
  return g_test_run();
}
