/* Edits to the conversation (OpenAI chat messages) the worker keeps. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

/* {"role": role, "content": content}: a plain text message. */
JsonObject *shiftd_conversation_message(const char *role, const char *content);

void shiftd_conversation_add_tool_result(JsonArray *messages, const char *tool_call_id, const char *content);

/* The id of the last assistant message's ask_human call that has no tool
 * result yet, or NULL. */
const char *shiftd_conversation_pending_ask(JsonArray *messages);

/* Resuming after ask_human: the human's answer becomes that call's result.
 * answered_by "deadline" means the default was taken because nobody answered. */
void shiftd_conversation_add_answer(JsonArray *messages, const char *answer, const char *answered_by);
