#include "calendar.h"

#include <gio/gio.h>
#include <string.h>
#include <time.h>

struct ShiftdCalendar {
  guint64 years;    /* bit (year - 2000), all set = any */
  gboolean any_year;
  guint32 months;   /* bit 1..12 */
  guint32 days;     /* bit 1..31 */
  guint8 weekdays;  /* bit 0 = Monday .. 6 = Sunday */
  guint32 hours;    /* bit 0..23 */
  guint64 minutes;  /* bit 0..59 */
  guint64 seconds;  /* bit 0..59 */
};

static const char *const weekday_names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
static const char *const weekday_full_names[] = { "monday", "tuesday", "wednesday", "thursday",
                                                   "friday", "saturday", "sunday" };

void
shiftd_calendar_free(ShiftdCalendar *cal)
{
  g_free(cal);
}

static gboolean
fail(GError **error, const char *spec, const char *why)
{
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad calendar spec \"%s\": %s", spec, why);
  return FALSE;
}

/* One field: "*", "N", "A..B", "A,B,C", "*\/N", "A/N"; values in [lo, hi],
 * value v sets bit (v - offset). */
static gboolean
parse_field_offset(const char *text, guint lo, guint hi, guint offset, guint64 *bits)
{
  *bits = 0;
  g_auto(GStrv) items = g_strsplit(text, ",", -1);
  for (char **item = items; *item; item++) {
    char *slash = strchr(*item, '/');
    guint step = 1;
    if (slash) {
      guint64 s = 0;
      if (!g_ascii_string_to_unsigned(slash + 1, 10, 1, hi + 1, &s, NULL))
        return FALSE;
      step = (guint)s;
      *slash = '\0';
    }
    guint from = lo, to = hi;
    if (!g_str_equal(*item, "*")) {
      char *dots = strstr(*item, "..");
      guint64 a = 0, b = 0;
      if (dots) {
        *dots = '\0';
        if (!g_ascii_string_to_unsigned(*item, 10, lo, hi, &a, NULL) ||
            !g_ascii_string_to_unsigned(dots + 2, 10, lo, hi, &b, NULL) || a > b)
          return FALSE;
      } else {
        if (!g_ascii_string_to_unsigned(*item, 10, lo, hi, &a, NULL))
          return FALSE;
        b = slash ? hi : a;
      }
      from = (guint)a;
      to = (guint)b;
    }
    for (guint v = from; v <= to; v += step)
      *bits |= G_GUINT64_CONSTANT(1) << (v - offset);
  }
  return *bits != 0;
}

static gboolean
parse_field(const char *text, guint lo, guint hi, guint64 *bits)
{
  return parse_field_offset(text, lo, hi, 0, bits);
}

static int
weekday_index(const char *name)
{
  /* as systemd: the abbreviation or the full name, nothing in between */
  g_autofree char *lower = g_ascii_strdown(name, -1);
  for (int i = 0; i < 7; i++)
    if (g_str_equal(lower, weekday_names[i]) || g_str_equal(lower, weekday_full_names[i]))
      return i;
  return -1;
}

static gboolean
parse_weekdays(const char *text, guint8 *bits)
{
  *bits = 0;
  g_auto(GStrv) items = g_strsplit(text, ",", -1);
  for (char **item = items; *item; item++) {
    char *dots = strstr(*item, "..");
    int a, b;
    if (dots) {
      *dots = '\0';
      a = weekday_index(*item);
      b = weekday_index(dots + 2);
    } else {
      a = b = weekday_index(*item);
    }
    /* systemd refuses Sat..Mon; accepting it would make the embedded
     * scheduler run what the systemd backend rejects */
    if (a < 0 || b < 0 || a > b)
      return FALSE;
    for (int i = a; i <= b; i++)
      *bits |= (guint8)(1u << i);
  }
  return *bits != 0;
}

static gboolean
parse_date(ShiftdCalendar *c, const char *text)
{
  g_auto(GStrv) parts = g_strsplit(text, "-", -1);
  guint n = g_strv_length(parts);
  if (n != 2 && n != 3)
    return FALSE;
  guint64 bits;
  guint i = 0;
  if (n == 3) {
    if (g_str_equal(parts[0], "*")) {
      c->any_year = TRUE;
    } else {
      if (!parse_field_offset(parts[0], 2000, 2063, 2000, &bits))
        return FALSE;
      c->years = bits;
      c->any_year = FALSE;
    }
    i = 1;
  }
  if (!parse_field(parts[i], 1, 12, &bits))
    return FALSE;
  c->months = (guint32)bits;
  if (!parse_field(parts[i + 1], 1, 31, &bits))
    return FALSE;
  c->days = (guint32)bits;
  return TRUE;
}

static gboolean
parse_time(ShiftdCalendar *c, const char *text)
{
  g_auto(GStrv) parts = g_strsplit(text, ":", -1);
  guint n = g_strv_length(parts);
  if (n != 2 && n != 3)
    return FALSE;
  guint64 bits;
  if (!parse_field(parts[0], 0, 23, &bits))
    return FALSE;
  c->hours = (guint32)bits;
  if (!parse_field(parts[1], 0, 59, &c->minutes))
    return FALSE;
  if (n == 3)
    return parse_field(parts[2], 0, 59, &c->seconds);
  c->seconds = 1; /* :00 */
  return TRUE;
}

static void
set_all(ShiftdCalendar *c)
{
  c->any_year = TRUE;
  c->months = 0x1FFE;
  c->days = 0xFFFFFFFE;
  c->weekdays = 0x7F;
  c->hours = 0xFFFFFF;
  c->minutes = G_GUINT64_CONSTANT(0x0FFFFFFFFFFFFFFF);
  c->seconds = 1;
}

