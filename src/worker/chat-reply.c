#include "chat-reply.h"

#include <gio/gio.h>

#include "json-util.h"

static void
tool_call_free(gpointer p)
{
  ShiftdToolCall *c = p;
  g_free(c->id);
  g_free(c->name);
  g_free(c->arguments);
  g_free(c);
}

void
shiftd_chat_reply_free(ShiftdChatReply *reply)
{
  if (reply == NULL)
    return;
  g_free(reply->content);
  if (reply->tool_calls)
    g_ptr_array_unref(reply->tool_calls);
  g_free(reply->finish_reason);
  if (reply->usage)
    json_object_unref(reply->usage);
  g_free(reply);
}

ShiftdChatReply *
shiftd_chat_reply_new(void)
{
  ShiftdChatReply *reply = g_new0(ShiftdChatReply, 1);
  reply->content = g_strdup("");
  reply->tool_calls = g_ptr_array_new_with_free_func(tool_call_free);
  return reply;
}

void
shiftd_chat_reply_add_tool_call(ShiftdChatReply *reply, const char *id, const char *name, const char *arguments)
{
  ShiftdToolCall *c = g_new0(ShiftdToolCall, 1);
  c->id = g_strdup(id);
  c->name = g_strdup(name);
  c->arguments = g_strdup(arguments);
  g_ptr_array_add(reply->tool_calls, c);
}

static gboolean
invalid(GError **error, const char *what)
{
  g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, what);
  return FALSE;
}

char *
shiftd_chat_content_text(JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL(node))
    return g_strdup("");
  if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
    return g_strdup(json_node_get_string(node));
  GString *s = g_string_new(NULL);
  if (JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray *parts = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(parts); i++) {
      JsonNode *part = json_array_get_element(parts, i);
      if (JSON_NODE_HOLDS_OBJECT(part))
        g_string_append(s, shiftd_json_get_string(json_node_get_object(part), "text", ""));
    }
  }
  return g_string_free(s, FALSE);
}

static gboolean
parse_tool_call(JsonNode *node, guint step, guint index, ShiftdToolCall **out, GError **error)
{
  if (!JSON_NODE_HOLDS_OBJECT(node))
    return invalid(error, "a tool call is not an object");
  JsonObject *call = json_node_get_object(node);
  JsonObject *function = shiftd_json_get_object(call, "function");
  if (function == NULL)
    return invalid(error, "a tool call has no function");
  const char *name = shiftd_json_get_string(function, "name", NULL);
  if (name == NULL)
    return invalid(error, "a tool call has no function name");

  g_autofree char *arguments = NULL;
  JsonNode *args = json_object_get_member(function, "arguments");
  if (args == NULL || JSON_NODE_HOLDS_NULL(args))
    arguments = g_strdup("{}");
  else if (JSON_NODE_HOLDS_VALUE(args) && json_node_get_value_type(args) == G_TYPE_STRING)
    arguments = g_strdup(json_node_get_string(args));
  else /* some servers send the object itself */
    arguments = shiftd_json_to_string(args);

  const char *id = shiftd_json_get_string(call, "id", NULL);
  ShiftdToolCall *c = g_new0(ShiftdToolCall, 1);
  c->id = (id && *id) ? g_strdup(id) : g_strdup_printf("call_s%u_%u", step, index);
  c->name = g_strdup(name);
  c->arguments = g_steal_pointer(&arguments);
  *out = c;
  return TRUE;
}

/* A count the server gave, or 0 (missing, negative, not a number). */
static guint64
usage_count(JsonObject *usage, const char *name)
{
  JsonNode *n = json_object_get_member(usage, name);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return 0;
  gint64 v = json_node_get_int(n);
  return v > 0 ? (guint64)v : 0;
}

void
shiftd_chat_reply_take_usage(ShiftdChatReply *reply, JsonObject *usage)
{
  if (usage == NULL)
    return;
  reply->usage = json_object_ref(usage);
  reply->tokens_in = usage_count(usage, "prompt_tokens") + usage_count(usage, "input_tokens") +
                     usage_count(usage, "cache_creation_input_tokens") +
                     usage_count(usage, "cache_read_input_tokens");
  reply->tokens_out = usage_count(usage, "completion_tokens") + usage_count(usage, "output_tokens");
}

