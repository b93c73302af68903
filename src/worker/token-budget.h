/* The run's token budget, kept before each model call: the prompt's tokens
 * are estimated (its JSON bytes / 3 until a reply has said how many tokens a
 * prompt of known size was, then in that proportion) and a call that would
 * carry the run past TokensPerRun= or the agent's day past TokensPerDay= is
 * not made. */
#pragma once

#include <glib.h>

#include "chat-reply.h"
#include "hello.h"

typedef struct {
  guint64 per_run, run_used; /* 0 = no limit */
  guint64 per_day, day_used;
  gsize pending_bytes;       /* the prompt last checked: its size */
  gsize calib_bytes;         /* a prompt whose tokens a reply told, 0: none yet */
  guint64 calib_tokens;
} ShiftdTokenBudget;

void shiftd_token_budget_init(ShiftdTokenBudget *budget, const ShiftdHello *hello);
/* The estimate for a prompt of this many bytes (at least 1). */
guint64 shiftd_token_budget_estimate(const ShiftdTokenBudget *budget, gsize bytes);
/* NULL: the call with a prompt of this many bytes (its messages and tools as
 * sent) may be made; else why not, a sentence naming the estimate, the limit
 * and what is used (transfer full). */
char *shiftd_token_budget_check(ShiftdTokenBudget *budget, gsize prompt_bytes);
/* The reply to the prompt last checked: its usage counted and, when it gave
 * the prompt's tokens, the estimate calibrated. */
void shiftd_token_budget_count(ShiftdTokenBudget *budget, const ShiftdChatReply *reply);
