/* The Messages API conversion of src/worker/anthropic-messages.c, both ways. */
#include <gio/gio.h>
#include <glib.h>

#include "anthropic-messages.h"
#include "json-util.h"

static JsonArray *
parse_array(const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = shiftd_json_parse(text, -1, &error);
  g_assert_no_error(error);
  g_assert_true(JSON_NODE_HOLDS_ARRAY(node));
  return json_array_ref(json_node_get_array(node));
}

static char *
array_text(JsonArray *a)
{
  g_autoptr(JsonNode) node = json_node_init_array(json_node_alloc(), a);
  return shiftd_json_to_string(node);
}

/* body as compact JSON, members in the order written. */
static void
assert_body(const char *messages, const char *tools, const char *expected)
{
  g_autoptr(JsonArray) m = parse_array(messages);
  g_autoptr(JsonArray) t = parse_array(tools);
  g_autofree char *before = array_text(m);
  g_autofree char *body = shiftd_anthropic_request_body("claude-x", 100, m, t);
  g_assert_cmpstr(body, ==, expected);
  /* the conversation itself is left alone */
  g_autofree char *after = array_text(m);
  g_assert_cmpstr(after, ==, before);
}

static void
test_request(void)
{
  assert_body(
    "[{\"role\":\"system\",\"content\":\"Be careful.\"},"
    " {\"role\":\"system\",\"content\":\"Notes: none.\"},"
    " {\"role\":\"user\",\"content\":\"Fix it.\"},"
    " {\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Now.\"}]},"
    " {\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
    "   {\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"shell\",\"arguments\":\"{\\\"command\\\":\\\"ls\\\"}\"}},"
    "   {\"id\":\"c2\",\"type\":\"function\",\"function\":{\"name\":\"finish\",\"arguments\":\"{oops\"}}]},"
    " {\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"a\\nb\"},"
    " {\"role\":\"tool\",\"tool_call_id\":\"c2\",\"content\":\"bad arguments\"},"
    " {\"role\":\"user\",\"content\":\"\"},"
    " {\"role\":\"assistant\",\"content\":\"Done.\"}]",
    "[{\"type\":\"function\",\"function\":{\"name\":\"finish\",\"description\":\"End.\","
    "  \"parameters\":{\"type\":\"object\",\"properties\":{\"result\":{\"type\":\"string\"}}}}},"
    " {\"type\":\"function\",\"function\":{\"name\":\"bare\"}},"
    " {\"type\":\"function\"}]",
    "{\"model\":\"claude-x\",\"max_tokens\":100,\"system\":\"Be careful.\\n\\nNotes: none.\","
    "\"messages\":["
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Fix it.\"},{\"type\":\"text\",\"text\":\"Now.\"}]},"
    "{\"role\":\"assistant\",\"content\":["
    "{\"type\":\"tool_use\",\"id\":\"c1\",\"name\":\"shell\",\"input\":{\"command\":\"ls\"}},"
    "{\"type\":\"tool_use\",\"id\":\"c2\",\"name\":\"finish\",\"input\":{}}]},"
    "{\"role\":\"user\",\"content\":["
    "{\"type\":\"tool_result\",\"tool_use_id\":\"c1\",\"content\":\"a\\nb\"},"
    "{\"type\":\"tool_result\",\"tool_use_id\":\"c2\",\"content\":\"bad arguments\"}]},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Done.\"}]}],"
    "\"tools\":["
    "{\"name\":\"finish\",\"description\":\"End.\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"result\":{\"type\":\"string\"}}}},"
    "{\"name\":\"bare\",\"input_schema\":{\"type\":\"object\",\"properties\":{}}}]}");
}

static void
test_request_without_system_or_tools(void)
{
  assert_body("[{\"role\":\"user\",\"content\":\"hi\"}, 7, {\"content\":\"no role\"}]", "[]",
              "{\"model\":\"claude-x\",\"max_tokens\":100,\"messages\":["
              "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"},{\"type\":\"text\",\"text\":\"no role\"}]}]}");
}

