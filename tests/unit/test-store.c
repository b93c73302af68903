#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>

#include "run-store.h"
#include "shiftd-names.h"

typedef struct {
  guint done;
  guint failed;
} Counter;

static void
count_done(gpointer user_data, const GError *error)
{
  Counter *c = user_data;
  if (error)
    c->failed++;
  else
    c->done++;
}

static ShiftdRunRow *
make_row(const char *name, ShiftdRunState state)
{
  ShiftdRunRow *r = shiftd_run_row_new();
  shiftd_set_string(&r->name, name);
  shiftd_set_string(&r->task, "check the build log");
  r->state = state;
  r->created_at = 1000;
  r->owner = 1000;
  g_strfreev(r->choices);
  r->choices = g_strsplit("yes,no", ",", -1);
  r->decision_default = g_strdup("no");
  return r;
}

static const ShiftdRunQuery every_run = { .reader = SHIFTD_RUN_QUERY_ANYONE };

/* Waits (bounded) for the writer's completions and dispatches them. */
static void
wait_dispatch(ShiftdStore *store, Counter *c, guint want)
{
  gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  while (c->done + c->failed < want) {
    g_assert_cmpint(g_get_monotonic_time(), <, end);
    struct pollfd p = { .fd = shiftd_store_get_notify_fd(store), .events = POLLIN };
    poll(&p, 1, 100);
    shiftd_store_dispatch(store);
  }
}

