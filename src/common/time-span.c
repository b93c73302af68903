#include "time-span.h"

#include <gio/gio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shiftd-clock.h"

typedef struct {
  const char *suffix;
  guint64 usec;
} SpanUnit;

/* Longest suffixes first so "min" is not read as "m" + "in". */
static const SpanUnit span_units[] = {
  { "seconds", SHIFTD_USEC_PER_SEC },
  { "second", SHIFTD_USEC_PER_SEC },
  { "minutes", 60 * SHIFTD_USEC_PER_SEC },
  { "minute", 60 * SHIFTD_USEC_PER_SEC },
  { "months", 2629800 * SHIFTD_USEC_PER_SEC },
  { "month", 2629800 * SHIFTD_USEC_PER_SEC },
  { "hours", 3600 * SHIFTD_USEC_PER_SEC },
  { "hour", 3600 * SHIFTD_USEC_PER_SEC },
  { "years", 31557600 * SHIFTD_USEC_PER_SEC },
  { "year", 31557600 * SHIFTD_USEC_PER_SEC },
  { "weeks", 604800 * SHIFTD_USEC_PER_SEC },
  { "week", 604800 * SHIFTD_USEC_PER_SEC },
  { "msec", 1000 },
  { "usec", 1 },
  { "days", 86400 * SHIFTD_USEC_PER_SEC },
  { "day", 86400 * SHIFTD_USEC_PER_SEC },
  { "mins", 60 * SHIFTD_USEC_PER_SEC },
  { "min", 60 * SHIFTD_USEC_PER_SEC },
  { "sec", SHIFTD_USEC_PER_SEC },
  { "hr", 3600 * SHIFTD_USEC_PER_SEC },
  { "ms", 1000 },
  { "us", 1 },
  { "\xc2\xb5s", 1 },
  { "s", SHIFTD_USEC_PER_SEC },
  { "m", 60 * SHIFTD_USEC_PER_SEC },
  { "h", 3600 * SHIFTD_USEC_PER_SEC },
  { "d", 86400 * SHIFTD_USEC_PER_SEC },
  { "w", 604800 * SHIFTD_USEC_PER_SEC },
  { "M", 2629800 * SHIFTD_USEC_PER_SEC },
  { "y", 31557600 * SHIFTD_USEC_PER_SEC },
};

static const SpanUnit *
match_unit(const char *p, size_t *len)
{
  for (size_t i = 0; i < G_N_ELEMENTS(span_units); i++) {
    size_t n = strlen(span_units[i].suffix);
    if (strncmp(p, span_units[i].suffix, n) == 0 && !g_ascii_isalpha(p[n])) {
      *len = n;
      return &span_units[i];
    }
  }
  return NULL;
}

gboolean
shiftd_time_span_parse(const char *text, guint64 *out_usec, GError **error)
{
  g_return_val_if_fail(out_usec != NULL, FALSE);

  if (text == NULL)
    text = "";
  const char *p = text;
  while (g_ascii_isspace(*p))
    p++;
  if (*p == '\0') {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "empty time span");
    return FALSE;
  }
  g_autofree char *trimmed = g_strstrip(g_strdup(p));
  if (g_str_equal(trimmed, "infinity")) {
    *out_usec = SHIFTD_USEC_INFINITY;
    return TRUE;
  }

  long double total = 0;
  gboolean any = FALSE;
  while (*p) {
    while (g_ascii_isspace(*p))
      p++;
    if (*p == '\0')
      break;
    if (!g_ascii_isdigit(*p) && *p != '.') {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "bad time span \"%s\": expected a number at \"%s\"", text, p);
      return FALSE;
    }
    char *end = NULL;
    errno = 0;
    long double value = strtold(p, &end);
    if (errno != 0 || end == p || value < 0) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad time span \"%s\"", text);
      return FALSE;
    }
    p = end;
    while (*p == ' ' || *p == '\t')
      p++;
    guint64 unit_usec = SHIFTD_USEC_PER_SEC;
    if (g_ascii_isalpha(*p) || (guchar)*p == 0xc2) {
      size_t len = 0;
      const SpanUnit *unit = match_unit(p, &len);
      if (unit == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "bad time span \"%s\": unknown unit at \"%s\"", text, p);
        return FALSE;
      }
      unit_usec = unit->usec;
      p += len;
    } else if (*p != '\0' && !g_ascii_isspace(*p)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "bad time span \"%s\": unexpected \"%s\"", text, p);
      return FALSE;
    }
    total += value * (long double)unit_usec;
    any = TRUE;
    if (total >= (long double)G_MAXUINT64) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "time span \"%s\" is too large", text);
      return FALSE;
    }
  }
  if (!any) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "empty time span");
    return FALSE;
  }
  /* Not (guint64)(total + 0.5L): above 2^63 a long double has no halves, so
   * adding one rounds a whole odd value up to the next even one. */
  guint64 whole = (guint64)total;
  *out_usec = total - (long double)whole >= 0.5L ? whole + 1 : whole;
  return TRUE;
}

char *
shiftd_time_span_format(guint64 usec)
{
  static const struct {
    const char *suffix;
    guint64 usec;
  } parts[] = {
    { "d", 86400 * SHIFTD_USEC_PER_SEC },
    { "h", 3600 * SHIFTD_USEC_PER_SEC },
    { "min", 60 * SHIFTD_USEC_PER_SEC },
    { "s", SHIFTD_USEC_PER_SEC },
    { "ms", 1000 },
    { "us", 1 },
  };

  if (usec == SHIFTD_USEC_INFINITY)
    return g_strdup("infinity");
  if (usec == 0)
    return g_strdup("0");

  GString *s = g_string_new(NULL);
  for (size_t i = 0; i < G_N_ELEMENTS(parts) && usec > 0; i++) {
    if (usec < parts[i].usec)
      continue;
    guint64 n = usec / parts[i].usec;
    usec %= parts[i].usec;
    g_string_append_printf(s, "%s%" G_GUINT64_FORMAT "%s", s->len ? " " : "", n, parts[i].suffix);
  }
  return g_string_free(s, FALSE);
}

/* Through the process's clock, so that tests can set the time. */
guint64
shiftd_now_realtime_usec(void)
{
  return shiftd_clock_realtime_usec(shiftd_clock_get_default());
}

guint64
shiftd_now_monotonic_usec(void)
{
  return shiftd_clock_monotonic_usec(shiftd_clock_get_default());
}
