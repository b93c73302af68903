#include <glib.h>

#include "props.h"

static GVariant *
sample(void)
{
  g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
  const char *choices[] = { "yes", "no", NULL };
  g_variant_builder_add(&b, "{sv}", "State", g_variant_new_string("waiting"));
  g_variant_builder_add(&b, "{sv}", "EventCount", g_variant_new_uint32(8));
  g_variant_builder_add(&b, "{sv}", "DecisionDeadline", g_variant_new_uint64(1700000000000000));
  g_variant_builder_add(&b, "{sv}", "Choices", g_variant_new_strv(choices, -1));
  g_variant_builder_add(&b, "{sv}", "LastRun", g_variant_new_object_path("/org/shiftd/Shift1/run/x"));
  g_variant_builder_add(&b, "{sv}", "Enabled", g_variant_new_boolean(TRUE));
  return g_variant_ref_sink(g_variant_builder_end(&b));
}

static void
test_lookups(void)
{
  g_autoptr(GVariant) props = sample();
  g_assert_cmpstr(cli_props_str(props, "State"), ==, "waiting");
  g_assert_cmpstr(cli_props_str(props, "LastRun"), ==, "/org/shiftd/Shift1/run/x");
  g_assert_cmpuint(cli_props_u32(props, "EventCount"), ==, 8);
  g_assert_cmpuint(cli_props_u64(props, "DecisionDeadline"), ==, G_GUINT64_CONSTANT(1700000000000000));
  g_auto(GStrv) choices = cli_props_strv(props, "Choices");
  const char *expected[] = { "yes", "no", NULL };
  g_assert_cmpstrv(choices, expected);
  g_assert_true(cli_props_has(props, "EventCount", "u"));

  /* missing or mistyped: empty, never a crash */
  g_assert_cmpstr(cli_props_str(props, "Nope"), ==, "");
  g_assert_cmpstr(cli_props_str(props, "EventCount"), ==, "");
  g_assert_cmpuint(cli_props_u32(props, "State"), ==, 0);
  g_assert_cmpuint(cli_props_u64(props, "EventCount"), ==, 0);
  g_assert_false(cli_props_has(props, "EventCount", "t"));
  g_auto(GStrv) none = cli_props_strv(props, "State");
  g_assert_null(none[0]);
  g_assert_cmpstr(cli_props_str(NULL, "State"), ==, "");
  g_assert_cmpuint(cli_props_u32(NULL, "Step"), ==, 0);
}

static void
test_snake_case(void)
{
  static const char *const cases[][2] = {
    { "State", "state" },           { "EventCount", "event_count" },
    { "DecisionDeadline", "decision_deadline" }, { "CreatedAt", "created_at" },
    { "ModelSlotsInUse", "model_slots_in_use" }, { "URLPath", "url_path" },
    { "Ipv4Address", "ipv4_address" },          { "already_snake", "already_snake" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *s = cli_snake_case(cases[i][0]);
    g_assert_cmpstr(s, ==, cases[i][1]);
  }
}

static void
test_to_json(void)
{
  g_autoptr(GVariant) props = sample();
  g_autoptr(JsonObject) object = cli_props_to_json(props);
  g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), object);
  g_autofree char *text = json_to_string(node, FALSE);
  g_assert_cmpstr(text, ==,
                  "{\"state\":\"waiting\",\"event_count\":8,\"decision_deadline\":1700000000000000,"
                  "\"choices\":[\"yes\",\"no\"],\"last_run\":\"/org/shiftd/Shift1/run/x\",\"enabled\":true}");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli/props/lookups", test_lookups);
  g_test_add_func("/cli/props/snake-case", test_snake_case);
  g_test_add_func("/cli/props/to-json", test_to_json);
  return g_test_run();
}
