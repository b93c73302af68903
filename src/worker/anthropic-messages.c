#include "anthropic-messages.h"

#include <gio/gio.h>

#include "json-util.h"

/* A message's content as text: a string, or the text of a list of parts. */
static char *
content_text(JsonObject *message)
{
  return shiftd_chat_content_text(json_object_get_member(message, "content"));
}

static void
add_text_block(JsonArray *blocks, const char *text)
{
  /* The API refuses empty text blocks. */
  if (text == NULL || *text == '\0')
    return;
  JsonObject *b = json_object_new();
  json_object_set_string_member(b, "type", "text");
  json_object_set_string_member(b, "text", text);
  json_array_add_object_element(blocks, b);
}

/* The model's arguments as an object; anything that is not one is {}. */
static JsonObject *
tool_input(JsonObject *function)
{
  const char *arguments = shiftd_json_get_string(function, "arguments", NULL);
  JsonObject *input = arguments ? shiftd_json_parse_object(arguments, -1, NULL) : NULL;
  return input ? input : json_object_new();
}

static void
add_tool_uses(JsonArray *blocks, JsonObject *message)
{
  JsonArray *calls = shiftd_json_get_array(message, "tool_calls");
  for (guint i = 0; calls && i < json_array_get_length(calls); i++) {
    JsonNode *node = json_array_get_element(calls, i);
    JsonObject *call = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    JsonObject *function = shiftd_json_get_object(call, "function");
    if (function == NULL)
      continue;
    JsonObject *b = json_object_new();
    json_object_set_string_member(b, "type", "tool_use");
    json_object_set_string_member(b, "id", shiftd_json_get_string(call, "id", ""));
    json_object_set_string_member(b, "name", shiftd_json_get_string(function, "name", ""));
    json_object_set_object_member(b, "input", tool_input(function));
    json_array_add_object_element(blocks, b);
  }
}

static void
add_tool_result(JsonArray *blocks, JsonObject *message)
{
  g_autofree char *text = content_text(message);
  JsonObject *b = json_object_new();
  json_object_set_string_member(b, "type", "tool_result");
  json_object_set_string_member(b, "tool_use_id", shiftd_json_get_string(message, "tool_call_id", ""));
  json_object_set_string_member(b, "content", text);
  json_array_add_object_element(blocks, b);
}

/* Appends blocks as a message of role, or to the last message when it has
 * that role already: the API wants user and assistant to alternate. */
static void
append_blocks(JsonArray *out, const char *role, JsonArray *blocks)
{
  if (json_array_get_length(blocks) == 0)
    return;
  guint n = json_array_get_length(out);
  JsonObject *last = n > 0 ? json_array_get_object_element(out, n - 1) : NULL;
  if (last && g_str_equal(shiftd_json_get_string(last, "role", ""), role)) {
    JsonArray *content = json_object_get_array_member(last, "content");
    for (guint i = 0; i < json_array_get_length(blocks); i++)
      json_array_add_element(content, json_node_copy(json_array_get_element(blocks, i)));
    return;
  }
  JsonObject *m = json_object_new();
  json_object_set_string_member(m, "role", role);
  json_object_set_array_member(m, "content", json_array_ref(blocks));
  json_array_add_object_element(out, m);
}

/* The conversation without its system messages, whose text goes to system. */
static JsonArray *
convert_messages(JsonArray *messages, GString *system)
{
  JsonArray *out = json_array_new();
  for (guint i = 0; i < json_array_get_length(messages); i++) {
    JsonNode *node = json_array_get_element(messages, i);
    if (!JSON_NODE_HOLDS_OBJECT(node))
      continue;
    JsonObject *m = json_node_get_object(node);
    const char *role = shiftd_json_get_string(m, "role", "");
    g_autoptr(JsonArray) blocks = json_array_new();
    if (g_str_equal(role, "system")) {
      g_autofree char *text = content_text(m);
      if (*text != '\0')
        g_string_append_printf(system, "%s%s", system->len ? "\n\n" : "", text);
    } else if (g_str_equal(role, "assistant")) {
      g_autofree char *text = content_text(m);
      add_text_block(blocks, text);
      add_tool_uses(blocks, m);
      append_blocks(out, "assistant", blocks);
    } else if (g_str_equal(role, "tool")) {
      add_tool_result(blocks, m);
      append_blocks(out, "user", blocks);
    } else {
      g_autofree char *text = content_text(m);
      add_text_block(blocks, text);
      append_blocks(out, "user", blocks);
    }
  }
  return out;
}

