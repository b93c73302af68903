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
} ShiftdChatReply;

/* Fails (G_IO_ERROR_INVALID_DATA) when the body is not a chat completion.
 * step numbers the ids made up for tool calls that came without one. */
ShiftdChatReply *shiftd_chat_reply_parse(const char *body, gsize length, guint step, GError **error);
void shiftd_chat_reply_free(ShiftdChatReply *reply);
/* The assistant message to append to the conversation. */
JsonObject *shiftd_chat_reply_to_message(const ShiftdChatReply *reply);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdChatReply, shiftd_chat_reply_free)
