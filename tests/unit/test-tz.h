/* Unit tests of times: one in UTC as µs, and a time zone set for the
 * process (or the test skipped). */
#pragma once

#include <glib.h>
#include <time.h>

static inline gboolean
use_zone(const char *zone)
{
  g_autofree char *file = g_build_filename("/usr/share/zoneinfo", zone, NULL);
  if (!g_file_test(file, G_FILE_TEST_IS_REGULAR)) {
    /* glibc would fall back to UTC silently and the checks would mean nothing */
    g_test_skip("no tzdata for the zone");
    return FALSE;
  }
  g_setenv("TZ", zone, TRUE);
  tzset();
  return TRUE;
}

static inline void
restore_utc(void)
{
  g_setenv("TZ", "UTC", TRUE);
  tzset();
}

static inline guint64
utc_usec(int y, int mo, int d, int h, int mi, int s)
{
  g_autoptr(GDateTime) dt = g_date_time_new_utc(y, mo, d, h, mi, s);
  g_assert_nonnull(dt);
  return (guint64)g_date_time_to_unix(dt) * G_USEC_PER_SEC;
}
