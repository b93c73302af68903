/* How many tokens a prompt will be, for fitting the conversation into the
 * model's context window (ContextTokens=). Over rather than under: a prompt
 * the server refuses ends the run, one compacted a little early costs little. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct {
  double tokens_per_byte; /* the most seen in a reply's usage, never below the floor */
} ShiftdContextEstimate;

void shiftd_context_estimate_init(ShiftdContextEstimate *estimate);

/* Bytes of the request's messages and tools as sent (tools may be NULL). */
gsize shiftd_context_request_bytes(JsonArray *messages, JsonArray *tools);
/* Bytes of one message (or any node) as sent. */
gsize shiftd_context_node_bytes(JsonNode *node);

guint64 shiftd_context_estimate_tokens(const ShiftdContextEstimate *estimate, gsize bytes);
/* The bytes that make about `tokens` tokens (the inverse, rounded down). */
gsize shiftd_context_estimate_bytes(const ShiftdContextEstimate *estimate, guint64 tokens);

/* A reply came back: its prompt of `bytes` bytes counted `tokens_in` tokens
 * (0: the server did not say, nothing is learned). */
void shiftd_context_estimate_learn(ShiftdContextEstimate *estimate, gsize bytes, guint64 tokens_in);
