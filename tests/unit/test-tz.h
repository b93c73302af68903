/* Unit tests that need a time zone: set it for the process, or skip. */
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
