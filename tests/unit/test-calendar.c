#include <gio/gio.h>
#include <stdlib.h>
#include <time.h>

#include "calendar.h"
#include "test-tz.h"

#define USEC G_GUINT64_CONSTANT(1000000)

/* Wall-clock time in the zone TZ names (UTC for most tests), in µs. */
static guint64
local_usec(int y, int mo, int d, int h, int mi, int s)
{
  struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                   .tm_hour = h, .tm_min = mi, .tm_sec = s, .tm_isdst = -1 };
  time_t t = mktime(&tm);
  g_assert_cmpint(t, !=, (time_t)-1);
  return (guint64)t * USEC;
}

static char *
format_usec(guint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc((gint64)(usec / USEC));
  return g_date_time_format(dt, "%F %T UTC (%a)");
}

static void
assert_next(const char *spec, guint64 after, guint64 expect)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShiftdCalendar) cal = shiftd_calendar_parse(spec, &error);
  g_assert_no_error(error);
  g_assert_nonnull(cal);
  guint64 next = 0;
  if (!shiftd_calendar_next(cal, after, &next)) {
    g_autofree char *a = format_usec(after);
    g_error("\"%s\" after %s: no next time", spec, a);
  }
  if (next != expect) {
    g_autofree char *a = format_usec(after);
    g_autofree char *n = format_usec(next);
    g_autofree char *e = format_usec(expect);
    g_error("\"%s\" after %s: got %s, expected %s", spec, a, n, e);
  }
}

static void
assert_none(const char *spec, guint64 after)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShiftdCalendar) cal = shiftd_calendar_parse(spec, &error);
  g_assert_no_error(error);
  guint64 next = 0;
  if (shiftd_calendar_next(cal, after, &next)) {
    g_autofree char *n = format_usec(next);
    g_error("\"%s\": expected no next time, got %s", spec, n);
  }
}

/* 2024-05-10 is a Friday. */
static void
test_shorthands(void)
{
  guint64 after = utc_usec(2024, 5, 10, 12, 34, 56);
  assert_next("minutely", after, utc_usec(2024, 5, 10, 12, 35, 0));
  assert_next("hourly", after, utc_usec(2024, 5, 10, 13, 0, 0));
  assert_next("daily", after, utc_usec(2024, 5, 11, 0, 0, 0));
  assert_next("weekly", after, utc_usec(2024, 5, 13, 0, 0, 0));
  assert_next("monthly", after, utc_usec(2024, 6, 1, 0, 0, 0));
  assert_next("yearly", after, utc_usec(2025, 1, 1, 0, 0, 0));
  assert_next("annually", after, utc_usec(2025, 1, 1, 0, 0, 0));
  /* systemd's names are case-insensitive; surrounding blanks are dropped */
  assert_next("  Daily ", after, utc_usec(2024, 5, 11, 0, 0, 0));
  assert_next("HOURLY", after, utc_usec(2024, 5, 10, 13, 0, 0));
}

static void
test_time_of_day(void)
{
  guint64 before = utc_usec(2024, 5, 10, 6, 29, 59);
  assert_next("*-*-* 06:30", before, utc_usec(2024, 5, 10, 6, 30, 0));
  assert_next("06:30", before, utc_usec(2024, 5, 10, 6, 30, 0));
  assert_next("06:30:15", before, utc_usec(2024, 5, 10, 6, 30, 15));
  assert_next("*-*-* 06:30", utc_usec(2024, 5, 10, 7, 0, 0), utc_usec(2024, 5, 11, 6, 30, 0));
  /* month ends roll over */
  assert_next("06:30", utc_usec(2024, 12, 31, 23, 0, 0), utc_usec(2025, 1, 1, 6, 30, 0));
  assert_next("06:30", utc_usec(2024, 2, 28, 7, 0, 0), utc_usec(2024, 2, 29, 6, 30, 0));
}

