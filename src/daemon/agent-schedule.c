#include "agent-schedule.h"

#include <gio/gio.h>

#include "agent-watch.h"
#include "agent-registry.h"
#include "agent.h"
#include "backend.h"
#include "json-util.h"
#include "log.h"
#include "run-engine.h"
#include "run.h"
#include "schedule-rules.h"
#include "shiftd-names.h"
#include "time-span.h"
#include "wake-hold.h"

/* The decisions are schedule-rules.c's; this file carries them out. The
 * time is the process's clock (shiftd_now_realtime_usec()). */

static guint64
compute_next_wake(Agent *a, guint64 now)
{
  guint64 next = 0;
  g_autoptr(GError) error = NULL;
  if (!schedule_next_wake(a->config, a->state, now, &next, &error))
    log_run(LOG_WARNING, NULL, a->name, "OnCalendar=%s: %s", a->config->on_calendar, error->message);
  return next;
}

static void
set_next_wake(Agent *a, guint64 next)
{
  if (a->state->next_wake == next)
    return;
  a->state->next_wake = next;
  agent_state_changed(a, "NextWakeAt", NULL);
}

void
agent_schedule_arm(Agent *a)
{
  Backend *b = a->daemon->backend;
  guint64 now = shiftd_now_realtime_usec();
  if (schedule_start_review_count(a->config, a->state, now))
    agent_state_changed(a, NULL, NULL);
  guint64 next = compute_next_wake(a, now);
  set_next_wake(a, next);
  agent_watch_arm(a);
  if (next == 0) {
    b->disarm_wake(b, a->name);
    return;
  }
  /* Every= repeats on its own; a calendar without quiet hours too (systemd
   * keeps it); anything else is one wake at a time */
  WakeSpec spec = {
    .agent = a->name,
    .next_wake = next,
    .repeat_usec = a->config->every ? a->state->current_interval : 0,
    .on_calendar = !a->config->every && !a->config->quiet_hours.set ? a->config->on_calendar : NULL,
  };
  b->arm_wake(b, &spec);
}

void
agent_schedule_disarm(Agent *a)
{
  a->daemon->backend->disarm_wake(a->daemon->backend, a->name);
  agent_watch_disarm(a);
}

void
agent_schedule_wake_named(Daemon *d, const char *name, const char *source)
{
  Agent *a = daemon_find_agent(d, name);
  if (a == NULL)
    log_run(LOG_DEBUG, NULL, name, "a wake from %s for an agent that is gone", source);
  else
    agent_schedule_wake(a, source);
}

#define REVIEW_RUNS_MAX 20
#define REVIEW_RESULT_MAX 600

/* The review's task: the recent runs' results. The worker adds the notes so
 * far (they are the agent's, in its own directory, for its own user to read)
 * and its result becomes the new notes. */
static char *
review_task(Agent *a)
{
  Daemon *d = a->daemon;
  GString *task = g_string_new(NULL);
  g_string_append_printf(task,
                         "This is the review beat of agent \"%s\". Look back at what its recent runs found and "
                         "consolidate it into the agent's notes: what matters, what is still open, what to watch "
                         "next time. Call finish with the complete new notes: they replace the old ones.\n\n",
                         a->name);
  /* newest first from the store's index on (agent, created_at) */
  ShiftdRunQuery q = { .agent = a->name, .limit = REVIEW_RUNS_MAX, .finished_only = TRUE, .not_trigger = "review",
                       .reader = SHIFTD_RUN_QUERY_ANYONE };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) recent = shiftd_store_list_runs(d->store, &q, &error);
  if (recent == NULL)
    log_run(LOG_WARNING, NULL, a->name, "cannot read its recent runs for the review: %s", error->message);
  if (recent == NULL || recent->len == 0)
    g_string_append(task, "Recent runs: none since the last review.\n");
  else
    g_string_append(task, "Recent runs, newest last:\n");
  for (guint i = 0; recent && i < recent->len; i++) {
    ShiftdRunRow *row = g_ptr_array_index(recent, i);
    g_autoptr(GDateTime) when = g_date_time_new_from_unix_local((gint64)(row->created_at / G_USEC_PER_SEC));
    g_autofree char *stamp = g_date_time_format(when, "%F %R");
    const char *what = row->result[0] ? row->result : row->error[0] ? row->error : row->summary;
    g_autofree char *text = shiftd_utf8_truncate(what, REVIEW_RESULT_MAX);
    g_string_append_printf(task, "- %s (%s, %s): %s\n", row->name, shiftd_run_state_to_string(row->state), stamp,
                           text);
  }
  return g_string_free(task, FALSE);
}

static Run *
start_review(Agent *a, guint64 now)
{
  g_autofree char *task = review_task(a);
  g_autoptr(GError) error = NULL;
  Run *run = engine_start_run(a->daemon, a, task, SHIFTD_TRIGGER_REVIEW, agent_run_owner(a), NULL, NULL, NULL, &error);
  if (run == NULL)
    log_run(LOG_WARNING, NULL, a->name, "cannot start the review: %s", error->message);
  else
    log_run(LOG_INFO, run->pending->name, a->name, "review beat");
  schedule_review_started(a->state, now);
  agent_state_changed(a, "NextWakeAt", NULL);
  agent_schedule_arm(a);
  return run;
}

/* Why a wake that fell due while nobody could run it runs late. */
static const char *
missed_because(const char *source)
{
  if (g_str_equal(source, "missed"))
    return "shiftd was not running";
  if (g_str_equal(source, "suspended"))
    return "the machine was suspended";
  return NULL;
}

static void wake(Agent *a, const char *source, guint64 held_due, const char *held_note);

/* A held wake is let go (wake-hold.c): it is due now. */
static void
wake_released(Agent *a, const char *source, guint64 due, const char *note)
{
  wake(a, source, due, note ? note : "");
}

