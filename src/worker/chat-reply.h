/* A Chat Completions reply, checked: what the model said and which tools it called. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct {
  char *id;
  char *name;
  char *arguments; /* the JSON text the model wrote; it may not parse */
} ShiftdToolCall;

typedef struct {
  char *content;         /* "" when the model said nothing */
  GPtrArray *tool_calls; /* of ShiftdToolCall */
  char *finish_reason;   /* NULL when not given */
  JsonObject *usage;     /* NULL when not given */
  guint64 tokens_in;     /* from usage, both APIs' names; 0 when not given */
  guint64 tokens_out;
} ShiftdChatReply;

/* An empty reply ("" content, no tool calls) for other parsers to fill. */
ShiftdChatReply *shiftd_chat_reply_new(void);
/* Copies the strings. */
void shiftd_chat_reply_add_tool_call(ShiftdChatReply *reply, const char *id, const char *name, const char *arguments);

/* tokens_in and tokens_out from a usage object: Chat Completions'
 * prompt_tokens/completion_tokens or the Messages API's input_tokens (plus
 * its cache_creation_ and cache_read_input_tokens)/output_tokens. */
void shiftd_chat_reply_take_usage(ShiftdChatReply *reply, JsonObject *usage);

/* A reply body as a JSON object, or NULL (G_IO_ERROR_INVALID_DATA) when it
 * is not one or holds the server's error: {"error": {"message"}}, or with
 * typed_error also {"type": "error"}, as the Messages API writes it. */
JsonObject *shiftd_chat_reply_open(const char *body, gsize length, gboolean typed_error, GError **error);
/* Fails (G_IO_ERROR_INVALID_DATA) when the body is not a chat completion.
 * step numbers the ids made up for tool calls that came without one. */
ShiftdChatReply *shiftd_chat_reply_parse(const char *body, gsize length, guint step, GError **error);
void shiftd_chat_reply_free(ShiftdChatReply *reply);
/* A message's content as text: it is a string, null, or (some servers) a
 * list of text parts. */
char *shiftd_chat_content_text(JsonNode *node);
/* The assistant message to append to the conversation. */
JsonObject *shiftd_chat_reply_to_message(const ShiftdChatReply *reply);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdChatReply, shiftd_chat_reply_free)
