#include "wake-hold.h"

#include "agent.h"
#include "log.h"
#include "time-span.h"
#include "wake-defer.h"

typedef struct {
  char *kind;
  char *source;
  guint64 due;
  guint64 since;    /* MaxDefer= counts from here: when it fell due, or when it was held if that was later */
  guint reasons;    /* every condition seen holding it, for the note */
  gboolean slept;   /* it fell due while the machine was going to sleep */
  gboolean expired;
  WakeHoldRelease release;
} HeldWake;

typedef struct {
  WakeHolds *holds;
  char *agent;
  GPtrArray *wakes; /* HeldWake* */
  char *deferred;   /* the property */
  sd_event_source *timer; /* the first MaxDefer= */
} HeldAgent;

struct WakeHolds {
  Daemon *daemon;
  gboolean known;       /* machine-state.c has said what holds (or that nothing can) */
  guint holding;        /* WakeCondition bits */
  guint64 asleep_since; /* monotonic; 0: awake */
  sd_event_source *sleep_timer; /* stops believing a sleep that never ended */
  GHashTable *agents;   /* name -> HeldAgent* */
};

static void
held_wake_free(gpointer p)
{
  HeldWake *w = p;
  g_free(w->kind);
  g_free(w->source);
  g_free(w);
}

static void
held_agent_free(gpointer p)
{
  HeldAgent *h = p;
  sd_event_source_disable_unref(h->timer);
  g_ptr_array_unref(h->wakes);
  g_free(h->agent);
  g_free(h->deferred);
  g_free(h);
}

void
wake_holds_init(Daemon *d)
{
  WakeHolds *holds = g_new0(WakeHolds, 1);
  holds->daemon = d;
  holds->agents = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, held_agent_free);
  d->holds = holds;
}

void
wake_holds_free(Daemon *d)
{
  WakeHolds *holds = g_steal_pointer(&d->holds);
  if (holds == NULL)
    return;
  sd_event_source_disable_unref(holds->sleep_timer);
  g_hash_table_unref(holds->agents);
  g_free(holds);
}

static gboolean
asleep(WakeHolds *holds)
{
  return wake_defer_asleep(holds->asleep_since, shiftd_now_monotonic_usec());
}

static void
set_deferred(HeldAgent *h, Agent *a, const char *text)
{
  if (g_strcmp0(h->deferred, text) == 0)
    return;
  g_free(h->deferred);
  h->deferred = g_strdup(text);
  static const char *const deferred[] = { "Deferred", NULL };
  if (a->published)
    a->daemon->observer->agent_changed(a, deferred);
}

static void evaluate(HeldAgent *h);

static int
on_max_defer(sd_event_source *s, uint64_t usec, void *userdata)
{
  evaluate(userdata);
  return 0;
}

static void
arm_max_defer(HeldAgent *h, Agent *a, guint64 at)
{
  g_clear_pointer(&h->timer, sd_event_source_disable_unref);
  if (at == 0)
    return;
  /* realtime: MaxDefer= counts from when the wake fell due, a wall-clock time */
  int r = sd_event_add_time(h->holds->daemon->event, &h->timer, CLOCK_REALTIME, at, 1000, on_max_defer, h);
  if (r < 0)
    log_run(LOG_WARNING, NULL, a->name, "cannot arm MaxDefer= (%s): the held wake waits for its conditions to end",
            g_strerror(-r));
}

/* Lets go the wakes of h that may run now, re-arms MaxDefer= for the rest
 * and says why in Deferred. h may be freed. */
static void
evaluate(HeldAgent *h)
{
  WakeHolds *holds = h->holds;
  Daemon *d = holds->daemon;
  Agent *a = daemon_find_agent(d, h->agent);
  if (a == NULL) {
    g_hash_table_remove(holds->agents, h->agent); /* the agent went, and its wakes */
    return;
  }
  guint64 now = shiftd_now_realtime_usec();
  gboolean sleeping = asleep(holds);
  guint configured = a->config->defer_on;
  gboolean unknown = configured && !holds->known;
  guint reasons = configured & holds->holding;
  guint64 first_until = 0;
  g_autoptr(GPtrArray) go = g_ptr_array_new_with_free_func(held_wake_free);
  for (guint i = 0; i < h->wakes->len;) {
    HeldWake *w = g_ptr_array_index(h->wakes, i);
    w->reasons |= reasons;
    guint64 until = 0;
    WakeHoldDecision decision = wake_defer_decide(configured, holds->holding, w->since, a->config->max_defer, now,
                                                  &until);
    if (decision == WAKE_HOLD_KEEP)
      first_until = first_until ? MIN(first_until, until) : until;
    /* a sleeping machine runs nothing: on resume these count again */
    if (sleeping || unknown || decision == WAKE_HOLD_KEEP) {
      i++;
      continue;
    }
    w->expired = decision == WAKE_HOLD_EXPIRED;
    g_ptr_array_add(go, g_ptr_array_steal_index(h->wakes, i));
  }
  g_autofree char *why = h->wakes->len ? wake_defer_describe(reasons) : g_strdup("");
  set_deferred(h, a, why);
  arm_max_defer(h, a, first_until);
  if (h->wakes->len == 0)
    g_hash_table_remove(holds->agents, a->name); /* Deferred is "" by now */
  /* last: letting go may start runs, or hold a wake again */
  for (guint i = 0; i < go->len; i++) {
    HeldWake *w = g_ptr_array_index(go, i);
    g_autofree char *note =
      w->reasons ? wake_defer_note(w->reasons, w->since, now, w->expired, a->config->max_defer) : NULL;
    log_run(LOG_INFO, NULL, a->name, "%s wake let go: %s", w->kind,
            note ? note : w->slept ? "the machine resumed" : "nothing holds it");
    w->release(a, w->slept ? "suspended" : w->source, w->due, note);
  }
}