static void
test_roundtrip(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-store-XXXXXX", NULL);
  Counter c = { 0 };
  {
    g_autoptr(GError) error = NULL;
    ShiftdStore *store = shiftd_store_open(dir, &error);
    g_assert_no_error(error);
    g_autoptr(ShiftdRunRow) row = make_row("triage-7k2m", SHIFTD_RUN_WAITING);
    ShiftdStoreTxn *txn = shiftd_store_txn_new();
    shiftd_store_txn_put_run(txn, row, FALSE);
    shiftd_store_txn_put_task(txn, row->name, row->task);
    for (guint i = 1; i <= 5; i++) {
      g_autofree char *json = g_strdup_printf("{\"n\":%u}", i);
      shiftd_store_txn_add_event(txn, row->name, i, 2000 + i, "note", json);
    }
    shiftd_store_txn_put_checkpoint(txn, row->name, 3, "[{\"role\":\"user\",\"content\":\"hi\"}]");
    shiftd_store_commit(store, txn, count_done, &c);
    wait_dispatch(store, &c, 1);
    g_assert_cmpuint(c.done, ==, 1);
    shiftd_store_close(store);
  }
  /* A fresh open sees everything. */
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  g_autoptr(GPtrArray) runs = shiftd_store_list_runs(store, &every_run, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(runs->len, ==, 1);
  g_autoptr(ShiftdRunRow) r = shiftd_store_load_run(store, "triage-7k2m", &error);
  g_assert_no_error(error);
  g_assert_cmpstr(r->name, ==, "triage-7k2m");
  g_assert_cmpint(r->state, ==, SHIFTD_RUN_WAITING);
  g_assert_cmpstr(r->task, ==, "check the build log");
  g_assert_cmpuint(g_strv_length(r->choices), ==, 2);
  g_assert_cmpstr(r->choices[1], ==, "no");
  g_assert_cmpstr(r->decision_default, ==, "no");
  g_assert_null(r->answer);

  g_autoptr(GPtrArray) events = shiftd_store_get_events(store, "triage-7k2m", 2, 4, 100, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(events->len, ==, 3);
  for (guint i = 0; i < events->len; i++) {
    ShiftdEventRow *e = g_ptr_array_index(events, i);
    g_assert_cmpuint(e->seq, ==, i + 2);
    g_assert_cmpuint(e->time, ==, 2000 + i + 2);
  }
  g_autoptr(GPtrArray) limited = shiftd_store_get_events(store, "triage-7k2m", 1, 5, 2, &error);
  g_assert_cmpuint(limited->len, ==, 2);

  guint32 step = 0;
  g_autofree char *cp = shiftd_store_get_checkpoint(store, "triage-7k2m", &step, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(step, ==, 3);
  g_assert_nonnull(strstr(cp, "\"hi\""));
  g_autofree char *none = shiftd_store_get_checkpoint(store, "nope-2222", NULL, &error);
  g_assert_no_error(error);
  g_assert_null(none);
  shiftd_store_close(store);
}

/* Runs 0..n-1 of agents a (even) and b (odd); run i finished at 100 + i,
 * except every fifth, which is live; each has two events and a checkpoint. */
static void
put_history(ShiftdStore *store, guint n)
{
  Counter c = { 0 };
  ShiftdStoreTxn *txn = shiftd_store_txn_new();
  for (guint i = 0; i < n; i++) {
    g_autofree char *name = g_strdup_printf("run-%03u", i);
    gboolean live = i % 5 == 4;
    g_autoptr(ShiftdRunRow) row = make_row(name, live ? SHIFTD_RUN_RUNNING : SHIFTD_RUN_DONE);
    shiftd_set_string(&row->agent, i % 2 ? "b" : "a");
    row->trigger = i % 3 ? SHIFTD_TRIGGER_MANUAL : SHIFTD_TRIGGER_REVIEW;
    row->created_at = 10 + i;
    row->finished_at = live ? 0 : 100 + i;
    row->owner = i % 2 ? 1001 : 1000;
    shiftd_store_txn_put_run(txn, row, FALSE);
    shiftd_store_txn_put_task(txn, name, "task");
    shiftd_store_txn_add_event(txn, name, 1, 1, "created", "{}");
    shiftd_store_txn_add_event(txn, name, 2, 2, "done", "{}");
    shiftd_store_txn_put_checkpoint(txn, name, 1, "[]");
  }
  shiftd_store_commit(store, txn, count_done, &c);
  wait_dispatch(store, &c, 1);
  g_assert_cmpuint(c.done, ==, 1);
}

static char *
names_of(GPtrArray *rows)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; rows && i < rows->len; i++)
    g_string_append_printf(s, "%s%s", i ? " " : "", ((ShiftdRunRow *)g_ptr_array_index(rows, i))->name);
  return g_string_free(s, FALSE);
}

static void
test_queries(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-store-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  put_history(store, 10);

  g_autoptr(GPtrArray) live = shiftd_store_load_live_runs(store, &error);
  g_autofree char *live_names = names_of(live);
  g_assert_cmpstr(live_names, ==, "run-004 run-009");
  g_autoptr(GPtrArray) recent = shiftd_store_load_finished_runs(store, 3, &error);
  g_autofree char *recent_names = names_of(recent);
  g_assert_cmpstr(recent_names, ==, "run-006 run-007 run-008");
  g_assert_cmpstr(((ShiftdRunRow *)g_ptr_array_index(recent, 0))->task, ==, "task");

  g_autoptr(ShiftdRunRow) one = shiftd_store_load_run(store, "run-003", &error);
  g_assert_no_error(error);
  g_assert_cmpstr(one->agent, ==, "b");
  g_assert_null(shiftd_store_load_run(store, "run-999", &error));
  g_assert_no_error(error);

  struct {
    ShiftdRunQuery q;
    const char *want;
  } cases[] = {
    { { .reader = SHIFTD_RUN_QUERY_ANYONE }, "run-000 run-001 run-002 run-003 run-004 run-005 run-006 run-007 run-008 run-009" },
    { { .agent = "b", .limit = 2, .reader = SHIFTD_RUN_QUERY_ANYONE }, "run-007 run-009" },
    { { .state = "running", .reader = SHIFTD_RUN_QUERY_ANYONE }, "run-004 run-009" },
    { { .since = 17, .reader = SHIFTD_RUN_QUERY_ANYONE }, "run-007 run-008 run-009" },
    { { .agent = "a", .finished_only = TRUE, .not_trigger = "review", .reader = SHIFTD_RUN_QUERY_ANYONE },
      "run-002 run-008" },
    /* uid 1000 owns a's runs; it reads b's only as an AnswerBy= member */
    { { .reader = 1000, .limit = 3 }, "run-004 run-006 run-008" },
    { { .reader = 1000, .reader_agents = (const char *const[]){ "b", NULL }, .limit = 3 },
      "run-007 run-008 run-009" },
    { { .reader = 1000, .unreadable = TRUE, .limit = 1 }, "run-009" },
    { { .reader = 1000, .agent = "a", .unreadable = TRUE }, "" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GPtrArray) rows = shiftd_store_list_runs(store, &cases[i].q, &error);
    g_assert_no_error(error);
    g_autofree char *got = names_of(rows);
    if (!g_str_equal(got, cases[i].want))
      g_error("query %u: got \"%s\", want \"%s\"", i, got, cases[i].want);
  }
  shiftd_store_close(store);
}

static void
prune(ShiftdStore *store, guint64 before, guint keep, guint max, const char *want)
{
  Counter c = { 0 };
  g_autoptr(GPtrArray) pruned = g_ptr_array_new_with_free_func(g_free);
  ShiftdStoreTxn *txn = shiftd_store_txn_new();
  shiftd_store_txn_prune(txn, before, keep, max, pruned);
  shiftd_store_commit(store, txn, count_done, &c);
  wait_dispatch(store, &c, 1);
  g_assert_cmpuint(c.done, ==, 1);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < pruned->len; i++)
    g_string_append_printf(s, "%s%s", i ? " " : "", (char *)g_ptr_array_index(pruned, i));
  g_autofree char *names = g_string_free(s, FALSE);
  if (!g_str_equal(names, want))
    g_error("pruned \"%s\", want \"%s\"", names, want);
}

/* Pruning takes finished runs only, oldest first, with everything they had;
 * their names stay known. */
