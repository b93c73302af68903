/* The daemon's core with no bus at all: a store, a fake observer standing
 * in for the *-bus.c files, and no event loop turning (so no worker is ever
 * launched). What the bus would say is what the observer is told. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "agent-registry.h"
#include "agent.h"
#include "run-engine.h"
#include "run-table.h"
#include "run.h"
#include "slot-limiter.h"

typedef struct {
  Daemon d;
  char *dir;
  GString *log;    /* what the observer was told, one line each */
  GPtrArray *unlisted;
} Core;

static Core *core_of(Daemon *d) { return (Core *)d; }

static void
on_published(Run *run, const ShiftdRunRow *old, GArray *events)
{
  GString *log = core_of(run->daemon)->log;
  g_string_append_printf(log, "published %s %s->%s", run->published->name,
                         old ? shiftd_run_state_to_string(old->state) : "-",
                         shiftd_run_state_to_string(run->published->state));
  for (guint i = 0; i < events->len; i++)
    g_string_append_printf(log, " %s", g_array_index(events, RunEvent, i).kind);
  g_string_append_c(log, '\n');
}

static void on_summary(Run *run) {}

static void
on_unlisted(Run *run)
{
  g_ptr_array_add(core_of(run->daemon)->unlisted, g_strdup(run->published->name));
}

static void on_agent(Agent *a) {}
static void on_agent_changed(Agent *a, const char *const *properties) {}

static void
on_manager_changed(Daemon *d, const char *const *properties)
{
  g_autofree char *names = g_strjoinv(",", (char **)properties);
  g_string_append_printf(core_of(d)->log, "manager %s %u\n", names, d->active_runs);
}

static const DaemonObserver fake_observer = {
  .run_published = on_published,
  .run_summary_changed = on_summary,
  .run_unlisted = on_unlisted,
  .agent_published = on_agent,
  .agent_unpublished = on_agent,
  .agent_changed = on_agent_changed,
  .manager_changed = on_manager_changed,
};

static Core *
core_new(void)
{
  Core *c = g_new0(Core, 1);
  Daemon *d = &c->d;
  c->dir = g_dir_make_tmp("shiftd-core-XXXXXX", NULL);
  c->log = g_string_new(NULL);
  c->unlisted = g_ptr_array_new_with_free_func(g_free);
  d->mode = DAEMON_MODE_USER;
  d->config_dir = g_build_filename(c->dir, "config", NULL);
  d->state_dir = g_build_filename(c->dir, "state", NULL);
  d->config = shiftd_config_new();
  d->observer = &fake_observer;
  g_autoptr(GError) error = NULL;
  d->store = shiftd_store_open(d->state_dir, &error);
  g_assert_no_error(error);
  g_assert_cmpint(sd_event_new(&d->event), >=, 0);
  d->slots = slot_limiter_new(2, engine_slot_granted, engine_slots_changed, d);
  d->rand = g_rand_new_with_seed(7);
  run_table_init(d);
  g_assert_true(run_table_load(d, &error));
  agent_registry_init(d);
  return c;
}

static void
core_free(Core *c)
{
  Daemon *d = &c->d;
  shiftd_store_flush(d->store);
  sd_event_source_disable_unref(d->launch_source); /* queued runs' launch, never dispatched here */
  run_table_free(d);
  agent_registry_free(d);
  slot_limiter_free(d->slots);
  shiftd_store_close(d->store);
  sd_event_unref(d->event);
  shiftd_config_free(d->config);
  g_rand_free(d->rand);
  g_free(d->config_dir);
  g_free(d->state_dir);
  g_string_free(c->log, TRUE);
  g_ptr_array_unref(c->unlisted);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", c->dir);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(c->dir);
  g_free(c);
}

static Run *
start(Core *c, const char *task)
{
  g_autoptr(GError) error = NULL;
  Run *run = engine_start_run(&c->d, daemon_find_agent(&c->d, "default"), task, SHIFTD_TRIGGER_MANUAL, 1000, NULL,
                              NULL, NULL, &error);
  g_assert_no_error(error);
  return run;
}

