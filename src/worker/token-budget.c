#include "token-budget.h"


/* Bytes of JSON per token before any reply has told: English is about 4,
 * code and JSON nearer 3; the lower guess keeps the budget. */
#define BYTES_PER_TOKEN_GUESS 3

static guint64
add(guint64 a, guint64 b)
{
  return b > G_MAXUINT64 - a ? G_MAXUINT64 : a + b;
}

void
shiftd_token_budget_init(ShiftdTokenBudget *b, const ShiftdHello *hello)
{
  *b = (ShiftdTokenBudget){
    .per_run = hello->tokens_per_run,
    .run_used = hello->tokens_run_used,
    .per_day = hello->tokens_per_day,
    .day_used = hello->tokens_day_used,
  };
}

guint64
shiftd_token_budget_estimate(const ShiftdTokenBudget *b, gsize bytes)
{
  guint64 est = b->calib_bytes ? (bytes * b->calib_tokens + b->calib_bytes - 1) / b->calib_bytes
                               : (bytes + BYTES_PER_TOKEN_GUESS - 1) / BYTES_PER_TOKEN_GUESS;
  return MAX(est, 1);
}

char *
shiftd_token_budget_check(ShiftdTokenBudget *b, gsize prompt_bytes)
{
  b->pending_bytes = prompt_bytes;
  if (b->per_run == 0 && b->per_day == 0)
    return NULL;
  guint64 est = shiftd_token_budget_estimate(b, b->pending_bytes);
  if (b->per_run && add(b->run_used, est) > b->per_run)
    return g_strdup_printf("token budget: this call (~%" G_GUINT64_FORMAT " tokens) would pass TokensPerRun=%"
                           G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " used)", est, b->per_run, b->run_used);
  if (b->per_day && add(b->day_used, est) > b->per_day)
    return g_strdup_printf("token budget: this call (~%" G_GUINT64_FORMAT " tokens) would pass TokensPerDay=%"
                           G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " used today)", est, b->per_day, b->day_used);
  return NULL;
}

void
shiftd_token_budget_count(ShiftdTokenBudget *b, const ShiftdChatReply *reply)
{
  guint64 used = add(reply->tokens_in, reply->tokens_out);
  b->run_used = add(b->run_used, used);
  b->day_used = add(b->day_used, used);
  if (b->pending_bytes && reply->tokens_in) {
    b->calib_bytes = b->pending_bytes;
    b->calib_tokens = reply->tokens_in;
  }
  b->pending_bytes = 0;
}
