/* How shiftctl shows things: state colours, times, JSON. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#define CLI_SGR_RESET "\033[0m"
#define CLI_SGR_BOLD "\033[1m"
#define CLI_SGR_DIM "\033[2m"
#define CLI_SGR_REVERSE "\033[7m"

/* Colour only on a terminal, never with NO_COLOR set (any non-empty value) or TERM=dumb. */
gboolean cli_color_wanted(gboolean stdout_is_tty, const char *no_color, const char *term);
/* The SGR sequence for a run state ("" for unknown states). */
const char *cli_state_sgr(const char *state);
/* The SGR sequence for an event kind, by the state it stands for ("" if none). */
const char *cli_event_kind_sgr(const char *kind);
/* text wrapped in sgr when colour is on and sgr is not empty. */
char *cli_colorize(const char *text, const char *sgr, gboolean color);

/* "3 min ago", "in 2 h", "now"; "never" for 0. */
char *cli_format_relative(guint64 now_usec, guint64 when_usec);
/* "Mon 2024-06-03 14:03:22 UTC"; "never" for 0. */
char *cli_format_timestamp(guint64 usec, GTimeZone *tz);
/* "Jun 03 14:03:22", for event lines. */
char *cli_format_event_time(guint64 usec, GTimeZone *tz);
/* "Mon 2024-06-03 14:03:22 UTC; 3 min ago" */
char *cli_format_when(guint64 now_usec, guint64 usec, GTimeZone *tz);

/* word as one shell word: unchanged when it is plainly safe, else quoted. */
char *cli_shell_quote(const char *word);

/* One document on stdout, pretty or on one line, then flushed. */
void cli_print_json(JsonNode *node, gboolean pretty);
void cli_print_json_object(JsonObject *object, gboolean pretty);
/* Columns of the terminal on stdout; 0 when stdout is not one. */
guint cli_terminal_width(void);
/* Columns to fit lines into: $COLUMNS when set (like systemctl), else the
 * terminal's; 0 (no limit) when stdout is not a terminal. */
guint cli_output_width(gboolean stdout_is_tty, const char *columns);
/* Now, in µs since the epoch. $SHIFTCTL_NOW_USEC pins it, so that tests can
 * compare "3 min ago" with a file; nothing else reads it. */
guint64 cli_clock_now(void);
