/* Printing events, questions and how a run ended. */
#pragma once

#include "cli-context.h"
#include "event.h"

/* One line: the human rendering, or a compact JSON object with --json. Flushed. */
void cli_print_event(CliContext *ctx, const CliEvent *event);
/* "shiftctl [BUS OPTIONS] answer NAME CHOICE" (ANSWER for a free-text question). */
char *cli_answer_command(CliContext *ctx, const char *name, gboolean choices);
/* A waiting run's question, its choices and deadline, and the command that answers it. */
void cli_print_question(CliContext *ctx, const char *name, GVariant *props);
/* How a followed run came to rest: a short human block, or a JSON object. */
void cli_print_outcome(CliContext *ctx, const char *name, const char *path, GVariant *props);
/* What to say after "NAME STATE": summary without a leading "STATE" word
 * (the daemon's summaries say "failed: …", "cancelled by uid 0"). */
const char *cli_summary_after_state(const char *state, const char *summary);
/* 0 for done/idle/waiting, 1 for failed/cancelled. */
int cli_outcome_exit_code(const char *state);
