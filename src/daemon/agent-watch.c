#include "agent-watch.h"

#include <errno.h>

#include "agent.h"
#include "backend.h"
#include "log.h"
#include "run-engine.h"
#include "run.h"
#include "schedule-rules.h"
#include "time-span.h"
#include "wake-hold.h"
#include "watch-rules.h"

struct AgentWatch {
  Agent *agent;          /* not owned: it owns this */
  WatchBurst burst;
  gboolean held;         /* a wake waits for the live run to end, or the quiet hours */
  sd_event_source *timer;
};

void
agent_watch_free(AgentWatch *w)
{
  if (w == NULL)
    return;
  sd_event_source_disable_unref(w->timer);
  g_free(w);
}

void
agent_watch_arm(Agent *a)
{
  Backend *b = a->daemon->backend;
  if (!a->state->enabled || !agent_config_watches(a->config)) {
    agent_watch_disarm(a);
    return;
  }
  if (a->watch == NULL) {
    a->watch = g_new0(AgentWatch, 1);
    a->watch->agent = a;
  }
  b->watch_paths(b, a->name, (const char *const *)a->config->watch_paths);
}

void
agent_watch_disarm(Agent *a)
{
  Backend *b = a->daemon->backend;
  b->watch_paths(b, a->name, NULL);
  g_clear_pointer(&a->watch, agent_watch_free);
}

static void fire(AgentWatch *w);

static int
on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
  AgentWatch *w = userdata;
  w->timer = sd_event_source_disable_unref(w->timer);
  fire(w);
  return 0;
}

/* One timer per agent, on the clock its time is on. */
static void
arm_timer(AgentWatch *w, clockid_t clock, guint64 at)
{
  Agent *a = w->agent;
  w->timer = sd_event_source_disable_unref(w->timer);
  int r = sd_event_add_time(a->daemon->event, &w->timer, clock, at, 10 * 1000, on_timer, w);
  if (r < 0)
    log_run(LOG_WARNING, NULL, a->name, "cannot arm the path wake: %s; it waits for the next change",
            g_strerror(-r));
}

/* note: how long the wake was held and why (wake-hold.c), for its run's first note. */
static void
start_watch_run(Agent *a, const char *note)
{
  g_autoptr(GError) error = NULL;
  Run *run = engine_start_run(a->daemon, a, a->config->instructions, SHIFTD_TRIGGER_WATCH, agent_run_owner(a), NULL,
                              NULL, NULL, &error);
  if (run == NULL) {
    log_run(LOG_WARNING, NULL, a->name, "cannot start the path wake's run: %s", error->message);
    return;
  }
  if (note && note[0])
    run_note(run, note);
  log_run(LOG_INFO, run->pending->name, a->name, "path wake");
}

/* A path wake wake-hold.c held is to run now. */
static void
watch_released(Agent *a, const char *source, guint64 due, const char *note)
{
  (void)source;
  (void)due;
  if (a->watch == NULL || a->daemon->stopping || !a->state->enabled)
    return;
  if (agent_live_run(a)) {
    a->watch->held = TRUE; /* it wakes again when that run ends */
    return;
  }
  start_watch_run(a, note);
}

/* The burst is over (or a held wake's reason went): the wake itself. */
static void
fire(AgentWatch *w)
{
  Agent *a = w->agent;
  Daemon *d = a->daemon;
  guint64 mono = shiftd_now_monotonic_usec();
  if (w->burst.first && !watch_burst_take(&w->burst, mono)) {
    arm_timer(w, CLOCK_MONOTONIC, watch_burst_due(&w->burst)); /* a change came since */
    return;
  }
  if (d->stopping || !a->state->enabled)
    return;
  guint64 now = shiftd_now_realtime_usec();
  guint64 allowed = schedule_after_quiet_hours(&a->config->quiet_hours, now);
  if (allowed > now) {
    log_run(LOG_INFO, NULL, a->name, "path wake deferred to the end of the quiet hours");
    w->held = TRUE;
    arm_timer(w, CLOCK_REALTIME, allowed);
    return;
  }
  Run *live = agent_live_run(a);
  if (live) {
    /* one wake after it, however many changes come meanwhile */
    if (!w->held) {
      g_autofree char *text = g_strdup_printf("a path of %s changed while this run is %s: it wakes again when "
                                              "this run ends", a->name,
                                              shiftd_run_state_to_string(live->pending->state));
      run_note(live, text);
      log_run(LOG_INFO, live->pending->name, a->name, "%s", text);
    }
    w->held = TRUE;
    return;
  }
  w->held = FALSE;
  /* on battery, metered, power saver, going to sleep: later */
  if (wake_hold(a, "watch", "watch", 0, watch_released))
    return;
  start_watch_run(a, NULL);
}

void
agent_watch_changed_named(Daemon *d, const char *name, const char *source)
{
  Agent *a = daemon_find_agent(d, name);
  if (a == NULL || a->watch == NULL) {
    log_run(LOG_DEBUG, NULL, name, "a path change from %s for an agent that watches none", source);
    return;
  }
  AgentWatch *w = a->watch;
  gboolean new_burst = w->burst.first == 0;
  guint64 due = watch_burst_add(&w->burst, shiftd_now_monotonic_usec());
  if (new_burst)
    log_run(LOG_DEBUG, NULL, a->name, "a path changed (%s)", source);
  /* a held wake's timer (the quiet hours' end) stays; the burst is seen to then */
  if (!w->held || w->timer == NULL)
    arm_timer(w, CLOCK_MONOTONIC, due);
}

void
agent_watch_run_finished(Agent *a)
{
  AgentWatch *w = a->watch;
  if (w == NULL || !w->held || w->timer != NULL)
    return;
  /* from the event loop, not from inside the run's own commit */
  arm_timer(w, CLOCK_MONOTONIC, shiftd_now_monotonic_usec());
}
