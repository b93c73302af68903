#include <glib.h>

#include "event-seq.h"

static CliEvent *
ev(guint32 seq)
{
  return cli_event_new(seq, seq * 1000, "note", "{}");
}

/* Pops everything ready and returns the seqs as "1 2 3". */
static char *
pop_all(CliEventSeq *seq)
{
  GString *out = g_string_new(NULL);
  CliEvent *e;
  while ((e = cli_event_seq_pop(seq)) != NULL) {
    g_string_append_printf(out, "%s%u", out->len ? " " : "", e->seq);
    cli_event_free(e);
  }
  return g_string_free(out, FALSE);
}

static void
test_in_order_and_duplicates(void)
{
  g_autoptr(CliEventSeq) seq = cli_event_seq_new(1);
  g_assert_true(cli_event_seq_offer(seq, ev(1)));
  g_assert_true(cli_event_seq_offer(seq, ev(2)));
  g_assert_false(cli_event_seq_offer(seq, ev(2))); /* held twice */
  g_autofree char *a = pop_all(seq);
  g_assert_cmpstr(a, ==, "1 2");
  g_assert_false(cli_event_seq_offer(seq, ev(1))); /* already handed on */
  g_autofree char *none = pop_all(seq);
  g_assert_cmpstr(none, ==, "");
  g_assert_cmpuint(cli_event_seq_next(seq), ==, 3);
}

static void
test_gap(void)
{
  g_autoptr(CliEventSeq) seq = cli_event_seq_new(1);
  guint32 from = 0, count = 0;
  g_assert_false(cli_event_seq_gap(seq, &from, &count));
  cli_event_seq_offer(seq, ev(1));
  cli_event_seq_offer(seq, ev(5));
  cli_event_seq_offer(seq, ev(7));
  g_autofree char *a = pop_all(seq);
  g_assert_cmpstr(a, ==, "1");
  g_assert_true(cli_event_seq_gap(seq, &from, &count));
  g_assert_cmpuint(from, ==, 2);
  g_assert_cmpuint(count, ==, 3);

  /* filling the gap releases what was held, up to the next hole */
  for (guint32 s = 2; s <= 4; s++)
    cli_event_seq_offer(seq, ev(s));
  g_autofree char *b = pop_all(seq);
  g_assert_cmpstr(b, ==, "2 3 4 5");
  g_assert_true(cli_event_seq_gap(seq, &from, &count));
  g_assert_cmpuint(from, ==, 6);
  g_assert_cmpuint(count, ==, 1);
  cli_event_seq_offer(seq, ev(6));
  g_autofree char *c = pop_all(seq);
  g_assert_cmpstr(c, ==, "6 7");
  g_assert_false(cli_event_seq_gap(seq, &from, &count));
}

static void
test_from(void)
{
  g_autoptr(CliEventSeq) seq = cli_event_seq_new(10);
  g_assert_false(cli_event_seq_offer(seq, ev(9)));
  g_assert_true(cli_event_seq_offer(seq, ev(11)));
  g_autofree char *none = pop_all(seq);
  g_assert_cmpstr(none, ==, "");
  g_assert_true(cli_event_seq_offer(seq, ev(10)));
  g_autofree char *a = pop_all(seq);
  g_assert_cmpstr(a, ==, "10 11");
}

/* Any interleaving of history and signals, with repeats, comes out as 1..N once each. */
static void
test_shuffled_with_repeats(void)
{
  const guint32 n = 500;
  g_autoptr(GRand) rand = g_rand_new_with_seed(20240603);
  for (int round = 0; round < 20; round++) {
    g_autoptr(GArray) order = g_array_new(FALSE, FALSE, sizeof(guint32));
    for (guint32 s = 1; s <= n; s++) {
      g_array_append_val(order, s);
      if (g_rand_int_range(rand, 0, 4) == 0)
        g_array_append_val(order, s);
    }
    for (guint i = order->len - 1; i > 0; i--) {
      guint j = g_rand_int_range(rand, 0, i + 1);
      guint32 t = g_array_index(order, guint32, i);
      g_array_index(order, guint32, i) = g_array_index(order, guint32, j);
      g_array_index(order, guint32, j) = t;
    }
    g_autoptr(CliEventSeq) seq = cli_event_seq_new(1);
    guint32 expect = 1;
    for (guint i = 0; i < order->len; i++) {
      cli_event_seq_offer(seq, ev(g_array_index(order, guint32, i)));
      CliEvent *e;
      while ((e = cli_event_seq_pop(seq)) != NULL) {
        g_assert_cmpuint(e->seq, ==, expect);
        expect++;
        cli_event_free(e);
      }
    }
    g_assert_cmpuint(expect, ==, n + 1);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli/event-seq/in-order-and-duplicates", test_in_order_and_duplicates);
  g_test_add_func("/cli/event-seq/gap", test_gap);
  g_test_add_func("/cli/event-seq/from", test_from);
  g_test_add_func("/cli/event-seq/shuffled-with-repeats", test_shuffled_with_repeats);
  return g_test_run();
}
