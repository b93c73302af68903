/* The watch view as a pure function of the model, the clock and the screen. */
#include <glib.h>
#include <string.h>

#include "table.h"
#include "watch-view.h"

#define SEC G_USEC_PER_SEC
#define T0 ((guint64)1700000000 * SEC)

static WatchModel *
sample(guint n_finished)
{
  WatchModel *m = watch_model_new();
  g_free(m->where);
  m->where = g_strdup("the session bus");
  g_free(m->version);
  m->version = g_strdup("0.1.0");
  m->active = 2;
  m->slots = 2;
  m->slots_in_use = 2;
  m->queue_length = 1;
  for (guint i = 0; i < n_finished; i++) {
    g_autofree char *name = g_strdup_printf("old-%02u", i);
    g_ptr_array_add(m->runs, watch_run_new(name, "default", "done", "fine", T0 - (i + 1) * 60 * SEC));
  }
  g_ptr_array_add(m->runs, watch_run_new("run-r", "default", "running", "asking the model (step 2)", T0 - 30 * SEC));
  g_ptr_array_add(m->runs, watch_run_new("run-w", "triage", "waiting", "waiting for an answer", T0 - 90 * SEC));
  const char *const choices[] = { "ship", "hold", NULL };
  g_ptr_array_add(m->decisions, watch_decision_new("run-w", "Ship\nit?", choices, T0 + 600 * SEC));
  g_ptr_array_add(m->agents, watch_agent_new("triage", "every 15min", T0 + 300 * SEC, TRUE, "waiting"));
  g_ptr_array_add(m->agents, watch_agent_new("idle-one", "every 1h", 0, FALSE, NULL));
  return m;
}

static void
test_frame(void)
{
  g_autoptr(WatchModel) m = sample(2);
  WatchScreen screen = { .now = T0, .answer_flags = "--system " };
  g_autofree char *frame = watch_render(m, &screen);
  g_assert_cmpstr(frame, ==,
                  "shiftd 0.1.0 on the session bus\n"
                  "2 active runs \xc2\xb7 1 waits for you \xc2\xb7 model slots 2/2 busy, 1 run waits for one\n"
                  "\n"
                  "Waiting for you\n"
                  "\xe2\x96\xb6 run-w: Ship it?\n"
                  "  [ship / hold]  deadline in 10 min  shiftctl --system answer run-w\n"
                  "\n"
                  "Runs\n"
                  "NAME    AGENT    STATE    CREATED    SUMMARY\n"
                  "run-w   triage   waiting  1 min ago  waiting for an answer\n"
                  "run-r   default  running  30 s ago   asking the model (step 2)\n"
                  "old-00  default  done     1 min ago  fine\n"
                  "old-01  default  done     2 min ago  fine\n"
                  "\n"
                  "Agents\n"
                  "NAME      SCHEDULE     NEXT-WAKE  LAST-RUN\n"
                  "idle-one  every 1h     disabled   -\n"
                  "triage    every 15min  in 5 min   waiting\n");
}

static void
test_fits_the_screen(void)
{
  g_autoptr(WatchModel) m = sample(40);
  WatchScreen screen = { .now = T0, .width = 40, .height = 24, .color = TRUE, .answer_flags = "" };
  g_autofree char *frame = watch_render(m, &screen);
  g_auto(GStrv) lines = g_strsplit(frame, "\n", -1);
  guint n = g_strv_length(lines) - 1; /* the final "" */
  g_assert_cmpuint(n, <=, 24);
  g_autoptr(GRegex) sgr = g_regex_new("\033\\[[0-9;]*m", 0, 0, NULL);
  for (guint i = 0; i < n; i++) {
    g_autofree char *plain = g_regex_replace_literal(sgr, lines[i], -1, 0, "", 0, NULL);
    g_assert_cmpuint(cli_text_width(plain), <=, 40);
  }
  /* the live runs and the decision stay in view; the rest is counted */
  g_assert_nonnull(strstr(frame, "run-w"));
  g_assert_nonnull(strstr(frame, "run-r"));
  g_assert_nonnull(strstr(frame, "more runs"));
  g_assert_nonnull(strstr(frame, "Ctrl-C to quit"));
  /* what waits for a person is highlighted */
  g_assert_nonnull(strstr(frame, "\033[1;30;43m \xe2\x96\xb6 run-w"));
}

static void
test_problem(void)
{
  g_autoptr(WatchModel) m = watch_model_new();
  m->problem = g_strdup("shiftd is not running on the session bus (org.shiftd.Shift1 has no owner)");
  WatchScreen screen = { .now = T0 };
  g_autofree char *frame = watch_render(m, &screen);
  g_assert_true(g_str_has_prefix(frame, "shiftd on \nshiftd is not running"));
  g_autofree char *json = watch_to_json(m);
  g_assert_nonnull(strstr(json, "\"problem\":\"shiftd is not running"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli/watch/frame", test_frame);
  g_test_add_func("/cli/watch/fits-the-screen", test_fits_the_screen);
  g_test_add_func("/cli/watch/problem", test_problem);
  return g_test_run();
}
