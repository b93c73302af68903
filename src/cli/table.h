/* Columns that line up, whatever the colours and the characters. */
#pragma once

#include <glib.h>

typedef struct CliTable CliTable;

CliTable *cli_table_new(guint n_columns, const char *const *headers);
void cli_table_free(CliTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliTable, cli_table_free)

/* Adds a row of n_columns cells (NULL shows as "-"); returns its index. */
guint cli_table_add_row(CliTable *table, const char *const *cells);
/* Colours one cell when the table is rendered with colour on. */
void cli_table_set_sgr(CliTable *table, guint row, guint column, const char *sgr);
guint cli_table_n_rows(CliTable *table);
/* Two spaces between columns; with max_width > 0 the last column is shortened
 * to fit. headers FALSE leaves the header row out. */
char *cli_table_render(CliTable *table, gboolean color, guint max_width, gboolean headers);

/* Terminal columns a UTF-8 string takes (wide characters count two). */
guint cli_text_width(const char *text);
/* text cut to at most width columns, with "…" when cut. */
char *cli_text_truncate(const char *text, guint width);
/* The same for a line that may hold SGR sequences (they take no columns;
 * a cut line ends with a reset). */
char *cli_text_truncate_sgr(const char *text, guint width);
