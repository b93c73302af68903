#include <glib.h>
#include <string.h>

#include "output.h"
#include "table.h"

/* The text without SGR sequences, as a terminal shows it. */
static char *
strip_sgr(const char *text)
{
  g_autoptr(GRegex) re = g_regex_new("\033\\[[0-9;]*m", 0, 0, NULL);
  return g_regex_replace_literal(re, text, -1, 0, "", 0, NULL);
}

/* The terminal column at which byte offset `at` of line starts. */
static guint
column_of(const char *line, const char *at)
{
  g_autofree char *head = g_strndup(line, at - line);
  return cli_text_width(head);
}

static void
test_columns_line_up(gconstpointer color_data)
{
  gboolean color = GPOINTER_TO_INT(color_data);
  const char *headers[] = { "NAME", "STATE", "SUMMARY" };
  g_autoptr(CliTable) table = cli_table_new(3, headers);
  const char *r1[] = { "run-1", "running", "short" };
  const char *r2[] = { "a-much-longer-name", "done", "\303\274ber \xe6\x97\xa5\xe6\x9c\xac" };
  const char *r3[] = { "\xe6\x97\xa5\xe6\x9c\xac", NULL, "line one\nline two" };
  cli_table_set_sgr(table, cli_table_add_row(table, r1), 1, cli_state_sgr("running"));
  cli_table_set_sgr(table, cli_table_add_row(table, r2), 1, cli_state_sgr("done"));
  cli_table_add_row(table, r3);
  g_assert_cmpuint(cli_table_n_rows(table), ==, 3);

  g_autofree char *text = cli_table_render(table, color, 0, TRUE);
  g_assert_true((strstr(text, "\033[") != NULL) == color);
  g_autofree char *plain = strip_sgr(text);
  g_auto(GStrv) lines = g_strsplit(plain, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 5); /* 4 lines and the final "" */
  g_assert_cmpstr(lines[4], ==, "");

  guint state_col = column_of(lines[0], strstr(lines[0], "STATE"));
  guint summary_col = column_of(lines[0], strstr(lines[0], "SUMMARY"));
  g_assert_cmpuint(state_col, ==, strlen("a-much-longer-name") + 2);
  const char *states[] = { "running", "done", "-" };
  const char *summaries[] = { "short", "\303\274ber", "line one line two" };
  for (guint i = 0; i < 3; i++) {
    const char *line = lines[i + 1];
    g_assert_cmpuint(column_of(line, strstr(line, states[i])), ==, state_col);
    g_assert_cmpuint(column_of(line, strstr(line, summaries[i])), ==, summary_col);
  }
}

static void
test_last_column_fits_width(void)
{
  const char *headers[] = { "NAME", "SUMMARY" };
  g_autoptr(CliTable) table = cli_table_new(2, headers);
  const char *row[] = { "run-1", "a summary that is far too long to fit in the window" };
  cli_table_add_row(table, row);
  g_autofree char *text = cli_table_render(table, FALSE, 30, TRUE);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_assert_cmpstr(lines[1], ==, "run-1  a summary that is far \xe2\x80\xa6");
  g_assert_cmpuint(cli_text_width(lines[1]), ==, 30);
}

static void
test_text_width(void)
{
  g_assert_cmpuint(cli_text_width("abc"), ==, 3);
  g_assert_cmpuint(cli_text_width("\303\274ber"), ==, 4);
  g_assert_cmpuint(cli_text_width("\xe6\x97\xa5\xe6\x9c\xac"), ==, 4); /* wide */
  g_assert_cmpuint(cli_text_width("e\xcc\x81"), ==, 1);                  /* combining accent */

  g_autofree char *same = cli_text_truncate("abc", 3);
  g_autofree char *cut = cli_text_truncate("abcdef", 4);
  g_autofree char *wide = cli_text_truncate("\xe6\x97\xa5\xe6\x9c\xac\xe6\x97\xa5", 4);
  g_assert_cmpstr(same, ==, "abc");
  g_assert_cmpstr(cut, ==, "abc\xe2\x80\xa6");
  g_assert_cmpstr(wide, ==, "\xe6\x97\xa5\xe2\x80\xa6"); /* a wide character never half-shown */
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_data_func("/cli/table/columns-line-up/plain", GINT_TO_POINTER(FALSE), test_columns_line_up);
  g_test_add_data_func("/cli/table/columns-line-up/color", GINT_TO_POINTER(TRUE), test_columns_line_up);
  g_test_add_func("/cli/table/last-column-fits-width", test_last_column_fits_width);
  g_test_add_func("/cli/table/text-width", test_text_width);
  return g_test_run();
}
