#include "conversation.h"

#include "json-util.h"
#include "log.h"

void
shiftd_conversation_add_tool_result(JsonArray *messages, const char *tool_call_id, const char *content)
{
  JsonObject *m = json_object_new();
  json_object_set_string_member(m, "role", "tool");
  json_object_set_string_member(m, "tool_call_id", tool_call_id);
  json_object_set_string_member(m, "content", content);
  json_array_add_object_element(messages, m);
}

static JsonObject *
message_at(JsonArray *messages, guint i)
{
  JsonNode *n = json_array_get_element(messages, i);
  return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static gboolean
answered(JsonArray *messages, guint from, const char *id)
{
  for (guint i = from; i < json_array_get_length(messages); i++) {
    JsonObject *m = message_at(messages, i);
    if (g_strcmp0(shiftd_json_get_string(m, "role", NULL), "tool") == 0 &&
        g_strcmp0(shiftd_json_get_string(m, "tool_call_id", NULL), id) == 0)
      return TRUE;
  }
  return FALSE;
}

const char *
shiftd_conversation_pending_ask(JsonArray *messages)
{
  for (guint i = json_array_get_length(messages); i-- > 0;) {
    JsonObject *m = message_at(messages, i);
    if (g_strcmp0(shiftd_json_get_string(m, "role", NULL), "assistant") != 0)
      continue;
    JsonArray *calls = shiftd_json_get_array(m, "tool_calls");
    for (guint j = 0; calls && j < json_array_get_length(calls); j++) {
      JsonObject *call = message_at(calls, j);
      JsonObject *function = shiftd_json_get_object(call, "function");
      const char *id = shiftd_json_get_string(call, "id", NULL);
      const char *name = shiftd_json_get_string(function, "name", NULL);
      /* what pauses a run: a question, or a child run waited for */
      gboolean pauses = g_strcmp0(name, "ask_human") == 0 || g_strcmp0(name, "start_run") == 0;
      if (id && pauses && !answered(messages, i + 1, id))
        return id;
    }
    return NULL; /* only the last assistant message can be waiting */
  }
  return NULL;
}

void
shiftd_conversation_add_answer(JsonArray *messages, const char *answer, const char *answered_by)
{
  g_autofree char *content = g_strcmp0(answered_by, "deadline") == 0
    ? g_strdup_printf("Nobody answered before the deadline; the default applies: %s", answer)
    : g_strdup(answer);
  g_autofree char *id = g_strdup(shiftd_conversation_pending_ask(messages));
  if (id != NULL) {
    shiftd_conversation_add_tool_result(messages, id, content);
    return;
  }
  /* No pending call to attach it to (an odd checkpoint): still let the model see it. */
  log_warning("resuming with an answer but no pending ask_human call; passing it on as a user message");
  g_autofree char *text = g_strdup_printf("A human answered your question: %s", content);
  json_array_add_object_element(messages, shiftd_conversation_message("user", text));
}

JsonObject *
shiftd_conversation_message(const char *role, const char *content)
{
  JsonObject *m = json_object_new();
  json_object_set_string_member(m, "role", role);
  json_object_set_string_member(m, "content", content);
  return m;
}
