#include "output.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "shiftd-names.h"

gboolean
cli_color_wanted(gboolean stdout_is_tty, const char *no_color, const char *term)
{
  if (no_color != NULL && no_color[0] != '\0')
    return FALSE; /* https://no-color.org */
  if (term != NULL && g_str_equal(term, "dumb"))
    return FALSE;
  return stdout_is_tty;
}

const char *
cli_state_sgr(const char *state)
{
  static const struct {
    const char *state;
    const char *sgr;
  } map[] = {
    { SHIFTD_STATE_QUEUED, "\033[34m" },     /* blue */
    { SHIFTD_STATE_RUNNING, "\033[1;36m" },  /* bright cyan */
    { SHIFTD_STATE_WAITING, "\033[1;33m" },  /* yellow */
    { SHIFTD_STATE_DONE, "\033[32m" },       /* green */
    { SHIFTD_STATE_IDLE, "\033[2m" },        /* dim */
    { SHIFTD_STATE_FAILED, "\033[1;31m" },   /* red */
    { SHIFTD_STATE_CANCELLED, "\033[90m" },  /* grey */
  };
  for (gsize i = 0; state != NULL && i < G_N_ELEMENTS(map); i++)
    if (g_str_equal(map[i].state, state))
      return map[i].sgr;
  return "";
}

const char *
cli_event_kind_sgr(const char *kind)
{
  if (kind == NULL)
    return "";
  if (g_str_equal(kind, "asked"))
    return cli_state_sgr(SHIFTD_STATE_WAITING);
  /* the worker reports no_work; the run then ends idle */
  if (g_str_equal(kind, "no_work"))
    return cli_state_sgr(SHIFTD_STATE_IDLE);
  if (g_str_equal(kind, SHIFTD_STATE_DONE) || g_str_equal(kind, SHIFTD_STATE_IDLE) ||
      g_str_equal(kind, SHIFTD_STATE_FAILED) || g_str_equal(kind, SHIFTD_STATE_CANCELLED))
    return cli_state_sgr(kind);
  return "";
}

char *
cli_colorize(const char *text, const char *sgr, gboolean color)
{
  if (!color || sgr == NULL || sgr[0] == '\0')
    return g_strdup(text);
  return g_strconcat(sgr, text, CLI_SGR_RESET, NULL);
}

/* One or two units, coarse enough to read at a glance. */
static char *
format_span(guint64 sec)
{
  const guint64 min = 60, hour = 3600, day = 86400, year = 31557600;
  if (sec < min)
    return g_strdup_printf("%" G_GUINT64_FORMAT " s", sec);
  if (sec < hour)
    return g_strdup_printf("%" G_GUINT64_FORMAT " min", sec / min);
  if (sec < day) {
    guint64 m = (sec % hour) / min;
    if (m == 0)
      return g_strdup_printf("%" G_GUINT64_FORMAT " h", sec / hour);
    return g_strdup_printf("%" G_GUINT64_FORMAT " h %" G_GUINT64_FORMAT " min", sec / hour, m);
  }
  if (sec < 7 * day) {
    guint64 h = (sec % day) / hour;
    if (h == 0)
      return g_strdup_printf("%" G_GUINT64_FORMAT " d", sec / day);
    return g_strdup_printf("%" G_GUINT64_FORMAT " d %" G_GUINT64_FORMAT " h", sec / day, h);
  }
  if (sec < year)
    return g_strdup_printf("%" G_GUINT64_FORMAT " d", sec / day);
  return g_strdup_printf("%" G_GUINT64_FORMAT " y", sec / year);
}

char *
cli_format_relative(guint64 now_usec, guint64 when_usec)
{
  if (when_usec == 0)
    return g_strdup(_("never"));
  gboolean future = when_usec > now_usec;
  guint64 sec = (future ? when_usec - now_usec : now_usec - when_usec) / G_USEC_PER_SEC;
  if (sec == 0)
    return g_strdup(_("now"));
  g_autofree char *span = format_span(sec);
  /* TRANSLATORS: a time to come, %s is a span such as "3 min" or "2 h 5 min" */
  return future ? g_strdup_printf(_("in %s"), span)
                /* TRANSLATORS: a time gone by, %s is a span such as "3 min" or "2 h 5 min" */
                : g_strdup_printf(_("%s ago"), span);
}

static char *
format_usec(guint64 usec, GTimeZone *tz, const char *format)
{
  if (usec == 0)
    return g_strdup(_("never"));
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc((gint64)(usec / G_USEC_PER_SEC));
  if (utc == NULL)
    return g_strdup_printf("@%" G_GUINT64_FORMAT, usec);
  g_autoptr(GTimeZone) local = tz ? NULL : g_time_zone_new_local();
  g_autoptr(GDateTime) dt = g_date_time_to_timezone(utc, tz ? tz : local);
  return g_date_time_format(dt, format);
}

char *
cli_format_timestamp(guint64 usec, GTimeZone *tz)
{
  return format_usec(usec, tz, "%a %Y-%m-%d %H:%M:%S %Z");
}

char *
cli_format_event_time(guint64 usec, GTimeZone *tz)
{
  return format_usec(usec, tz, "%b %d %H:%M:%S");
}

char *
cli_format_when(guint64 now_usec, guint64 usec, GTimeZone *tz)
{
  if (usec == 0)
    return g_strdup(_("never"));
  g_autofree char *abs = cli_format_timestamp(usec, tz);
  g_autofree char *rel = cli_format_relative(now_usec, usec);
  return g_strdup_printf("%s; %s", abs, rel);
}

char *
cli_shell_quote(const char *word)
{
  gboolean safe = word[0] != '\0';
  for (const char *p = word; *p && safe; p++)
    safe = g_ascii_isalnum(*p) || strchr("-_./:=@+,%", *p) != NULL;
  return safe ? g_strdup(word) : g_shell_quote(word);
}

void
cli_print_json(JsonNode *node, gboolean pretty)
{
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, node);
  json_generator_set_pretty(gen, pretty);
  json_generator_set_indent(gen, 2);
  g_autofree char *text = json_generator_to_data(gen, NULL);
  fputs(text, stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

void
cli_print_json_object(JsonObject *object, gboolean pretty)
{
  g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), object);
  cli_print_json(node, pretty);
}

guint
cli_terminal_width(void)
{
  struct winsize ws;
  if (!isatty(STDOUT_FILENO))
    return 0;
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

guint
cli_output_width(gboolean stdout_is_tty, const char *columns)
{
  guint64 n = 0;
  if (columns != NULL && g_ascii_string_to_unsigned(columns, 10, 1, 10000, &n, NULL))
    return (guint)n;
  return stdout_is_tty ? cli_terminal_width() : 0;
}

guint64
cli_clock_now(void)
{
  guint64 pinned = 0;
  const char *text = g_getenv("SHIFTCTL_NOW_USEC");
  if (text != NULL && g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT64, &pinned, NULL))
    return pinned;
  return (guint64)g_get_real_time();
}