ShiftdCalendar *
shiftd_calendar_parse(const char *spec, GError **error)
{
  g_autoptr(ShiftdCalendar) c = g_new0(ShiftdCalendar, 1);
  set_all(c);
  g_autofree char *s = g_strstrip(g_ascii_strdown(spec ? spec : "", -1));
  if (*s == '\0') {
    fail(error, spec ? spec : "", "empty");
    return NULL;
  }
  static const struct {
    const char *name;
    const char *expansion;
  } shorthands[] = {
    { "minutely", "*-*-* *:*:00" }, { "hourly", "*-*-* *:00:00" },   { "daily", "*-*-* 00:00:00" },
    { "weekly", "Mon *-*-* 00:00:00" }, { "monthly", "*-*-01 00:00:00" }, { "yearly", "*-01-01 00:00:00" },
    { "annually", "*-01-01 00:00:00" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(shorthands); i++)
    if (g_str_equal(s, shorthands[i].name))
      return shiftd_calendar_parse(shorthands[i].expansion, error);

  g_auto(GStrv) words = g_strsplit_set(s, " \t", -1);
  gboolean have_time = FALSE, have_date = FALSE, have_weekday = FALSE;
  for (char **w = words; *w; w++) {
    if (**w == '\0')
      continue;
    if (!have_time && strchr(*w, ':')) {
      if (!parse_time(c, *w)) {
        fail(error, spec, "bad time (expected HH:MM[:SS])");
        return NULL;
      }
      have_time = TRUE;
    } else if (!have_date && !have_time && (strchr(*w, '-') || g_str_equal(*w, "*"))) {
      if (!parse_date(c, *w)) {
        fail(error, spec, "bad date (expected YYYY-MM-DD, with * for any)");
        return NULL;
      }
      have_date = TRUE;
    } else if (!have_weekday && !have_date && !have_time && g_ascii_isalpha(**w)) {
      if (!parse_weekdays(*w, &c->weekdays)) {
        fail(error, spec, "bad weekday (Mon, Tue..Fri, Sat,Sun)");
        return NULL;
      }
      have_weekday = TRUE;
    } else {
      fail(error, spec, "unexpected part");
      return NULL;
    }
  }
  if (!have_time) {
    /* "Mon" or "*-*-01" alone: at midnight */
    c->hours = 1;
    c->minutes = 1;
    c->seconds = 1;
  }
  return g_steal_pointer(&c);
}

static gboolean
bit(guint64 bits, guint i)
{
  return (bits >> i) & 1;
}

static gboolean
date_matches(const ShiftdCalendar *c, const struct tm *tm)
{
  guint year = (guint)tm->tm_year + 1900;
  if (!c->any_year && (year < 2000 || year > 2063 || !bit(c->years, year - 2000)))
    return FALSE;
  int weekday = (tm->tm_wday + 6) % 7; /* Monday = 0 */
  return bit(c->months, (guint)tm->tm_mon + 1) && bit(c->days, (guint)tm->tm_mday) &&
         bit(c->weekdays, (guint)weekday);
}

/* The earliest instant at or after `start` that shows day's date and h:m:s on
 * the local clock. None when the clock skips that time (spring forward: as
 * systemd, the wake is skipped, not shifted); when the clock shows it twice
 * (fall back), the first copy not before `start`. Both tm_isdst values are
 * tried, as mktime's guess for -1 depends on its previous calls. */
static gboolean
resolve_local(const struct tm *day, guint h, guint m, guint sec, time_t start, time_t *out)
{
  gboolean found = FALSE;
  for (int dst = 0; dst <= 1; dst++) {
    struct tm want = *day;
    want.tm_hour = (int)h;
    want.tm_min = (int)m;
    want.tm_sec = (int)sec;
    want.tm_isdst = dst;
    time_t t = mktime(&want);
    if (t == (time_t)-1 || t < start || (found && t >= *out))
      continue;
    struct tm got;
    localtime_r(&t, &got);
    if (got.tm_isdst != dst || got.tm_mday != day->tm_mday || got.tm_hour != (int)h ||
        got.tm_min != (int)m || got.tm_sec != (int)sec)
      continue;
    *out = t;
    found = TRUE;
  }
  return found;
}

gboolean
shiftd_calendar_next(const ShiftdCalendar *c, guint64 after, guint64 *next)
{
  time_t start = (time_t)(after / G_USEC_PER_SEC) + 1;
  struct tm tm;
  localtime_r(&start, &tm);
  gboolean first_day = TRUE;
  for (int day = 0; day < 366 * 5; day++) {
    if (!first_day) {
      tm.tm_mday += 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
      tm.tm_isdst = -1;
      time_t t = mktime(&tm);
      localtime_r(&t, &tm);
    }
    if (date_matches(c, &tm)) {
      for (guint h = first_day ? (guint)tm.tm_hour : 0; h < 24; h++) {
        if (!bit(c->hours, h))
          continue;
        gboolean same_hour = first_day && h == (guint)tm.tm_hour;
        for (guint m = same_hour ? (guint)tm.tm_min : 0; m < 60; m++) {
          if (!bit(c->minutes, m))
            continue;
          gboolean same_minute = same_hour && m == (guint)tm.tm_min;
          for (guint sec = same_minute ? (guint)tm.tm_sec : 0; sec < 60; sec++) {
            time_t t = 0;
            if (!bit(c->seconds, sec) || !resolve_local(&tm, h, m, sec, start, &t))
              continue;
            *next = (guint64)t * G_USEC_PER_SEC;
            return TRUE;
          }
        }
      }
    }
    first_day = FALSE;
  }
  return FALSE;
}
