#include <glib.h>

#include "cli-context.h"
#include "output.h"
#include "pager.h"
#include "run-print.h"
#include "table.h"
#include "shiftd-names.h"

#define SEC G_GINT64_CONSTANT(1000000)

static void
test_color_wanted(void)
{
  g_assert_true(cli_color_wanted(TRUE, NULL, "xterm-256color"));
  g_assert_true(cli_color_wanted(TRUE, "", NULL)); /* an empty NO_COLOR does not count */
  g_assert_false(cli_color_wanted(FALSE, NULL, "xterm"));
  g_assert_false(cli_color_wanted(TRUE, "1", "xterm"));
  g_assert_false(cli_color_wanted(TRUE, NULL, "dumb"));
}

static void
test_state_colors(void)
{
  const char *states[] = { SHIFTD_STATE_QUEUED, SHIFTD_STATE_RUNNING, SHIFTD_STATE_WAITING,
                           SHIFTD_STATE_DONE,   SHIFTD_STATE_IDLE,    SHIFTD_STATE_FAILED,
                           SHIFTD_STATE_CANCELLED };
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (gsize i = 0; i < G_N_ELEMENTS(states); i++) {
    const char *sgr = cli_state_sgr(states[i]);
    g_assert_true(g_str_has_prefix(sgr, "\033["));
    /* every state looks different */
    g_assert_true(g_hash_table_add(seen, (gpointer)sgr));
  }
  g_assert_cmpstr(cli_state_sgr(SHIFTD_STATE_DONE), ==, "\033[32m");
  g_assert_cmpstr(cli_state_sgr(SHIFTD_STATE_FAILED), ==, "\033[1;31m");
  g_assert_cmpstr(cli_state_sgr(SHIFTD_STATE_WAITING), ==, "\033[1;33m");
  g_assert_cmpstr(cli_state_sgr("sleeping"), ==, "");
  g_assert_cmpstr(cli_state_sgr(NULL), ==, "");

  g_assert_cmpstr(cli_event_kind_sgr("asked"), ==, cli_state_sgr(SHIFTD_STATE_WAITING));
  g_assert_cmpstr(cli_event_kind_sgr("no_work"), ==, cli_state_sgr(SHIFTD_STATE_IDLE));
  g_assert_cmpstr(cli_event_kind_sgr("failed"), ==, cli_state_sgr(SHIFTD_STATE_FAILED));
  g_assert_cmpstr(cli_event_kind_sgr("tool_call"), ==, "");

  g_autofree char *on = cli_colorize("done", cli_state_sgr("done"), TRUE);
  g_autofree char *off = cli_colorize("done", cli_state_sgr("done"), FALSE);
  g_autofree char *plain = cli_colorize("x", "", TRUE);
  g_assert_cmpstr(on, ==, "\033[32mdone\033[0m");
  g_assert_cmpstr(off, ==, "done");
  g_assert_cmpstr(plain, ==, "x");
}

static void
test_relative(void)
{
  const guint64 now = G_GUINT64_CONSTANT(1700000000000000);
  static const struct {
    gint64 delta_usec; /* when - now */
    const char *text;
  } cases[] = {
    { 0, "now" },
    { -999999, "now" },
    { -45 * SEC, "45 s ago" },
    { -200 * SEC, "3 min ago" },
    { -3600 * SEC, "1 h ago" },
    { 2 * 3600 * SEC, "in 2 h" },
    { 5400 * SEC, "in 1 h 30 min" },
    { -26 * 3600 * SEC, "1 d 2 h ago" },
    { 3 * 86400 * SEC, "in 3 d" },
    { -10 * 86400 * SEC, "10 d ago" },
    { -400 * (gint64)86400 * SEC, "1 y ago" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *text = cli_format_relative(now, now + cases[i].delta_usec);
    g_assert_cmpstr(text, ==, cases[i].text);
  }
  g_autofree char *never = cli_format_relative(now, 0);
  g_assert_cmpstr(never, ==, "never");
}

static void
test_timestamps(void)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
  g_autoptr(GTimeZone) plus2 = g_time_zone_new_identifier("+02:00");
  const guint64 t = G_GUINT64_CONSTANT(1700000000123456);
  g_autofree char *a = cli_format_timestamp(t, utc);
  g_autofree char *b = cli_format_timestamp(t, plus2);
  g_autofree char *c = cli_format_event_time(t, utc);
  g_autofree char *d = cli_format_when(t + 180 * SEC, t, utc);
  g_autofree char *never = cli_format_timestamp(0, utc);
  g_assert_cmpstr(a, ==, "Tue 2023-11-14 22:13:20 UTC");
  g_assert_true(g_str_has_prefix(b, "Wed 2023-11-15 00:13:20 "));
  g_assert_cmpstr(c, ==, "Nov 14 22:13:20");
  g_assert_cmpstr(d, ==, "Tue 2023-11-14 22:13:20 UTC; 3 min ago");
  g_assert_cmpstr(never, ==, "never");
}