static void
cancel(Run *run)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(engine_cancel(run, 1000, NULL, NULL, &error));
  g_assert_no_error(error);
}

/* A receipt is announced once on disk; a change is one record at rest. */
static void
test_receipt_then_cancel(void)
{
  Core *c = core_new();
  Run *run = start(c, "look at the build");
  g_assert_null(run->published);
  g_assert_cmpstr(c->log->str, ==, "");
  shiftd_store_flush(c->d.store);
  g_autofree char *name = g_strdup(run->published->name);
  g_autofree char *want = g_strdup_printf("published %s -->queued created\nmanager ActiveRuns 1\n", name);
  g_assert_cmpstr(c->log->str, ==, want);
  g_assert_true(run->pending == run->published);
  g_assert_cmpint(run->held, ==, RUN_HELD_LIVE);

  g_string_truncate(c->log, 0);
  cancel(run);
  g_assert_true(run->pending != run->published); /* staged, not yet on disk */
  g_assert_cmpint(run->published->state, ==, SHIFTD_RUN_QUEUED);
  shiftd_store_flush(c->d.store);
  g_free(want);
  want = g_strdup_printf("published %s queued->cancelled cancelled\nmanager ActiveRuns 0\n", name);
  g_assert_cmpstr(c->log->str, ==, want);
  g_assert_true(run->pending == run->published);
  g_assert_cmpint(run->held, ==, RUN_HELD_RECENT);
  core_free(c);
}

/* The window keeps the newest finished runs; older ones leave the list but
 * answer from the store, and a reference keeps a run whatever the table does. */
