/* The Anthropic Messages API at the request boundary: the conversation stays
 * OpenAI-shaped (checkpoints and resume do not change); only the request body
 * and the reply are converted here. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "chat-reply.h"

/* The API requires a cap on each reply. */
#define SHIFTD_ANTHROPIC_MAX_TOKENS 4096
#define SHIFTD_ANTHROPIC_VERSION "2023-06-01"

/* The request body (transfer full) for POST {base}/messages: system messages
 * become `system`, the rest alternating user/assistant messages of content
 * blocks (tool calls as tool_use, tool results as tool_result), and the Chat
 * Completions tool schemas become {name, description, input_schema}.
 * Neither messages nor tools is changed. */
char *shiftd_anthropic_request_body(const char *model, guint max_tokens, JsonArray *messages, JsonArray *tools);

/* Fails (G_IO_ERROR_INVALID_DATA) when the body is not a Messages API reply,
 * or is its error object. Text blocks become the content, tool_use blocks the
 * tool calls (arguments: the input as JSON text), stop_reason the
 * finish_reason in Chat Completions' words (stop, tool_calls, length; others
 * as given). step numbers the ids made up for tool uses that came without one. */
ShiftdChatReply *shiftd_anthropic_reply_parse(const char *body, gsize length, guint step, GError **error);