static void
test_strictly_after(void)
{
  guint64 match = utc_usec(2024, 5, 10, 6, 30, 0);
  /* exactly on a match: the next one */
  assert_next("06:30", match, match + 86400 * USEC);
  /* within the matching second, too */
  assert_next("06:30", match + USEC - 1, match + 86400 * USEC);
  /* a microsecond before: the match itself */
  assert_next("06:30", match - 1, match);
  assert_next("minutely", match, match + 60 * USEC);
  assert_next("minutely", match - 1, match);
}

static void
test_weekdays(void)
{
  guint64 fri_0900 = utc_usec(2024, 5, 10, 9, 0, 0);
  assert_next("Mon..Fri 09:00", fri_0900 - USEC, fri_0900);
  assert_next("Mon..Fri 09:00", fri_0900, utc_usec(2024, 5, 13, 9, 0, 0));
  assert_next("Mon..Fri 09:00", utc_usec(2024, 5, 11, 9, 0, 0), utc_usec(2024, 5, 13, 9, 0, 0));
  assert_next("Mon..Fri 09:00", utc_usec(2024, 5, 13, 8, 0, 0), utc_usec(2024, 5, 13, 9, 0, 0));
  assert_next("Monday..Friday 09:00", fri_0900, utc_usec(2024, 5, 13, 9, 0, 0));

  guint64 sat = utc_usec(2024, 5, 11, 10, 0, 30);
  guint64 sun = utc_usec(2024, 5, 12, 10, 0, 30);
  assert_next("Sat,Sun 10:00:30", fri_0900, sat);
  assert_next("Sat,Sun 10:00:30", sat, sun);
  assert_next("Sat,Sun 10:00:30", sun, utc_usec(2024, 5, 18, 10, 0, 30));
  assert_next("sat,SUN 10:00:30", fri_0900, sat);

  assert_next("Mon,Wed..Fri 12:00", utc_usec(2024, 5, 13, 12, 0, 0), utc_usec(2024, 5, 15, 12, 0, 0));

  /* a weekday alone means its midnight */
  assert_next("Wed", fri_0900, utc_usec(2024, 5, 15, 0, 0, 0));
  /* weekday and date must both match: the next Friday the 13th */
  assert_next("Fri *-*-13 00:00", fri_0900, utc_usec(2024, 9, 13, 0, 0, 0));
}

static void
test_dates(void)
{
  assert_next("*-*-01 00:00", utc_usec(2024, 5, 1, 0, 0, 0), utc_usec(2024, 6, 1, 0, 0, 0));
  assert_next("*-*-01 00:00", utc_usec(2024, 4, 30, 23, 59, 59), utc_usec(2024, 5, 1, 0, 0, 0));
  assert_next("*-*-01", utc_usec(2024, 5, 10, 0, 0, 0), utc_usec(2024, 6, 1, 0, 0, 0));
  assert_next("*-*-31 12:00", utc_usec(2024, 5, 31, 12, 0, 0), utc_usec(2024, 7, 31, 12, 0, 0));
  assert_next("12-25 08:00", utc_usec(2024, 5, 10, 0, 0, 0), utc_usec(2024, 12, 25, 8, 0, 0));
  assert_next("*-1,7-01 00:00", utc_usec(2024, 5, 10, 0, 0, 0), utc_usec(2024, 7, 1, 0, 0, 0));
  assert_next("2030-01-01 12:00", utc_usec(2026, 1, 1, 0, 0, 0), utc_usec(2030, 1, 1, 12, 0, 0));
  assert_none("2030-01-01 12:00", utc_usec(2030, 1, 1, 12, 0, 0));
  assert_next("2025,2027-06-01 00:00", utc_usec(2025, 6, 1, 0, 0, 0), utc_usec(2027, 6, 1, 0, 0, 0));
  /* leap day: the next one is four years on, inside the horizon */
  assert_next("*-02-29 00:00", utc_usec(2024, 3, 1, 0, 0, 0), utc_usec(2028, 2, 29, 0, 0, 0));
}

