#include "step-events.h"

#include "json-util.h"

#define CONTENT_MAX 2000
#define RESULT_MAX 4000
/* Arguments can hold whole files; an event only needs to show what they were. */
#define ARGUMENT_STRING_MAX 500

gboolean
shiftd_event_model_reply(ShiftdLink *link, guint step, const ShiftdChatReply *reply,
                         guint64 elapsed_usec, GError **error)
{
  JsonObject *data = json_object_new();
  json_object_set_int_member(data, "step", step);
  g_autofree char *content = shiftd_utf8_truncate(reply->content, CONTENT_MAX);
  json_object_set_string_member(data, "content", content);
  JsonArray *names = json_array_new();
  for (guint i = 0; i < reply->tool_calls->len; i++) {
    ShiftdToolCall *c = g_ptr_array_index(reply->tool_calls, i);
    json_array_add_string_element(names, c->name);
  }
  json_object_set_array_member(data, "tool_calls", names);
  if (reply->finish_reason)
    json_object_set_string_member(data, "finish_reason", reply->finish_reason);
  else
    json_object_set_null_member(data, "finish_reason");
  json_object_set_int_member(data, "elapsed_ms", (gint64)(elapsed_usec / 1000));
  if (reply->usage)
    json_object_set_object_member(data, "usage", json_object_ref(reply->usage));
  /* what the daemon sums into TokensIn/TokensOut and the agent's counts */
  json_object_set_int_member(data, "tokens_in", (gint64)MIN(reply->tokens_in, (guint64)G_MAXINT64));
  json_object_set_int_member(data, "tokens_out", (gint64)MIN(reply->tokens_out, (guint64)G_MAXINT64));
  return shiftd_link_send_event(link, "model_reply", data, error);
}

/* A copy of node with every long string shortened. */
static JsonNode *
shortened(JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT(node)) {
    JsonObject *src = json_node_get_object(node);
    JsonObject *dst = json_object_new();
    JsonObjectIter iter;
    const char *name;
    JsonNode *member;
    json_object_iter_init(&iter, src);
    while (json_object_iter_next(&iter, &name, &member))
      json_object_set_member(dst, name, shortened(member));
    JsonNode *copy = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(copy, dst);
    return copy;
  }
  if (JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray *src = json_node_get_array(node);
    JsonArray *dst = json_array_new();
    for (guint i = 0; i < json_array_get_length(src); i++)
      json_array_add_element(dst, shortened(json_array_get_element(src, i)));
    JsonNode *copy = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(copy, dst);
    return copy;
  }
  if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
    g_autofree char *s = shiftd_utf8_truncate(json_node_get_string(node), ARGUMENT_STRING_MAX);
    return json_node_init_string(json_node_alloc(), s);
  }
  return json_node_copy(node);
}

gboolean
shiftd_event_tool_call(ShiftdLink *link, guint step, const ShiftdToolCall *call, GError **error)
{
  JsonObject *data = json_object_new();
  json_object_set_int_member(data, "step", step);
  json_object_set_string_member(data, "tool", call->name);
  json_object_set_string_member(data, "id", call->id);
  g_autoptr(JsonNode) args = shiftd_json_parse(call->arguments, -1, NULL);
  if (args != NULL && JSON_NODE_HOLDS_OBJECT(args)) {
    json_object_set_member(data, "arguments", shortened(args));
  } else {
    /* Still an object, as the protocol says, holding what the model wrote. */
    JsonObject *raw = json_object_new();
    g_autofree char *text = shiftd_utf8_truncate(call->arguments, ARGUMENT_STRING_MAX);
    json_object_set_string_member(raw, "unparsed", text);
    json_object_set_object_member(data, "arguments", raw);
  }
  return shiftd_link_send_event(link, "tool_call", data, error);
}

gboolean
shiftd_event_tool_result(ShiftdLink *link, guint step, const ShiftdToolCall *call, gboolean ok,
                         const char *result, GError **error)
{
  JsonObject *data = json_object_new();
  json_object_set_int_member(data, "step", step);
  json_object_set_string_member(data, "tool", call->name);
  json_object_set_string_member(data, "id", call->id);
  json_object_set_boolean_member(data, "ok", ok);
  g_autofree char *text = shiftd_utf8_truncate(result, RESULT_MAX);
  json_object_set_string_member(data, "result", text);
  return shiftd_link_send_event(link, "tool_result", data, error);
}
