/* "shiftctl answer NAME" on a terminal: offer the choices, read one. */
#pragma once

#include <stdio.h>

#include <glib.h>

/* What a typed line picks: a choice's number (1-based) or the choice itself
 * (exactly, or ignoring case when that is unambiguous). With no choices, any
 * line that is not blank is the answer (trimmed). NULL when it picks
 * nothing; else a copy to g_free. */
char *cli_prompt_pick(const char *line, const char *const *choices);

/* Shows the question and choices on out, reads from in until a line picks an
 * answer; NULL at the end of input. */
char *cli_prompt_answer(FILE *in, FILE *out, const char *name, const char *question,
                        const char *const *choices, gboolean color);