static void
test_lists_and_repetitions(void)
{
  guint64 t = utc_usec(2024, 5, 10, 10, 0, 0);
  assert_next("9,17:00", t, utc_usec(2024, 5, 10, 17, 0, 0));
  assert_next("9,17:00", utc_usec(2024, 5, 10, 17, 0, 0), utc_usec(2024, 5, 11, 9, 0, 0));
  assert_next("9..17:00", t, utc_usec(2024, 5, 10, 11, 0, 0));
  assert_next("9..17:00", utc_usec(2024, 5, 10, 17, 0, 0), utc_usec(2024, 5, 11, 9, 0, 0));
  assert_next("*:0/15", utc_usec(2024, 5, 10, 12, 34, 56), utc_usec(2024, 5, 10, 12, 45, 0));
  assert_next("*:0/15", utc_usec(2024, 5, 10, 12, 45, 0), utc_usec(2024, 5, 10, 13, 0, 0));
  assert_next("*:*/15", utc_usec(2024, 5, 10, 12, 45, 0), utc_usec(2024, 5, 10, 13, 0, 0));
  assert_next("*:5/20", utc_usec(2024, 5, 10, 12, 45, 0), utc_usec(2024, 5, 10, 13, 5, 0));
  assert_next("8..18/2:00", utc_usec(2024, 5, 10, 10, 0, 0), utc_usec(2024, 5, 10, 12, 0, 0));
  assert_next("8..18/2:00", utc_usec(2024, 5, 10, 18, 0, 0), utc_usec(2024, 5, 11, 8, 0, 0));
  assert_next("*:*:0/20", utc_usec(2024, 5, 10, 12, 0, 20), utc_usec(2024, 5, 10, 12, 0, 40));
  assert_next("Mon,Wed,Fri 8,20:30", utc_usec(2024, 5, 10, 9, 0, 0), utc_usec(2024, 5, 10, 20, 30, 0));
}

