#include "run-table.h"

#include "log.h"
#include "run-retention.h"
#include "object-path.h"
#include "shiftd-names.h"
#include "worker.h"

static GQueue *
queue_of(Daemon *d, RunHeld held)
{
  switch (held) {
  case RUN_HELD_LIVE: return &d->live_runs;
  case RUN_HELD_RECENT: return &d->recent_runs;
  case RUN_HELD_CACHED: return &d->cached_runs;
  case RUN_HELD_NOT: break;
  }
  return NULL;
}

static void
move_to(Daemon *d, Run *run, RunHeld held)
{
  GQueue *from = queue_of(d, run->held);
  if (from)
    g_queue_unlink(from, &run->held_link);
  run->held = held;
  GQueue *to = queue_of(d, held);
  if (to)
    g_queue_push_tail_link(to, &run->held_link);
}

static void
insert(Daemon *d, Run *run, RunHeld held)
{
  /* its own copy of the name: the record under it is replaced as it changes */
  g_hash_table_insert(d->runs, g_strdup(run->pending->name), run);
  move_to(d, run, held);
}

/* Drops the table's reference; whoever else holds one keeps the run. */
static void
drop(Daemon *d, Run *run)
{
  move_to(d, run, RUN_HELD_NOT);
  g_hash_table_remove(d->runs, run->pending->name);
  run_unref(run);
}

static void
trim_cache(Daemon *d)
{
  while (d->cached_runs.length > RUN_CACHE_MAX)
    drop(d, d->cached_runs.head->data);
}

void
run_table_init(Daemon *d)
{
  d->runs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init(&d->live_runs);
  g_queue_init(&d->recent_runs);
  g_queue_init(&d->cached_runs);
}

static void
insert_rows(Daemon *d, GPtrArray *rows, RunHeld held)
{
  for (guint i = 0; i < rows->len; i++) {
    ShiftdRunRow *row = g_steal_pointer(&rows->pdata[i]);
    if (g_hash_table_contains(d->runs, row->name)) {
      shiftd_run_row_free(row);
      continue;
    }
    insert(d, run_new(d, row, TRUE), held);
  }
}

gboolean
run_table_load(Daemon *d, GError **error)
{
  g_autoptr(GPtrArray) live = shiftd_store_load_live_runs(d->store, error);
  if (live == NULL)
    return FALSE;
  g_autoptr(GPtrArray) recent = shiftd_store_load_finished_runs(d->store, RUN_WINDOW_MAX, error);
  if (recent == NULL)
    return FALSE;
  insert_rows(d, live, RUN_HELD_LIVE);
  insert_rows(d, recent, RUN_HELD_RECENT);
  d->active_runs = d->live_runs.length;
  return TRUE;
}

void
run_table_free(Daemon *d)
{
  if (d->runs == NULL)
    return;
  GQueue *queues[] = { &d->live_runs, &d->recent_runs, &d->cached_runs };
  for (guint i = 0; i < G_N_ELEMENTS(queues); i++)
    while (queues[i]->head)
      drop(d, queues[i]->head->data);
  g_clear_pointer(&d->runs, g_hash_table_unref);
}

void
run_table_add_live(Daemon *d, Run *run)
{
  insert(d, run, RUN_HELD_LIVE);
}

void
run_table_finished(Daemon *d, Run *run)
{
  if (run->held != RUN_HELD_LIVE)
    return;
  move_to(d, run, RUN_HELD_RECENT);
  run_retention_run_finished(d);
  while (d->recent_runs.length > RUN_WINDOW_MAX) {
    Run *oldest = d->recent_runs.head->data;
    /* still found (in the cache) while the bus says it left the list */
    move_to(d, oldest, RUN_HELD_CACHED);
    d->observer->run_unlisted(oldest);
  }
  trim_cache(d);
}

void
run_table_forget(Daemon *d, const char *name)
{
  Run *run = g_hash_table_lookup(d->runs, name);
  if (run == NULL || run->held == RUN_HELD_LIVE)
    return;
  if (run->held == RUN_HELD_RECENT)
    d->observer->run_unlisted(run);
  drop(d, run);
}

gboolean
run_table_name_taken(Daemon *d, const char *name)
{
  return g_hash_table_contains(d->runs, name) || shiftd_store_run_name_known(d->store, name);
}

GPtrArray *
run_table_listed_paths(Daemon *d)
{
  GPtrArray *paths = g_ptr_array_sized_new(d->live_runs.length + d->recent_runs.length);
  GQueue *queues[] = { &d->live_runs, &d->recent_runs };
  for (guint i = 0; i < G_N_ELEMENTS(queues); i++)
    for (GList *l = queues[i]->head; l; l = l->next) {
      Run *run = l->data;
      if (run->published)
        g_ptr_array_add(paths, run->path);
    }
  return paths;
}

GPtrArray *
run_table_live_runs(Daemon *d)
{
  GPtrArray *runs = g_ptr_array_new_full(d->live_runs.length, (GDestroyNotify)run_unref);
  for (GList *l = d->live_runs.head; l; l = l->next)
    g_ptr_array_add(runs, run_ref(l->data));
  return runs;
}

Run *
daemon_find_run(Daemon *d, const char *name)
{
  if (name == NULL || name[0] == '\0')
    return NULL;
  Run *run = g_hash_table_lookup(d->runs, name);
  if (run) {
    if (run->held == RUN_HELD_CACHED)
      move_to(d, run, RUN_HELD_CACHED); /* most recently used last */
    return run->published ? run : NULL;
  }
  g_autoptr(GError) error = NULL;
  ShiftdRunRow *row = shiftd_store_load_run(d->store, name, &error);
  if (row == NULL) {
    if (error)
      log_warning("cannot read run %s from the store: %s", name, error->message);
    return NULL;
  }
  /* Not finished yet on disk while not in memory cannot happen: every live
   * run is held from its receipt on. */
  run = run_new(d, row, TRUE);
  insert(d, run, RUN_HELD_CACHED);
  trim_cache(d);
  return run;
}
