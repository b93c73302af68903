#include <glib.h>

#include <string.h>

#include "json-util.h"

static char *
nested(guint levels, const char *before, const char *after)
{
  GString *s = g_string_new(before);
  for (guint i = 0; i < levels; i++)
    g_string_append_c(s, '[');
  for (guint i = 0; i < levels; i++)
    g_string_append_c(s, ']');
  g_string_append(s, after);
  return g_string_free(s, FALSE);
}

static void
test_depth(void)
{
  g_autofree char *ok = nested(SHIFTD_JSON_MAX_DEPTH, "", "");
  g_autoptr(JsonNode) node = shiftd_json_parse(ok, -1, NULL);
  g_assert_nonnull(node);

  g_autofree char *deep = nested(SHIFTD_JSON_MAX_DEPTH + 1, "", "");
  g_autoptr(GError) error = NULL;
  g_assert_null(shiftd_json_parse(deep, -1, &error));
  g_assert_nonnull(strstr(error->message, "nested deeper than 64"));

  /* brackets inside strings are text, not nesting */
  g_autoptr(JsonNode) text = shiftd_json_parse("{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                                               "[[[[[[[[[[[[[[[[\\\"[[[[\"}", -1, NULL);
  g_assert_nonnull(text);
}

/* json-glib reads more than JSON; each of these once hid the nesting behind
 * it from the depth check (found by tests/fuzz/fuzz-protocol). */
static void
test_depth_not_hidden(void)
{
  const char *before[] = {
    "['\"',",          /* a quote inside a single-quoted string */
    "/* \" */[",       /* ... inside a comment */
    "[\"\\u12\"a\",",  /* a \u that swallows the closing quote */
    NULL,
  };
  for (guint i = 0; before[i]; i++) {
    g_autofree char *text = nested(1000, before[i], "]");
    g_autoptr(GError) error = NULL;
    g_assert_null(shiftd_json_parse(text, -1, &error));
    g_assert_nonnull(error);
  }
}

static void
test_escapes(void)
{
  const char *good[] = {
    "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"",
    "\"\\u00e9\\u0000\"",
    "\"\\ud83d\\ude00\"", /* a surrogate pair */
    NULL,
  };
  for (guint i = 0; good[i]; i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = shiftd_json_parse(good[i], -1, &error);
    g_assert_no_error(error);
    g_assert_true(g_utf8_validate(json_node_get_string(node), -1, NULL));
  }
  /* each of these decoded to text that is not UTF-8, or did not round-trip */
  const char *bad[] = {
    "\"\\ud8ne\"", "\"\\u12\"", "\"\\ude00\"", "\"\\ud83d\"", "\"\\ud83dx\"", "\"\\ud83d\\u0041\"",
    "\"\\x41\"",   "\"\\",      "\"\\u",
    NULL,
  };
  for (guint i = 0; bad[i]; i++) {
    g_autoptr(GError) error = NULL;
    g_assert_null(shiftd_json_parse(bad[i], -1, &error));
    g_assert_nonnull(error);
  }
}

/* json-glib reads these as infinity and writes "inf.0", which is not JSON
 * (found by tests/fuzz/fuzz-protocol). */
static void
test_numbers(void)
{
  g_autofree char *zeros = g_strnfill(400, '0');
  g_autofree char *long_one = g_strdup_printf("[1%s.0]", zeros);
  const char *bad[] = { "[1e999]", "{\"n\":-0.5e+1010}", long_one, NULL };
  for (guint i = 0; bad[i]; i++) {
    g_autoptr(GError) error = NULL;
    g_assert_null(shiftd_json_parse(bad[i], -1, &error));
    g_assert_nonnull(strstr(error->message, "too large"));
  }
  const char *good[] = { "[1e-999]", "[1.5e300]", "[-0]", "[99999999999999999999]", "[0.1,2E3,-4e-2]", NULL };
  for (guint i = 0; good[i]; i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = shiftd_json_parse(good[i], -1, &error);
    g_assert_no_error(error);
    g_autofree char *again = shiftd_json_to_string(node);
    g_assert_null(strstr(again, "inf"));
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/json/depth", test_depth);
  g_test_add_func("/json/depth-not-hidden", test_depth_not_hidden);
  g_test_add_func("/json/escapes", test_escapes);
  g_test_add_func("/json/numbers", test_numbers);
  return g_test_run();
}