static void
test_bad(void)
{
  static const char *const bad[] = {
    "",
    "   ",
    "25:00",
    "24:00",
    "12:60",
    "09:00:60",
    "Moonday 09:00",
    "Monkey 09:00",
    "Mo 09:00",
    "Mond 09:00",
    "Mon..Funday 09:00",
    /* systemd refuses ranges that wrap past Sunday; so do we, so that both backends agree */
    "Sat..Mon 12:00",
    "*-13-01 00:00",
    "*-00-01 00:00",
    "*-*-32 00:00",
    "*-*-00 00:00",
    /* years outside 2000..2063 are beyond this subset */
    "1999-01-01 00:00",
    "2070-01-01 00:00",
    "2024-01 -01 00:00",
    "garbage",
    "every day",
    "9,,17:00",
    "9,:00",
    "*:0/0",
    "*:/15",
    "17..9:00",
    "09:00 Mon",
    "Mon Tue 09:00",
    "*-*-* 06:30 *-*-*",
    "*-*-* 06:30 extra",
    "06:30 07:30",
    "1:2:3:4",
    "*",
    "daily 09:00",
    "-1:00",
    "09:xx",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(ShiftdCalendar) cal = shiftd_calendar_parse(bad[i], &error);
    if (cal != NULL)
      g_error("\"%s\" parsed, expected an error", bad[i]);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_true(g_str_has_prefix(error->message, "bad calendar spec"));
  }
  g_autoptr(GError) error = NULL;
  g_assert_null(shiftd_calendar_parse(NULL, &error));
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_horizon(void)
{
  guint64 t = utc_usec(2024, 5, 10, 0, 0, 0);
  /* parses (each field is in range) but no day ever matches */
  assert_none("*-02-30 00:00", t);
  assert_none("*-04-31", t);
  /* matches, but more than five years on */
  assert_none("2030-01-01 12:00", utc_usec(2024, 1, 1, 0, 0, 0));
  /* no 31 February on a Monday either, and 2024-05-10 is a Friday */
  assert_none("Mon *-02-31", t);
  assert_none("Sat 2024-05-10", utc_usec(2024, 1, 1, 0, 0, 0));
}


/* Europe/Berlin springs forward on 2024-03-31 at 02:00 CET to 03:00 CEST, so
 * 02:30 does not exist that night. Like systemd, the calendar skips a local
 * time that does not exist rather than firing at a shifted time. */
static void
test_dst_spring_forward(void)
{
  if (!use_zone("Europe/Berlin"))
    return;
  /* 2024-03-30 02:30 CET = 01:30 UTC; 2024-04-01 02:30 CEST = 00:30 UTC */
  assert_next("02:30", utc_usec(2024, 3, 30, 1, 30, 0), utc_usec(2024, 4, 1, 0, 30, 0));
  assert_next("daily", utc_usec(2024, 3, 30, 0, 0, 0), utc_usec(2024, 3, 30, 23, 0, 0));
  /* the hour after 01:00 CET is 03:00 CEST: 01:00 UTC */
  assert_next("hourly", utc_usec(2024, 3, 31, 0, 0, 0), utc_usec(2024, 3, 31, 1, 0, 0));
  assert_next("minutely", utc_usec(2024, 3, 31, 0, 59, 0), utc_usec(2024, 3, 31, 1, 0, 0));
  /* wall-clock times after the jump are in CEST */
  assert_next("09:00", utc_usec(2024, 3, 31, 0, 0, 0), utc_usec(2024, 3, 31, 7, 0, 0));
  assert_next("09:00", utc_usec(2024, 3, 30, 0, 0, 0), utc_usec(2024, 3, 30, 8, 0, 0));
  g_assert_cmpuint(local_usec(2024, 3, 31, 9, 0, 0), ==, utc_usec(2024, 3, 31, 7, 0, 0));
  restore_utc();
}

/* On 2024-10-27 Berlin falls back from 03:00 CEST to 02:00 CET, so 02:xx
 * happens twice. Like systemd (checked with systemd-analyze calendar
 * --base-time), each wall-clock time fires once: a daily 02:30 at its first
 * copy, and minutely goes from 02:59 CEST straight to 03:00 CET. */
static void
test_dst_fall_back(void)
{
  if (!use_zone("Europe/Berlin"))
    return;
  /* 02:30 CEST = 00:30 UTC; the next day 02:30 CET = 01:30 UTC */
  assert_next("02:30", utc_usec(2024, 10, 26, 0, 30, 0), utc_usec(2024, 10, 27, 0, 30, 0));
  assert_next("02:30", utc_usec(2024, 10, 27, 0, 30, 0), utc_usec(2024, 10, 28, 1, 30, 0));
  assert_next("minutely", utc_usec(2024, 10, 27, 0, 58, 0), utc_usec(2024, 10, 27, 0, 59, 0));
  assert_next("minutely", utc_usec(2024, 10, 27, 0, 59, 0), utc_usec(2024, 10, 27, 2, 0, 0));
  /* from inside the second copy (02:30 CET = 01:30 UTC) the next is in CET too */
  assert_next("minutely", utc_usec(2024, 10, 27, 1, 30, 0), utc_usec(2024, 10, 27, 1, 31, 0));
  assert_next("*:31", utc_usec(2024, 10, 27, 1, 30, 0), utc_usec(2024, 10, 27, 1, 31, 0));
  assert_next("*:31", utc_usec(2024, 10, 27, 1, 31, 0), utc_usec(2024, 10, 27, 2, 31, 0));
  /* the day has 25 hours: daily midnight to midnight */
  assert_next("daily", utc_usec(2024, 10, 26, 22, 0, 0), utc_usec(2024, 10, 27, 23, 0, 0));
  restore_utc();
}

int
main(int argc, char **argv)
{
  /* expectations below are written in UTC unless a test switches zones */
  g_setenv("TZ", "UTC", TRUE);
  tzset();
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/calendar/shorthands", test_shorthands);
  g_test_add_func("/calendar/time-of-day", test_time_of_day);
  g_test_add_func("/calendar/strictly-after", test_strictly_after);
  g_test_add_func("/calendar/weekdays", test_weekdays);
  g_test_add_func("/calendar/dates", test_dates);
  g_test_add_func("/calendar/lists-and-repetitions", test_lists_and_repetitions);
  g_test_add_func("/calendar/bad", test_bad);
  g_test_add_func("/calendar/horizon", test_horizon);
  g_test_add_func("/calendar/dst-spring-forward", test_dst_spring_forward);
  g_test_add_func("/calendar/dst-fall-back", test_dst_fall_back);
  return g_test_run();
}
