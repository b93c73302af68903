#include "daemon.h"

void
daemon_adjust_active_runs(Daemon *d, int delta)
{
  if (delta < 0 && d->active_runs < (guint)-delta)
    d->active_runs = 0;
  else
    d->active_runs += delta;
  static const char *const active_runs[] = { "ActiveRuns", NULL };
  d->observer->manager_changed(d, active_runs);
}

void
daemon_check_stopped(Daemon *d)
{
  if (!d->stopping || d->live_workers > 0)
    return;
  shiftd_store_flush(d->store);
  sd_event_exit(d->event, 0);
}