static void
evaluate_all(WakeHolds *holds)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, holds->agents);
  while (g_hash_table_iter_next(&it, &key, NULL))
    g_ptr_array_add(names, g_strdup(key));
  /* by name: each evaluation may change the table */
  for (guint i = 0; i < names->len; i++) {
    HeldAgent *h = g_hash_table_lookup(holds->agents, g_ptr_array_index(names, i));
    if (h)
      evaluate(h);
  }
}

void
wake_holds_set_conditions(Daemon *d, guint holding)
{
  WakeHolds *holds = d->holds;
  if (holds->known && holds->holding == holding)
    return;
  g_autofree char *was = wake_defer_describe(holds->holding);
  g_autofree char *now = wake_defer_describe(holding);
  if (holds->known)
    log_info("machine conditions: %s (were: %s)", now[0] ? now : "none", was[0] ? was : "none");
  else
    log_info("machine conditions: %s", now[0] ? now : "none");
  holds->known = TRUE;
  holds->holding = holding;
  evaluate_all(holds);
}

static int
on_sleep_doubted(sd_event_source *s, uint64_t usec, void *userdata)
{
  WakeHolds *holds = userdata;
  log_warning("logind said the machine was going to sleep, but it is still awake: running the wakes held for it");
  holds->asleep_since = 0;
  evaluate_all(holds);
  return 0;
}

void
wake_holds_set_asleep(Daemon *d, gboolean sleeping)
{
  WakeHolds *holds = d->holds;
  g_clear_pointer(&holds->sleep_timer, sd_event_source_disable_unref);
  if (!sleeping) {
    holds->asleep_since = 0;
    evaluate_all(holds);
    return;
  }
  holds->asleep_since = shiftd_now_monotonic_usec();
  /* monotonic: it stands still while the machine sleeps, so this fires
   * only if the machine stayed awake */
  int r = sd_event_add_time(d->event, &holds->sleep_timer, CLOCK_MONOTONIC,
                            holds->asleep_since + WAKE_DEFER_SLEEP_TRUST_USEC, 0, on_sleep_doubted, holds);
  if (r < 0) {
    log_warning("cannot arm a timer (%s): wakes are not held while the machine goes to sleep", g_strerror(-r));
    holds->asleep_since = 0;
  }
}

void
wake_holds_reevaluate(Daemon *d)
{
  evaluate_all(d->holds);
}

gboolean
wake_hold(Agent *a, const char *kind, const char *source, guint64 due, WakeHoldRelease release)
{
  WakeHolds *holds = a->daemon->holds;
  HeldAgent *h = g_hash_table_lookup(holds->agents, a->name);
  for (guint i = 0; h && i < h->wakes->len; i++)
    if (g_str_equal(((HeldWake *)g_ptr_array_index(h->wakes, i))->kind, kind))
      return TRUE; /* held once: a wake stands for the ones after it */
  guint64 now = shiftd_now_realtime_usec();
  guint64 since = due && due < now ? due : now;
  gboolean sleeping = asleep(holds);
  /* at start-up, until the services have answered: a missed wake must not
   * slip through on battery */
  gboolean unknown = a->config->defer_on && !holds->known;
  guint64 until = 0;
  WakeHoldDecision decision = wake_defer_decide(a->config->defer_on, holds->holding, since, a->config->max_defer,
                                                now, &until);
  if (!sleeping && !unknown && decision != WAKE_HOLD_KEEP)
    return FALSE;
  HeldWake *w = g_new0(HeldWake, 1);
  w->kind = g_strdup(kind);
  w->source = g_strdup(source);
  w->due = due ? due : now;
  w->since = since;
  w->slept = sleeping;
  w->release = release;
  if (h == NULL) {
    h = g_new0(HeldAgent, 1);
    h->holds = holds;
    h->agent = g_strdup(a->name);
    h->wakes = g_ptr_array_new_with_free_func(held_wake_free);
    h->deferred = g_strdup("");
    g_hash_table_insert(holds->agents, h->agent, h);
  }
  g_ptr_array_add(h->wakes, w);
  if (decision == WAKE_HOLD_KEEP) {
    g_autofree char *why = wake_defer_describe(a->config->defer_on & holds->holding);
    g_autofree char *max = shiftd_time_span_format(a->config->max_defer);
    log_run(LOG_INFO, NULL, a->name, "%s wake held: %s (it runs when that ends, or after MaxDefer=%s)", kind, why,
            max);
  } else if (sleeping) {
    log_run(LOG_INFO, NULL, a->name, "%s wake held: the machine is going to sleep (it runs on resume)", kind);
  } else {
    log_run(LOG_INFO, NULL, a->name, "%s wake held until the machine's state is known", kind);
  }
  evaluate(h); /* Deferred and MaxDefer= */
  return TRUE;
}

const char *
wake_hold_deferred(Agent *a)
{
  HeldAgent *h = a->daemon->holds ? g_hash_table_lookup(a->daemon->holds->agents, a->name) : NULL;
  return h ? h->deferred : "";
}
