#include "run-retention.h"

#include "log.h"
#include "run-table.h"
#include "schedule-rules.h"
#include "time-span.h"

/* Runs a transaction prunes at most: the writer stays quick for receipts. */
#define PRUNE_BATCH 2000
#define PRUNE_INTERVAL_USEC (3600 * SHIFTD_USEC_PER_SEC)
/* With KeepRuns=, finishes between prunes. */
#define PRUNE_AFTER_FINISHES 256

typedef struct {
  Daemon *daemon;
  GPtrArray *pruned;
} Prune;

static void prune_now(Daemon *d);

static int
on_again(sd_event_source *s, void *userdata)
{
  Daemon *d = userdata;
  d->prune_again = sd_event_source_disable_unref(d->prune_again);
  prune_now(d);
  return 0;
}

static void
prune_done(gpointer user_data, const GError *error)
{
  g_autofree Prune *p = user_data;
  g_autoptr(GPtrArray) pruned = p->pruned;
  Daemon *d = p->daemon;
  d->pruning = FALSE;
  if (error) {
    log_warning("cannot prune finished runs: %s", error->message);
    return;
  }
  for (guint i = 0; i < pruned->len; i++)
    run_table_forget(d, g_ptr_array_index(pruned, i));
  if (pruned->len == 0)
    return;
  log_notice("pruned %u finished run(s) with their events ([Store] KeepFinished=, KeepRuns=)", pruned->len);
  /* a full batch: there may be more, after whatever else is waiting */
  if (pruned->len == PRUNE_BATCH && !d->stopping && d->prune_again == NULL &&
      sd_event_add_defer(d->event, &d->prune_again, on_again, d) < 0)
    log_warning("cannot schedule the next prune; it waits for the hourly one");
}

static void
prune_now(Daemon *d)
{
  const ShiftdConfig *c = d->config;
  if (d->pruning || d->stopping)
    return;
  guint64 before = schedule_retention_cutoff(c->keep_finished_usec, shiftd_now_realtime_usec());
  if (before == 0 && c->keep_runs == 0)
    return;
  Prune *p = g_new0(Prune, 1);
  p->daemon = d;
  p->pruned = g_ptr_array_new_with_free_func(g_free);
  ShiftdStoreTxn *txn = shiftd_store_txn_new();
  shiftd_store_txn_prune(txn, before, c->keep_runs, PRUNE_BATCH, p->pruned);
  d->pruning = TRUE;
  d->finished_since_prune = 0;
  shiftd_store_commit(d->store, txn, prune_done, p);
}

static int
on_prune_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
  Daemon *d = userdata;
  prune_now(d);
  int r = sd_event_source_set_time_relative(s, PRUNE_INTERVAL_USEC);
  if (r >= 0)
    r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
  if (r < 0)
    log_warning("cannot re-arm pruning: %s", g_strerror(-r));
  return 0;
}

int
run_retention_start(Daemon *d)
{
  /* the first prune right away: a lowered KeepRuns= applies at start */
  return sd_event_add_time_relative(d->event, &d->prune_timer, CLOCK_MONOTONIC, 0, 0, on_prune_timer, d);
}

void
run_retention_stop(Daemon *d)
{
  d->prune_timer = sd_event_source_disable_unref(d->prune_timer);
  d->prune_again = sd_event_source_disable_unref(d->prune_again);
}

void
run_retention_run_finished(Daemon *d)
{
  if (d->config->keep_runs > 0 && ++d->finished_since_prune >= PRUNE_AFTER_FINISHES)
    prune_now(d);
}
