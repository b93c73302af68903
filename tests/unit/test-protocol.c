#include <gio/gio.h>
#include <string.h>

#include "protocol.h"

static void
test_lines(void)
{
  g_autoptr(ShiftdLineReader) r = shiftd_line_reader_new(64);
  const char *part1 = "{\"type\":\"a\"}\n{\"ty";
  const char *part2 = "pe\":\"b\"}\n\n";
  g_assert_true(shiftd_line_reader_feed(r, part1, strlen(part1), NULL));
  g_autofree char *l1 = shiftd_line_reader_pop(r);
  g_assert_cmpstr(l1, ==, "{\"type\":\"a\"}");
  g_assert_null(shiftd_line_reader_pop(r));
  g_assert_true(shiftd_line_reader_feed(r, part2, strlen(part2), NULL));
  g_autofree char *l2 = shiftd_line_reader_pop(r);
  g_assert_cmpstr(l2, ==, "{\"type\":\"b\"}");
  g_autofree char *l3 = shiftd_line_reader_pop(r);
  g_assert_cmpstr(l3, ==, "");
  g_assert_null(shiftd_line_reader_pop(r));
  g_assert_cmpuint(shiftd_line_reader_pending(r), ==, 0);
}

static void
test_too_long(void)
{
  g_autoptr(ShiftdLineReader) r = shiftd_line_reader_new(8);
  g_autoptr(GError) error = NULL;
  g_assert_true(shiftd_line_reader_feed(r, "12345\n1234", 10, NULL));
  g_assert_false(shiftd_line_reader_feed(r, "56789", 5, &error));
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
}

static void
test_parse(void)
{
  const char *type = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) o = shiftd_protocol_parse("{\"type\":\"event\",\"id\":3}", &type, &error);
  g_assert_no_error(error);
  g_assert_nonnull(o);
  g_assert_cmpstr(type, ==, "event");

  const char *bad[] = { "", "garbage", "[1,2]", "{\"id\":1}", "{\"type\":7}", "{\"type\":\"\"}", "\xff\xfe", NULL };
  for (guint i = 0; bad[i]; i++) {
    g_autoptr(GError) e = NULL;
    g_autoptr(JsonObject) x = shiftd_protocol_parse(bad[i], NULL, &e);
    g_assert_null(x);
    g_assert_nonnull(e);
  }
}

static void
test_serialize(void)
{
  g_autoptr(JsonObject) m = shiftd_protocol_message_new("ack");
  json_object_set_int_member(m, "id", 7);
  json_object_set_string_member(m, "text", "two\nlines");
  g_autofree char *line = shiftd_protocol_serialize(m);
  /* One line: the embedded newline is escaped. */
  g_assert_true(g_str_has_suffix(line, "\n"));
  g_assert_true(strchr(line, '\n') == line + strlen(line) - 1);
  const char *type = NULL;
  line[strlen(line) - 1] = '\0';
  g_autoptr(JsonObject) back = shiftd_protocol_parse(line, &type, NULL);
  g_assert_cmpstr(type, ==, "ack");
  g_assert_cmpint(json_object_get_int_member(back, "id"), ==, 7);
  g_assert_cmpstr(json_object_get_string_member(back, "text"), ==, "two\nlines");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/protocol/lines", test_lines);
  g_test_add_func("/protocol/too-long", test_too_long);
  g_test_add_func("/protocol/parse", test_parse);
  g_test_add_func("/protocol/serialize", test_serialize);
  return g_test_run();
}