JsonObject *
shiftd_chat_reply_open(const char *body, gsize length, gboolean typed_error, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(JsonObject) root = shiftd_json_parse_object(body, (gssize)length, &local);
  if (root == NULL) {
    g_autofree char *why = g_strdup_printf("not a JSON object (%s)", local->message);
    invalid(error, why);
    return NULL;
  }
  JsonObject *err = shiftd_json_get_object(root, "error");
  if (err != NULL || (typed_error && g_strcmp0(shiftd_json_get_string(root, "type", NULL), "error") == 0)) {
    g_autofree char *msg = shiftd_one_line(shiftd_json_get_string(err, "message", "no message"), 300);
    g_autofree char *why = g_strdup_printf("it holds an error: %s", msg);
    invalid(error, why);
    return NULL;
  }
  return g_steal_pointer(&root);
}

ShiftdChatReply *
shiftd_chat_reply_parse(const char *body, gsize length, guint step, GError **error)
{
  g_autoptr(JsonObject) root = shiftd_chat_reply_open(body, length, FALSE, error);
  if (root == NULL)
    return NULL;
  JsonArray *choices = shiftd_json_get_array(root, "choices");
  if (choices == NULL || json_array_get_length(choices) == 0) {
    invalid(error, "no choices");
    return NULL;
  }
  JsonNode *first = json_array_get_element(choices, 0);
  JsonObject *choice = JSON_NODE_HOLDS_OBJECT(first) ? json_node_get_object(first) : NULL;
  JsonObject *message = shiftd_json_get_object(choice, "message");
  if (message == NULL) {
    invalid(error, "the first choice has no message");
    return NULL;
  }

  g_autoptr(ShiftdChatReply) reply = g_new0(ShiftdChatReply, 1);
  reply->content = shiftd_chat_content_text(json_object_get_member(message, "content"));
  reply->tool_calls = g_ptr_array_new_with_free_func(tool_call_free);
  const char *finish = shiftd_json_get_string(choice, "finish_reason", NULL);
  reply->finish_reason = g_strdup(finish);
  shiftd_chat_reply_take_usage(reply, shiftd_json_get_object(root, "usage"));

  JsonNode *calls = json_object_get_member(message, "tool_calls");
  if (calls != NULL && !JSON_NODE_HOLDS_NULL(calls)) {
    if (!JSON_NODE_HOLDS_ARRAY(calls)) {
      invalid(error, "tool_calls is not a list");
      return NULL;
    }
    JsonArray *a = json_node_get_array(calls);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      ShiftdToolCall *c = NULL;
      if (!parse_tool_call(json_array_get_element(a, i), step, i, &c, error))
        return NULL;
      g_ptr_array_add(reply->tool_calls, c);
    }
  }
  return g_steal_pointer(&reply);
}

JsonObject *
shiftd_chat_reply_to_message(const ShiftdChatReply *reply)
{
  JsonObject *m = json_object_new();
  json_object_set_string_member(m, "role", "assistant");
  if (reply->tool_calls->len > 0 && *reply->content == '\0')
    json_object_set_null_member(m, "content");
  else
    json_object_set_string_member(m, "content", reply->content);
  if (reply->tool_calls->len == 0)
    return m;
  JsonArray *calls = json_array_new();
  for (guint i = 0; i < reply->tool_calls->len; i++) {
    ShiftdToolCall *c = g_ptr_array_index(reply->tool_calls, i);
    JsonObject *function = json_object_new();
    json_object_set_string_member(function, "name", c->name);
    json_object_set_string_member(function, "arguments", c->arguments);
    JsonObject *call = json_object_new();
    json_object_set_string_member(call, "id", c->id);
    json_object_set_string_member(call, "type", "function");
    json_object_set_object_member(call, "function", function);
    json_array_add_object_element(calls, call);
  }
  json_object_set_array_member(m, "tool_calls", calls);
  return m;
}