static void
test_shell_quote(void)
{
  g_autofree char *plain = cli_shell_quote("run-7k2m");
  g_autofree char *address = cli_shell_quote("unix:path=/tmp/b,guid=ab");
  g_autofree char *spaced = cli_shell_quote("a b");
  g_autofree char *quote = cli_shell_quote("it's");
  g_autofree char *empty = cli_shell_quote("");
  g_assert_cmpstr(plain, ==, "run-7k2m");
  g_assert_cmpstr(address, ==, "unix:path=/tmp/b,guid=ab");
  g_assert_cmpstr(spaced, ==, "'a b'");
  g_assert_cmpstr(quote, ==, "'it'\\''s'");
  g_assert_cmpstr(empty, ==, "''");
}

static void
test_summary_after_state(void)
{
  /* the daemon's summaries begin with the state they end in */
  g_assert_cmpstr(cli_summary_after_state("failed", "failed: the model is gone"), ==, "the model is gone");
  g_assert_cmpstr(cli_summary_after_state("cancelled", "cancelled by uid 0"), ==, "by uid 0");
  g_assert_cmpstr(cli_summary_after_state("failed", "failed"), ==, "");
  g_assert_cmpstr(cli_summary_after_state("done", "done-ish"), ==, "done-ish");
  g_assert_cmpstr(cli_summary_after_state("done", "All tidy."), ==, "All tidy.");
  g_assert_cmpstr(cli_summary_after_state("", "x"), ==, "x");
}

static void
test_width_and_truncation(void)
{
  g_assert_cmpuint(cli_output_width(FALSE, NULL), ==, 0);
  g_assert_cmpuint(cli_output_width(FALSE, "72"), ==, 72);
  g_assert_cmpuint(cli_output_width(FALSE, "wide"), ==, 0);
  g_assert_cmpuint(cli_output_width(FALSE, "0"), ==, 0);

  g_autofree char *plain = cli_text_truncate_sgr("abcdef", 4);
  g_assert_cmpstr(plain, ==, "abc\xe2\x80\xa6");
  g_autofree char *fits = cli_text_truncate_sgr("\033[1mab\033[0m", 2);
  g_assert_cmpstr(fits, ==, "\033[1mab\033[0m");
  g_autofree char *cut = cli_text_truncate_sgr("\033[32mdone\033[0m and more", 6);
  g_assert_cmpstr(cut, ==, "\033[32mdone\033[0m \xe2\x80\xa6\033[0m");
}

static void
test_pager_choice(void)
{
  g_assert_null(cli_pager_from_env(NULL, NULL));
  g_assert_cmpstr(cli_pager_from_env(NULL, "most"), ==, "most");
  g_assert_cmpstr(cli_pager_from_env("less -S", "most"), ==, "less -S");
  g_assert_cmpstr(cli_pager_from_env("", "most"), ==, "");
  g_assert_cmpstr(cli_pager_from_env(NULL, " cat "), ==, "");
}

static void
test_exit_statuses(void)
{
  g_assert_cmpint(cli_exit_status_for("NoSuchRun"), ==, 4);
  g_assert_cmpint(cli_exit_status_for("NoSuchAgent"), ==, 4);
  g_assert_cmpint(cli_exit_status_for("UnknownObject"), ==, 4);
  g_assert_cmpint(cli_exit_status_for("NotRunning"), ==, 7);
  g_assert_cmpint(cli_exit_status_for("NotStarted"), ==, 7);
  g_assert_cmpint(cli_exit_status_for("NoBus"), ==, 7);
  g_assert_cmpint(cli_exit_status_for("AccessDenied"), ==, 1);
  g_assert_cmpint(cli_exit_status_for("InvalidArgument"), ==, 1);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli/output/summary-after-state", test_summary_after_state);
  g_test_add_func("/cli/output/width-and-truncation", test_width_and_truncation);
  g_test_add_func("/cli/output/pager-choice", test_pager_choice);
  g_test_add_func("/cli/output/exit-statuses", test_exit_statuses);
  g_test_add_func("/cli/output/color-wanted", test_color_wanted);
  g_test_add_func("/cli/output/state-colors", test_state_colors);
  g_test_add_func("/cli/output/relative", test_relative);
  g_test_add_func("/cli/output/timestamps", test_timestamps);
  g_test_add_func("/cli/output/shell-quote", test_shell_quote);
  return g_test_run();
}
