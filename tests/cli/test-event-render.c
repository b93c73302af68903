#include <glib.h>
#include <string.h>

#include "event-render.h"

typedef struct {
  const char *kind;
  const char *json;
  const char *text;
} Case;

static void
test_details(void)
{
  static const Case cases[] = {
    { "model_call", "{\"step\":3,\"model\":\"llama3.2\",\"messages\":5}", "step 3: llama3.2, 5 messages" },
    { "model_reply",
      "{\"step\":3,\"content\":\"Let me look\\n  at the log.\",\"tool_calls\":[\"shell\",\"finish\"],"
      "\"finish_reason\":\"tool_calls\",\"elapsed_ms\":812}",
      "step 3: \"Let me look at the log.\" \xe2\x86\x92 shell,finish (812 ms)" },
    { "model_reply", "{\"step\":1,\"content\":\"\",\"tool_calls\":[\"no_work\"]}",
      "step 1: \xe2\x86\x92 no_work" },
    { "tool_call",
      "{\"step\":2,\"tool\":\"shell\",\"id\":\"c1\",\"arguments\":{\"command\":\"ls -la /tmp\",\"timeout\":5}}",
      "step 2: shell(command=\"ls -la /tmp\" timeout=5)" },
    { "tool_call", "{\"step\":2,\"tool\":\"finish\",\"id\":\"c2\",\"arguments\":{}}", "step 2: finish()" },
    { "tool_result", "{\"step\":2,\"tool\":\"shell\",\"id\":\"c1\",\"ok\":true,\"result\":\"a\\nb\"}",
      "step 2: shell ok: a b" },
    { "tool_result", "{\"step\":2,\"tool\":\"read_file\",\"ok\":false,\"result\":\"no such file\"}",
      "step 2: read_file failed: no such file" },
    { "note", "{\"text\":\"model server said 503; retry 2 of 4 in 2s\"}",
      "model server said 503; retry 2 of 4 in 2s" },
    { "created", "{\"task\":\"Fix the\\nbuild\",\"trigger\":\"manual\",\"owner\":1000}",
      "Fix the build trigger=manual owner=1000" },
    { "asked", "{\"question\":\"Deploy now?\",\"choices\":[\"yes\",\"no\"],\"default\":null}",
      "Deploy now? choices=yes,no default=null" },
    { "answered", "{\"answer\":\"yes\",\"by\":\"uid 1000\"}", "yes by=\"uid 1000\"" },
    { "done", "{\"result\":\"All tidy.\"}", "All tidy." },
    { "no_work", "{\"reason\":\"inbox empty\"}", "inbox empty" },
    { "failed", "{\"reason\":\"step limit reached\"}", "step limit reached" },
    /* kinds nobody told us about still show their members */
    { "started", "{\"attempt\":2,\"unit\":\"shiftd-run-x.service\"}", "attempt=2 unit=shiftd-run-x.service" },
    { "resumed", "{\"attempt\":3,\"why\":[1,{\"a\":2}]}", "attempt=3 why=[1,{\"a\":2}]" },
    { "started", "{}", "" },
    /* not an object */
    { "note", "\"just a string\"", "just a string" },
    { "note", "not json at all\nreally", "not json at all really" },
    { "note", "", "" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *text = cli_event_render_details(cases[i].kind, cases[i].json, 240);
    g_assert_cmpstr(text, ==, cases[i].text);
  }
}

static void
test_details_are_bounded(void)
{
  g_autoptr(GString) json = g_string_new("{\"result\":\"");
  for (int i = 0; i < 1000; i++)
    g_string_append(json, "\xc3\xa9\\n");
  g_string_append(json, "\"}");
  g_autofree char *text = cli_event_render_details("done", json->str, 100);
  g_assert_true(g_utf8_validate(text, -1, NULL));
  g_assert_cmpuint(strlen(text), <=, 100 + strlen("\xe2\x80\xa6"));
  g_assert_true(g_str_has_suffix(text, "\xe2\x80\xa6"));
  g_assert_null(strchr(text, '\n'));
}

static void
test_line(void)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
  g_autoptr(CliEvent) event =
    cli_event_new(12, G_GUINT64_CONSTANT(1700000000000000), "done", "{\"result\":\"ok\"}");
  g_autofree char *plain = cli_event_render_line(event, utc, FALSE);
  g_autofree char *color = cli_event_render_line(event, utc, TRUE);
  g_assert_cmpstr(plain, ==, "   12 Nov 14 22:13:20 done         ok");
  g_assert_cmpstr(color, ==, "   12 Nov 14 22:13:20 \033[32mdone        \033[0m ok");

  g_autoptr(CliEvent) bare = cli_event_new(3, G_GUINT64_CONSTANT(1700000000000000), "started", "{}");
  g_autofree char *short_line = cli_event_render_line(bare, utc, FALSE);
  g_assert_cmpstr(short_line, ==, "    3 Nov 14 22:13:20 started");
}

static void
test_json(void)
{
  g_autoptr(CliEvent) event = cli_event_new(4, 99, "note", "{\"text\":\"hi\"}");
  g_autoptr(JsonObject) object = cli_event_to_json(event);
  g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), object);
  g_autofree char *text = json_to_string(node, FALSE);
  g_assert_cmpstr(text, ==, "{\"seq\":4,\"time\":99,\"kind\":\"note\",\"data\":{\"text\":\"hi\"}}");

  g_autoptr(CliEvent) broken = cli_event_new(5, 100, "note", "{oops");
  g_autoptr(JsonObject) kept = cli_event_to_json(broken);
  g_assert_cmpstr(json_object_get_string_member(kept, "data"), ==, "{oops");
}

static void
test_flatten(void)
{
  g_autofree char *a = cli_flatten("  one\n\n two\tthree  ");
  g_autofree char *b = cli_flatten(NULL);
  g_assert_cmpstr(a, ==, "one two three");
  g_assert_cmpstr(b, ==, "");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli/event-render/details", test_details);
  g_test_add_func("/cli/event-render/details-are-bounded", test_details_are_bounded);
  g_test_add_func("/cli/event-render/line", test_line);
  g_test_add_func("/cli/event-render/json", test_json);
  g_test_add_func("/cli/event-render/flatten", test_flatten);
  return g_test_run();
}
