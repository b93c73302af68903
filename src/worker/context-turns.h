/* Which messages a compaction keeps: the head (system prompt and task) and
 * the latest complete turns. Pure, for unit tests. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct {
  guint head; /* messages [0, head) are kept: the system messages and the task */
  guint tail; /* messages [tail, n) are kept; [head, tail) are summarized */
} ShiftdContextCut;

/* The end of the head: past the leading system messages and the first user
 * message (the task). */
guint shiftd_context_head_end(JsonArray *messages);

/* Chooses the latest turns whose tokens (one count a message) add up to at
 * most tail_budget, and at least the last turn whatever its size. A turn is
 * one message, or an assistant message with the tool results after it: a cut
 * never parts the two. FALSE when nothing would be dropped. */
gboolean shiftd_context_choose_cut(JsonArray *messages, const guint64 *tokens, guint64 tail_budget,
                                   ShiftdContextCut *cut);