/* held_note: NULL for a wake as it fires; else a held one let go, with the
 * note saying how long it was held ("" when only a sleep held it). */
static void
wake(Agent *a, const char *source, guint64 held_due, const char *held_note)
{
  Daemon *d = a->daemon;
  guint64 now = shiftd_now_realtime_usec();
  if (d->stopping)
    return;
  gboolean released = held_note != NULL;
  guint64 due = released ? held_due : a->state->next_wake;
  /* a held wake is due now, wherever a manual run moved the schedule since */
  ShiftdAgentState state = *a->state;
  if (released)
    state.next_wake = now;
  guint64 defer_to = 0;
  Run *live = agent_live_run(a);
  ScheduleWake what = schedule_wake_decide(a->config, &state, now, live != NULL, &defer_to);
  switch (what) {
  case SCHEDULE_WAKE_NONE:
    return;
  case SCHEDULE_WAKE_EARLY:
    log_run(LOG_DEBUG, NULL, a->name, "wake from %s before it is due; re-arming", source);
    agent_schedule_arm(a);
    return;
  case SCHEDULE_WAKE_DEFER:
    log_run(LOG_INFO, NULL, a->name, "wake deferred to the end of the quiet hours");
    set_next_wake(a, defer_to);
    agent_schedule_arm(a);
    return;
  case SCHEDULE_WAKE_SKIP: {
    g_autofree char *text = g_strdup_printf("scheduled wake of %s skipped: this run is still %s", a->name,
                                            shiftd_run_state_to_string(live->pending->state));
    run_note(live, text);
    log_run(LOG_INFO, live->pending->name, a->name, "%s", text);
    set_next_wake(a, schedule_wake_after(a->config, a->state, now));
    agent_schedule_arm(a);
    return;
  }
  case SCHEDULE_WAKE_BUDGET: {
    /* no run to hold a note: the journal says it, and NextWakeAt shows it */
    log_run(LOG_NOTICE, NULL, a->name,
            "wake skipped: TokensPerDay=%" G_GUINT64_FORMAT " reached (%" G_GUINT64_FORMAT
            " used today); next wake after midnight", a->config->tokens_per_day,
            schedule_tokens_today(a->state, now));
    set_next_wake(a, MAX(schedule_wake_after(a->config, a->state, now), schedule_next_midnight(now)));
    agent_schedule_arm(a);
    return;
  }
  case SCHEDULE_WAKE_REVIEW:
  case SCHEDULE_WAKE_RUN:
    break;
  }
  /* on battery, metered, power saver, going to sleep: later */
  if (!released && wake_hold(a, "schedule", source, due, wake_released))
    return;

  Run *run = NULL;
  if (what == SCHEDULE_WAKE_REVIEW) {
    run = start_review(a, now);
  } else {
    g_autoptr(GError) error = NULL;
    run = engine_start_run(d, a, a->config->instructions, SHIFTD_TRIGGER_SCHEDULE, agent_run_owner(a), NULL, NULL,
                           NULL, &error);
    if (run == NULL)
      log_run(LOG_WARNING, NULL, a->name, "cannot start the scheduled run: %s", error->message);
  }
  if (run != NULL) {
    if (held_note && held_note[0])
      run_note(run, held_note);
    const char *because = missed_because(source);
    if (because && due) {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local((gint64)(due / G_USEC_PER_SEC));
      g_autofree char *stamp = g_date_time_format(when, "%F %T");
      g_autofree char *text = g_strdup_printf("this wake was due at %s, while %s", stamp, because);
      run_note(run, text);
    }
  }
  if (what == SCHEDULE_WAKE_REVIEW)
    return; /* start_review armed the next */
  a->state->next_wake = schedule_wake_after(a->config, a->state, now);
  agent_state_changed(a, "NextWakeAt", NULL);
  agent_schedule_arm(a);
}

void
agent_schedule_wake(Agent *a, const char *source)
{
  wake(a, source, 0, NULL);
}

void
agent_schedule_resumed(Daemon *d)
{
  wake_holds_set_asleep(d, FALSE);
  /* wakes whose timers have not fired yet (or fired before we heard the
   * machine was going to sleep): once each, with the missed-wake note */
  guint64 now = shiftd_now_realtime_usec();
  g_autoptr(GPtrArray) agents = agent_registry_sorted(d);
  for (guint i = 0; i < agents->len; i++) {
    Agent *a = g_ptr_array_index(agents, i);
    if (schedule_wake_was_missed(a->config, a->state, now))
      agent_schedule_wake(a, "suspended");
  }
}

void
agent_schedule_run_finished(Run *run)
{
  Agent *a = daemon_find_agent(run->daemon, run->published->agent);
  ShiftdRunState state = run->published->state;
  if (a == NULL)
    return;
  agent_watch_run_finished(a);
  ShiftdAgentState *s = a->state;
  if (!schedule_run_ended(a->config, s, run->published->trigger, state, shiftd_now_realtime_usec()))
    return;
  log_run(LOG_INFO, run->published->name, a->name, "%s: idle streak %u, next interval %" G_GUINT64_FORMAT " s",
          shiftd_run_state_to_string(state), s->idle_streak, s->current_interval / G_USEC_PER_SEC);
  agent_state_changed(a, "IdleStreak", "CurrentInterval", "NextWakeAt", NULL);
  agent_schedule_arm(a);
}

void
agent_schedule_start(Daemon *d)
{
  guint64 now = shiftd_now_realtime_usec();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, d->agents);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    Agent *a = value;
    agent_watch_arm(a);
    if (schedule_wake_was_missed(a->config, a->state, now))
      agent_schedule_wake(a, "missed");
    else
      agent_schedule_arm(a);
  }
}