static void
test_prune(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-store-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  put_history(store, 10);

  /* by age: finished before 103, at most 2 at a time */
  prune(store, 103, 0, 2, "run-000 run-001");
  prune(store, 103, 0, 2, "run-002");
  prune(store, 103, 0, 2, "");
  /* by count: keep the newest 3 finished (live runs do not count) */
  prune(store, 0, 3, 100, "run-005 run-003");
  prune(store, 0, 3, 100, "");

  g_autoptr(GPtrArray) left = shiftd_store_list_runs(store, &every_run, &error);
  g_autofree char *left_names = names_of(left);
  g_assert_cmpstr(left_names, ==, "run-004 run-006 run-007 run-008 run-009");
  g_autoptr(GPtrArray) events = shiftd_store_get_events(store, "run-003", 1, 10, 10, &error);
  g_assert_cmpuint(events->len, ==, 0);
  g_autoptr(GPtrArray) kept_events = shiftd_store_get_events(store, "run-006", 1, 10, 10, &error);
  g_assert_cmpuint(kept_events->len, ==, 2);
  g_autofree char *cp = shiftd_store_get_checkpoint(store, "run-003", NULL, &error);
  g_assert_null(cp);
  g_assert_true(shiftd_store_run_name_known(store, "run-000"));
  g_assert_true(shiftd_store_run_name_known(store, "run-009"));
  g_assert_false(shiftd_store_run_name_known(store, "run-010"));
  shiftd_store_close(store);

  /* and after a reopen */
  store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  g_assert_true(shiftd_store_run_name_known(store, "run-003"));
  shiftd_store_close(store);
}

/* Many transactions queued together share commits; all are durable. */
static void
test_group_commit(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-store-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  Counter c = { 0 };
  const guint n = 200;
  g_autoptr(ShiftdRunRow) row = make_row("burst-aaaa", SHIFTD_RUN_RUNNING);
  for (guint i = 1; i <= n; i++) {
    ShiftdStoreTxn *txn = shiftd_store_txn_new();
    row->event_count = i;
    shiftd_store_txn_put_run(txn, row, FALSE);
    shiftd_store_txn_add_event(txn, row->name, i, i, "note", "{}");
    shiftd_store_commit(store, txn, count_done, &c);
  }
  wait_dispatch(store, &c, n);
  g_assert_cmpuint(c.done, ==, n);
  guint64 commits = 0, txns = 0;
  shiftd_store_get_stats(store, &commits, &txns);
  g_assert_cmpuint(txns, ==, n);
  g_assert_cmpuint(commits, >=, 1);
  g_assert_cmpuint(commits, <, n);
  g_autoptr(GPtrArray) events = shiftd_store_get_events(store, row->name, 1, n, n, &error);
  g_assert_cmpuint(events->len, ==, n);
  g_autoptr(ShiftdRunRow) burst = shiftd_store_load_run(store, row->name, &error);
  g_assert_cmpuint(burst->event_count, ==, n);
  shiftd_store_close(store);
}

/* A transaction that fails (duplicate event seq) fails alone. */
static void
test_failure_isolated(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-store-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  Counter good = { 0 }, bad = { 0 };
  ShiftdStoreTxn *t1 = shiftd_store_txn_new();
  shiftd_store_txn_add_event(t1, "x-2222", 1, 1, "note", "{}");
  shiftd_store_commit(store, t1, count_done, &good);
  ShiftdStoreTxn *t2 = shiftd_store_txn_new();
  shiftd_store_txn_add_event(t2, "x-2222", 1, 1, "note", "{}");
  shiftd_store_commit(store, t2, count_done, &bad);
  ShiftdStoreTxn *t3 = shiftd_store_txn_new();
  shiftd_store_txn_add_event(t3, "x-2222", 2, 2, "note", "{}");
  shiftd_store_commit(store, t3, count_done, &good);
  shiftd_store_flush(store);
  g_assert_cmpuint(good.done, ==, 2);
  g_assert_cmpuint(bad.failed, ==, 1);
  g_autoptr(GPtrArray) events = shiftd_store_get_events(store, "x-2222", 1, 10, 10, &error);
  g_assert_cmpuint(events->len, ==, 2);
  shiftd_store_close(store);
}

static void
test_agent_state(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-store-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  ShiftdAgentState a = { .name = "triage", .enabled = FALSE, .current_interval = 90, .idle_streak = 3,
                         .next_wake = 123, .last_run_at = 100, .last_run = "triage-7k2m", .last_review_at = 7 };
  ShiftdStoreTxn *txn = shiftd_store_txn_new();
  shiftd_store_txn_put_agent(txn, &a);
  shiftd_store_commit(store, txn, NULL, NULL);
  shiftd_store_flush(store);
  g_autoptr(GPtrArray) agents = shiftd_store_load_agents(store, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(agents->len, ==, 1);
  ShiftdAgentState *b = g_ptr_array_index(agents, 0);
  g_assert_false(b->enabled);
  g_assert_cmpuint(b->current_interval, ==, 90);
  g_assert_cmpuint(b->idle_streak, ==, 3);
  g_assert_cmpstr(b->last_run, ==, "triage-7k2m");
  shiftd_store_close(store);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/store/roundtrip", test_roundtrip);
  g_test_add_func("/store/group-commit", test_group_commit);
  g_test_add_func("/store/failure-isolated", test_failure_isolated);
  g_test_add_func("/store/agent-state", test_agent_state);
  g_test_add_func("/store/queries", test_queries);
  g_test_add_func("/store/prune", test_prune);
  return g_test_run();
}