static ShiftdChatReply *
parse_ok(const char *body)
{
  g_autoptr(GError) error = NULL;
  ShiftdChatReply *r = shiftd_anthropic_reply_parse(body, strlen(body), 3, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  return r;
}

static void
test_reply(void)
{
  g_autoptr(ShiftdChatReply) r = parse_ok(
    "{\"type\":\"message\",\"role\":\"assistant\",\"content\":["
    "{\"type\":\"thinking\",\"thinking\":\"hmm\"},"
    "{\"type\":\"text\",\"text\":\"Let me \"},{\"type\":\"text\",\"text\":\"look.\"},"
    "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"shell\",\"input\":{\"command\":\"ls -l\"}},"
    "{\"type\":\"tool_use\",\"name\":\"finish\"}],"
    "\"stop_reason\":\"tool_use\","
    "\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\":5,\"cache_creation_input_tokens\":1,\"output_tokens\":7}}");
  g_assert_cmpstr(r->content, ==, "Let me look.");
  g_assert_cmpstr(r->finish_reason, ==, "tool_calls");
  g_assert_cmpuint(r->tokens_in, ==, 16);
  g_assert_cmpuint(r->tokens_out, ==, 7);
  g_assert_cmpuint(r->tool_calls->len, ==, 2);
  ShiftdToolCall *c = g_ptr_array_index(r->tool_calls, 0);
  g_assert_cmpstr(c->id, ==, "toolu_1");
  g_assert_cmpstr(c->name, ==, "shell");
  g_assert_cmpstr(c->arguments, ==, "{\"command\":\"ls -l\"}");
  c = g_ptr_array_index(r->tool_calls, 1);
  g_assert_cmpstr(c->id, ==, "toolu_s3_4"); /* made up: step 3, block 4 */
  g_assert_cmpstr(c->arguments, ==, "{}");

  /* back into the conversation, Chat-shaped */
  g_autoptr(JsonObject) m = shiftd_chat_reply_to_message(r);
  g_autofree char *text = shiftd_json_object_to_string(m);
  g_assert_true(strstr(text, "\"arguments\":\"{\\\"command\\\":\\\"ls -l\\\"}\"") != NULL);
}

static void
test_stop_reasons(void)
{
  static const struct {
    const char *given, *expect;
  } cases[] = {
    { "\"end_turn\"", "stop" },     { "\"stop_sequence\"", "stop" }, { "\"max_tokens\"", "length" },
    { "\"tool_use\"", "tool_calls" }, { "\"refusal\"", "refusal" },   { "null", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *body = g_strdup_printf("{\"content\":[],\"stop_reason\":%s}", cases[i].given);
    g_autoptr(ShiftdChatReply) r = parse_ok(body);
    g_assert_cmpstr(r->finish_reason, ==, cases[i].expect);
    g_assert_cmpstr(r->content, ==, "");
    g_assert_cmpuint(r->tool_calls->len, ==, 0);
    g_assert_null(r->usage);
  }
}

static void
test_bad_replies(void)
{
  static const struct {
    const char *body, *why;
  } cases[] = {
    { "<html>", "not a JSON object" },
    { "[]", "not a JSON object" },
    { "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\\nnow\"}}",
      "it holds an error: Overloaded" },
    { "{\"type\":\"error\"}", "it holds an error: no message" },
    { "{\"type\":\"message\"}", "no content" },
    { "{\"content\":\"text\"}", "no content" },
    { "{\"content\":[1]}", "a content block is not an object" },
    { "{\"content\":[{\"type\":\"tool_use\",\"id\":\"x\",\"input\":{}}]}", "a tool_use block has no name" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(ShiftdChatReply) r = shiftd_anthropic_reply_parse(cases[i].body, strlen(cases[i].body), 0, &error);
    g_assert_null(r);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    if (!g_str_has_prefix(error->message, cases[i].why))
      g_error("case %zu: \"%s\" does not start with \"%s\"", i, error->message, cases[i].why);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/anthropic-messages/request", test_request);
  g_test_add_func("/anthropic-messages/request-without-system-or-tools", test_request_without_system_or_tools);
  g_test_add_func("/anthropic-messages/reply", test_reply);
  g_test_add_func("/anthropic-messages/stop-reasons", test_stop_reasons);
  g_test_add_func("/anthropic-messages/bad-replies", test_bad_replies);
  return g_test_run();
}
