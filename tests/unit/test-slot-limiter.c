/* The "two stoves": first come, first served, one slot a waiter at most. */
#include <glib.h>

#include "slot-limiter.h"

typedef struct {
  GString *granted;
  guint changed;
} Seen;

static void
on_grant(gpointer waiter, gpointer user_data)
{
  Seen *s = user_data;
  g_string_append_printf(s->granted, "%s ", (const char *)waiter);
}

static void
on_changed(gpointer user_data)
{
  ((Seen *)user_data)->changed++;
}

static void
test_fifo(void)
{
  Seen s = { g_string_new(NULL), 0 };
  SlotLimiter *l = slot_limiter_new(2, on_grant, on_changed, &s);
  const char *a = "a", *b = "b", *c = "c", *d = "d";
  g_assert_true(slot_limiter_request(l, (gpointer)a));
  g_assert_true(slot_limiter_request(l, (gpointer)b));
  g_assert_true(slot_limiter_request(l, (gpointer)c));
  g_assert_true(slot_limiter_request(l, (gpointer)d));
  g_assert_cmpstr(s.granted->str, ==, "a b ");
  g_assert_cmpuint(slot_limiter_get_in_use(l), ==, 2);
  g_assert_cmpuint(slot_limiter_get_queue_length(l), ==, 2);
  g_assert_cmpuint(slot_limiter_get_position(l, (gpointer)c), ==, 1);
  g_assert_cmpuint(slot_limiter_get_position(l, (gpointer)d), ==, 2);
  g_assert_cmpuint(slot_limiter_get_position(l, (gpointer)a), ==, 0);
  /* one slot or one place in the queue at a time */
  g_assert_false(slot_limiter_request(l, (gpointer)a));
  g_assert_false(slot_limiter_request(l, (gpointer)c));
  /* a slot given back goes to the longest waiter */
  g_assert_true(slot_limiter_release(l, (gpointer)b));
  g_assert_cmpstr(s.granted->str, ==, "a b c ");
  g_assert_cmpuint(slot_limiter_get_position(l, (gpointer)d), ==, 1);
  /* leaving the queue is a release too; nothing held is not */
  g_assert_true(slot_limiter_release(l, (gpointer)d));
  g_assert_false(slot_limiter_release(l, (gpointer)d));
  g_assert_false(slot_limiter_release(l, (gpointer)b));
  g_assert_cmpuint(slot_limiter_get_queue_length(l), ==, 0);
  g_assert_true(slot_limiter_release(l, (gpointer)a));
  g_assert_true(slot_limiter_release(l, (gpointer)c));
  g_assert_cmpuint(slot_limiter_get_in_use(l), ==, 0);
  g_assert_cmpuint(s.changed, >, 0);
  slot_limiter_free(l);
  g_string_free(s.granted, TRUE);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/slot-limiter/fifo", test_fifo);
  return g_test_run();
}
