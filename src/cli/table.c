#include "table.h"

#include <string.h>

#include "output.h"

typedef struct {
  char *text;
  const char *sgr;
} Cell;

struct CliTable {
  guint n_columns;
  GPtrArray *rows; /* of Cell[n_columns]; row 0 holds the headers */
};

static void
row_free(gpointer data, gpointer n_columns)
{
  Cell *row = data;
  for (guint i = 0; i < GPOINTER_TO_UINT(n_columns); i++)
    g_free(row[i].text);
  g_free(row);
}

CliTable *
cli_table_new(guint n_columns, const char *const *headers)
{
  CliTable *table = g_new0(CliTable, 1);
  table->n_columns = n_columns;
  table->rows = g_ptr_array_new();
  cli_table_add_row(table, headers);
  for (guint i = 0; i < n_columns; i++)
    cli_table_set_sgr(table, 0, i, CLI_SGR_BOLD);
  return table;
}

void
cli_table_free(CliTable *table)
{
  if (table == NULL)
    return;
  g_ptr_array_foreach(table->rows, row_free, GUINT_TO_POINTER(table->n_columns));
  g_ptr_array_unref(table->rows);
  g_free(table);
}

guint
cli_table_add_row(CliTable *table, const char *const *cells)
{
  Cell *row = g_new0(Cell, table->n_columns);
  for (guint i = 0; i < table->n_columns; i++) {
    const char *text = cells[i] && cells[i][0] ? cells[i] : "-";
    /* a cell is one line: newlines and tabs would break the columns */
    row[i].text = g_strdup(text);
    g_strdelimit(row[i].text, "\n\r\t", ' ');
    row[i].sgr = "";
  }
  g_ptr_array_add(table->rows, row);
  return table->rows->len - 1;
}

void
cli_table_set_sgr(CliTable *table, guint row, guint column, const char *sgr)
{
  g_return_if_fail(row < table->rows->len && column < table->n_columns);
  Cell *cells = g_ptr_array_index(table->rows, row);
  cells[column].sgr = sgr ? sgr : "";
}

guint
cli_table_n_rows(CliTable *table)
{
  return table->rows->len - 1;
}

guint
cli_text_width(const char *text)
{
  guint width = 0;
  for (const char *p = text; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char_validated(p, -1);
    if (c == (gunichar)-1 || c == (gunichar)-2) {
      width++;
      continue;
    }
    if (g_unichar_iszerowidth(c))
      continue;
    width += g_unichar_iswide(c) ? 2 : 1;
  }
  return width;
}

char *
cli_text_truncate(const char *text, guint width)
{
  if (cli_text_width(text) <= width)
    return g_strdup(text);
  if (width == 0)
    return g_strdup("");
  GString *out = g_string_new(NULL);
  guint used = 0;
  for (const char *p = text; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    guint w = g_unichar_iszerowidth(c) ? 0 : g_unichar_iswide(c) ? 2 : 1;
    if (used + w > width - 1) /* keep a column for the ellipsis */
      break;
    g_string_append_unichar(out, c);
    used += w;
  }
  g_string_append(out, "\xe2\x80\xa6");
  return g_string_free(out, FALSE);
}

static gsize
sgr_length(const char *p)
{
  if (p[0] != '\033' || p[1] != '[')
    return 0;
  gsize n = 2;
  while (p[n] != '\0' && (g_ascii_isdigit(p[n]) || p[n] == ';'))
    n++;
  return p[n] == 'm' ? n + 1 : 0;
}

char *
cli_text_truncate_sgr(const char *text, guint width)
{
  guint total = 0;
  gboolean any_sgr = FALSE;
  for (const char *p = text; *p;) {
    gsize sgr = sgr_length(p);
    if (sgr) {
      any_sgr = TRUE;
      p += sgr;
      continue;
    }
    gunichar c = g_utf8_get_char_validated(p, -1);
    total += c == (gunichar)-1 || c == (gunichar)-2 ? 1 : g_unichar_iszerowidth(c) ? 0 : g_unichar_iswide(c) ? 2 : 1;
    p = c == (gunichar)-1 || c == (gunichar)-2 ? p + 1 : g_utf8_next_char(p);
  }
  if (total <= width)
    return g_strdup(text);
  if (width == 0)
    return g_strdup("");
  GString *out = g_string_new(NULL);
  guint used = 0;
  for (const char *p = text; *p;) {
    gsize sgr = sgr_length(p);
    if (sgr) {
      g_string_append_len(out, p, (gssize)sgr);
      p += sgr;
      continue;
    }
    gunichar c = g_utf8_get_char_validated(p, -1);
    gboolean bad = c == (gunichar)-1 || c == (gunichar)-2;
    guint w = bad ? 1 : g_unichar_iszerowidth(c) ? 0 : g_unichar_iswide(c) ? 2 : 1;
    if (used + w > width - 1)
      break;
    if (bad)
      g_string_append(out, "?");
    else
      g_string_append_unichar(out, c);
    used += w;
    p = bad ? p + 1 : g_utf8_next_char(p);
  }
  g_string_append(out, "\xe2\x80\xa6");
  if (any_sgr)
    g_string_append(out, CLI_SGR_RESET);
  return g_string_free(out, FALSE);
}

char *
cli_table_render(CliTable *table, gboolean color, guint max_width, gboolean headers)
{
  guint n = table->n_columns;
  g_autofree guint *widths = g_new0(guint, n);
  for (guint r = headers ? 0 : 1; r < table->rows->len; r++) {
    Cell *row = g_ptr_array_index(table->rows, r);
    for (guint c = 0; c < n; c++)
      widths[c] = MAX(widths[c], cli_text_width(row[c].text));
  }
  guint before_last = 0;
  for (guint c = 0; c + 1 < n; c++)
    before_last += widths[c] + 2;

  GString *out = g_string_new(NULL);
  for (guint r = headers ? 0 : 1; r < table->rows->len; r++) {
    Cell *row = g_ptr_array_index(table->rows, r);
    GString *line = g_string_new(NULL);
    for (guint c = 0; c < n; c++) {
      gboolean last = c + 1 == n;
      g_autofree char *text = NULL;
      if (last && max_width > 0 && before_last < max_width)
        text = cli_text_truncate(row[c].text, max_width - before_last);
      else
        text = g_strdup(row[c].text);
      g_autofree char *shown = cli_colorize(text, row[c].sgr, color);
      g_string_append(line, shown);
      if (!last) {
        /* pad by the plain text's width: escape sequences take no columns */
        for (guint pad = cli_text_width(text); pad < widths[c] + 2; pad++)
          g_string_append_c(line, ' ');
      }
    }
    while (line->len > 0 && line->str[line->len - 1] == ' ')
      g_string_truncate(line, line->len - 1);
    g_string_append(out, line->str);
    g_string_append_c(out, '\n');
    g_string_free(line, TRUE);
  }
  return g_string_free(out, FALSE);
}