static void
test_window(void)
{
  Core *c = core_new();
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  GPtrArray *runs = g_ptr_array_new();
  for (guint i = 0; i < RUN_WINDOW_MAX + 3; i++)
    g_ptr_array_add(runs, start(c, "task"));
  shiftd_store_flush(c->d.store);
  Run *first = run_ref(g_ptr_array_index(runs, 0));
  for (guint i = 0; i < runs->len; i++) {
    Run *run = g_ptr_array_index(runs, i);
    g_ptr_array_add(names, g_strdup(run->published->name));
    cancel(run);
  }
  g_ptr_array_unref(runs); /* borrowed: the table holds them */
  shiftd_store_flush(c->d.store);
  g_assert_cmpuint(c->unlisted->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr(g_ptr_array_index(c->unlisted, i), ==, g_ptr_array_index(names, i));
  g_assert_cmpuint(c->d.recent_runs.length, ==, RUN_WINDOW_MAX);
  g_assert_cmpuint(c->d.live_runs.length, ==, 0);
  g_autoptr(GPtrArray) listed = run_table_listed_paths(&c->d);
  g_assert_cmpuint(listed->len, ==, RUN_WINDOW_MAX);

  /* gone from the table entirely: found again in the store, as a new object */
  run_table_forget(&c->d, g_ptr_array_index(names, 0));
  g_assert_cmpint(first->held, ==, RUN_HELD_NOT);
  g_assert_cmpint(first->published->state, ==, SHIFTD_RUN_CANCELLED); /* still ours */
  Run *again = daemon_find_run(&c->d, g_ptr_array_index(names, 0));
  g_assert_nonnull(again);
  g_assert_true(again != first);
  g_assert_cmpstr(again->published->task, ==, "task");
  g_assert_cmpint(again->held, ==, RUN_HELD_CACHED);
  run_unref(first);

  /* the cache stays small */
  for (guint i = 0; i < RUN_CACHE_MAX + 10; i++)
    g_assert_nonnull(daemon_find_run(&c->d, g_ptr_array_index(names, i % 3)));
  g_assert_cmpuint(c->d.cached_runs.length, <=, RUN_CACHE_MAX);
  g_assert_null(daemon_find_run(&c->d, "no-such-run"));
  g_ptr_array_unref(names);
  core_free(c);
}

/* Names are never issued twice: what is in memory or on record is taken. */
static void
test_names_taken(void)
{
  Core *c = core_new();
  Run *run = start(c, "task");
  g_assert_true(run_table_name_taken(&c->d, run->pending->name)); /* not yet on disk */
  shiftd_store_flush(c->d.store);
  g_assert_true(run_table_name_taken(&c->d, run->published->name));
  g_assert_false(run_table_name_taken(&c->d, "default-none"));
  core_free(c);
}

/* kill -9 between a child's end and its parent's resume: at the next start
 * the waiting parent finds its child ended and continues with its result. */
static void
test_waiting_parent_resumes_at_start(void)
{
  Core *c = core_new();
  Daemon *d = &c->d;
  Run *parent = start(c, "hand it on");
  shiftd_store_flush(d->store);
  g_autofree char *parent_name = g_strdup(parent->published->name);
  RunOptions options = { .parent = parent_name, .parent_depth = parent->published->depth };
  g_autoptr(GError) error = NULL;
  Run *child = engine_start_run(d, daemon_find_agent(d, "default"), "write it", SHIFTD_TRIGGER_DELEGATED, 1000,
                                &options, NULL, NULL, &error);
  g_assert_no_error(error);
  g_autofree char *child_name = g_strdup(child->pending->name);
  g_assert_cmpuint(child->pending->depth, ==, 1);
  /* what the worker's `wait` ending leaves: waiting, no question, the child named */
  ShiftdRunRow *row = run_edit(parent);
  g_strfreev(row->children);
  row->children = g_strsplit(child_name, " ", -1);
  row->state = SHIFTD_RUN_WAITING;
  shiftd_set_string(&row->wait_child, child_name);
  run_txn_commit(run_txn_begin(parent), NULL, NULL);
  shiftd_store_flush(d->store);

  /* the child ends on disk, and the daemon is gone before the parent hears of it */
  g_autoptr(ShiftdRunRow) ended = shiftd_run_row_copy(child->published);
  ended->state = SHIFTD_RUN_DONE;
  shiftd_set_string(&ended->result, "the draft");
  ended->finished_at = 5;
  sd_event_source_disable_unref(d->launch_source);
  d->launch_source = NULL;
  g_queue_clear(&d->launch_queue);
  run_table_free(d);
  ShiftdStoreTxn *txn = shiftd_store_txn_new();
  shiftd_store_txn_put_run(txn, ended, FALSE);
  shiftd_store_commit(d->store, txn, NULL, NULL);
  shiftd_store_flush(d->store);

  run_table_init(d);
  g_assert_true(run_table_load(d, &error));
  g_assert_no_error(error);
  engine_recover(d);
  parent = daemon_find_run(d, parent_name);
  g_assert_cmpint(parent->pending->state, ==, SHIFTD_RUN_QUEUED);
  g_assert_cmpstr(parent->pending->answer, ==, "the draft");
  g_assert_cmpstr(parent->pending->wait_child, ==, "");
  shiftd_store_flush(d->store);
  g_autoptr(GPtrArray) events = shiftd_store_get_events(d->store, parent_name, 1, parent->published->event_count,
                                                        100, &error);
  g_assert_no_error(error);
  ShiftdEventRow *last = g_ptr_array_index(events, events->len - 1);
  g_assert_cmpstr(last->kind, ==, "child_ended");
  g_assert_nonnull(strstr(last->json, "\"outcome\":\"the draft\""));
  g_queue_clear(&d->launch_queue); /* its next attempt, never launched here */
  core_free(c);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/core/receipt-then-cancel", test_receipt_then_cancel);
  g_test_add_func("/core/window", test_window);
  g_test_add_func("/core/names-taken", test_names_taken);
  g_test_add_func("/core/waiting-parent-resumes-at-start", test_waiting_parent_resumes_at_start);
  return g_test_run();
}
