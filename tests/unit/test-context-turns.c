/* The worker's choice of what a compaction keeps (src/worker/context-turns.c). */
#include <glib.h>
#include <json-glib/json-glib.h>

#include "context-turns.h"

/* A conversation from a compact spelling: s system, u user, a assistant
 * (with tool calls when tool results follow), t tool result. */
static JsonArray *
conversation(const char *spelling)
{
  JsonArray *messages = json_array_new();
  for (const char *c = spelling; *c; c++) {
    const char *role = *c == 's' ? "system" : *c == 'u' ? "user" : *c == 'a' ? "assistant" : "tool";
    JsonObject *m = json_object_new();
    json_object_set_string_member(m, "role", role);
    json_object_set_string_member(m, "content", "x");
    json_array_add_object_element(messages, m);
  }
  return messages;
}

static ShiftdContextCut
cut_of(const char *spelling, const guint64 *tokens, guint64 budget, gboolean *dropped)
{
  g_autoptr(JsonArray) messages = conversation(spelling);
  ShiftdContextCut cut = { 0, 0 };
  *dropped = shiftd_context_choose_cut(messages, tokens, budget, &cut);
  return cut;
}

static void
test_head(void)
{
  g_autoptr(JsonArray) a = conversation("suatat");
  g_assert_cmpuint(shiftd_context_head_end(a), ==, 2);
  g_autoptr(JsonArray) b = conversation("ssuat");
  g_assert_cmpuint(shiftd_context_head_end(b), ==, 3);
  g_autoptr(JsonArray) c = conversation("at");
  g_assert_cmpuint(shiftd_context_head_end(c), ==, 0);
  g_autoptr(JsonArray) d = conversation("");
  g_assert_cmpuint(shiftd_context_head_end(d), ==, 0);
}

static void
test_keeps_whole_turns_within_budget(void)
{
  /*                      s  u  a  t  t  a  t  a  t  t */
  const guint64 tok[] = { 5, 5, 1, 3, 3, 1, 3, 1, 3, 3 };
  gboolean dropped;
  /* the last turn (a t t = 7) and the one before (a t = 4) fit in 11 */
  ShiftdContextCut cut = cut_of("suattatatt", tok, 11, &dropped);
  g_assert_true(dropped);
  g_assert_cmpuint(cut.head, ==, 2);
  g_assert_cmpuint(cut.tail, ==, 5);
  /* 10: only the last turn; never a cut between its assistant message and results */
  cut = cut_of("suattatatt", tok, 10, &dropped);
  g_assert_cmpuint(cut.tail, ==, 7);
  cut = cut_of("suattatatt", tok, 8, &dropped);
  g_assert_cmpuint(cut.tail, ==, 7);
}

static void
test_last_turn_kept_whatever_its_size(void)
{
  const guint64 tok[] = { 5, 5, 1, 3, 100, 200 };
  gboolean dropped;
  ShiftdContextCut cut = cut_of("suatat", tok, 0, &dropped);
  g_assert_true(dropped);
  g_assert_cmpuint(cut.tail, ==, 4);
}

static void
test_nothing_to_drop(void)
{
  const guint64 tok[] = { 5, 5, 1, 3, 3 };
  gboolean dropped;
  /* everything after the head fits */
  ShiftdContextCut cut = cut_of("suatt", tok, 100, &dropped);
  g_assert_false(dropped);
  g_assert_cmpuint(cut.tail, ==, cut.head);
  /* a single turn, too big: it is kept, so nothing is dropped either */
  cut = cut_of("suatt", tok, 1, &dropped);
  g_assert_false(dropped);
  /* only the head */
  cut = cut_of("su", tok, 0, &dropped);
  g_assert_false(dropped);
}

static void
test_user_messages_are_turns(void)
{
  /* an earlier summary (u) and an answer passed on as a user message */
  const guint64 tok[] = { 5, 5, 9, 1, 3, 2, 1, 3 };
  gboolean dropped;
  ShiftdContextCut cut = cut_of("suuatuat", tok, 6, &dropped);
  g_assert_true(dropped);
  g_assert_cmpuint(cut.tail, ==, 5);
  cut = cut_of("suuatuat", tok, 4, &dropped);
  g_assert_cmpuint(cut.tail, ==, 6);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/context-turns/head", test_head);
  g_test_add_func("/context-turns/whole-turns", test_keeps_whole_turns_within_budget);
  g_test_add_func("/context-turns/last-turn", test_last_turn_kept_whatever_its_size);
  g_test_add_func("/context-turns/nothing-to-drop", test_nothing_to_drop);
  g_test_add_func("/context-turns/user-turns", test_user_messages_are_turns);
  return g_test_run();
}