/* {"type":"function","function":{name, description, parameters}} → {name, description, input_schema} */
static JsonArray *
convert_tools(JsonArray *tools)
{
  JsonArray *out = json_array_new();
  for (guint i = 0; tools && i < json_array_get_length(tools); i++) {
    JsonNode *node = json_array_get_element(tools, i);
    JsonObject *tool = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    JsonObject *function = shiftd_json_get_object(tool, "function");
    const char *name = shiftd_json_get_string(function, "name", NULL);
    if (name == NULL)
      continue;
    JsonObject *t = json_object_new();
    json_object_set_string_member(t, "name", name);
    const char *description = shiftd_json_get_string(function, "description", NULL);
    if (description)
      json_object_set_string_member(t, "description", description);
    JsonNode *parameters = json_object_get_member(function, "parameters");
    if (parameters && JSON_NODE_HOLDS_OBJECT(parameters)) {
      json_object_set_member(t, "input_schema", json_node_copy(parameters));
    } else {
      JsonObject *schema = json_object_new();
      json_object_set_string_member(schema, "type", "object");
      json_object_set_object_member(schema, "properties", json_object_new());
      json_object_set_object_member(t, "input_schema", schema);
    }
    json_array_add_object_element(out, t);
  }
  return out;
}

char *
shiftd_anthropic_request_body(const char *model, guint max_tokens, JsonArray *messages, JsonArray *tools)
{
  g_autoptr(GString) system = g_string_new(NULL);
  g_autoptr(JsonObject) o = json_object_new();
  json_object_set_string_member(o, "model", model);
  json_object_set_int_member(o, "max_tokens", max_tokens);
  JsonArray *converted = convert_messages(messages, system);
  if (system->len > 0)
    json_object_set_string_member(o, "system", system->str);
  json_object_set_array_member(o, "messages", converted);
  JsonArray *schemas = convert_tools(tools);
  if (json_array_get_length(schemas) > 0)
    json_object_set_array_member(o, "tools", schemas);
  else
    json_array_unref(schemas);
  return shiftd_json_object_to_string(o);
}

static gboolean
invalid(GError **error, const char *what)
{
  g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, what);
  return FALSE;
}

static const char *
finish_reason(const char *stop_reason)
{
  static const struct {
    const char *anthropic, *openai;
  } map[] = {
    { "end_turn", "stop" },
    { "stop_sequence", "stop" },
    { "tool_use", "tool_calls" },
    { "max_tokens", "length" },
  };
  for (gsize i = 0; stop_reason && i < G_N_ELEMENTS(map); i++)
    if (g_str_equal(stop_reason, map[i].anthropic))
      return map[i].openai;
  return stop_reason;
}

static gboolean
take_block(ShiftdChatReply *reply, GString *text, JsonNode *node, guint step, guint index, GError **error)
{
  if (!JSON_NODE_HOLDS_OBJECT(node))
    return invalid(error, "a content block is not an object");
  JsonObject *block = json_node_get_object(node);
  const char *type = shiftd_json_get_string(block, "type", "");
  if (g_str_equal(type, "text")) {
    g_string_append(text, shiftd_json_get_string(block, "text", ""));
  } else if (g_str_equal(type, "tool_use")) {
    const char *name = shiftd_json_get_string(block, "name", NULL);
    if (name == NULL)
      return invalid(error, "a tool_use block has no name");
    JsonNode *input = json_object_get_member(block, "input");
    g_autofree char *arguments = input && !JSON_NODE_HOLDS_NULL(input) ? shiftd_json_to_string(input) : g_strdup("{}");
    const char *id = shiftd_json_get_string(block, "id", NULL);
    g_autofree char *made_up = (id && *id) ? NULL : g_strdup_printf("toolu_s%u_%u", step, index);
    shiftd_chat_reply_add_tool_call(reply, made_up ? made_up : id, name, arguments);
  }
  /* Other blocks (thinking, say) are not for the conversation. */
  return TRUE;
}

ShiftdChatReply *
shiftd_anthropic_reply_parse(const char *body, gsize length, guint step, GError **error)
{
  g_autoptr(JsonObject) root = shiftd_chat_reply_open(body, length, TRUE, error);
  if (root == NULL)
    return NULL;
  JsonArray *content = shiftd_json_get_array(root, "content");
  if (content == NULL) {
    invalid(error, "no content");
    return NULL;
  }

  g_autoptr(ShiftdChatReply) reply = shiftd_chat_reply_new();
  g_autoptr(GString) text = g_string_new(NULL);
  for (guint i = 0; i < json_array_get_length(content); i++)
    if (!take_block(reply, text, json_array_get_element(content, i), step, i, error))
      return NULL;
  g_free(reply->content);
  reply->content = g_string_free(g_steal_pointer(&text), FALSE);
  reply->finish_reason = g_strdup(finish_reason(shiftd_json_get_string(root, "stop_reason", NULL)));
  shiftd_chat_reply_take_usage(reply, shiftd_json_get_object(root, "usage"));
  return g_steal_pointer(&reply);
}
