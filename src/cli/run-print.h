/* Printing events, questions and how a run ended. */
#pragma once

#include "cli-context.h"
#include "event.h"

/* One line: the human rendering, or a compact JSON object with --json. Flushed. */
void cli_print_event(CliContext *ctx, const CliEvent *event);
/* A waiting run's question, its choices and deadline, and the command that answers it. */
void cli_print_question(CliContext *ctx, const char *name, GVariant *props);
/* How a followed run came to rest: a short human block, or a JSON object. */
void cli_print_outcome(CliContext *ctx, const char *name, const char *path, GVariant *props);
/* 0 for done/idle/waiting, 1 for failed/cancelled. */
int cli_outcome_exit_code(const char *state);
