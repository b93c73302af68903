#include "agent-schedule.h"

#include <gio/gio.h>
#include <time.h>

#include "calendar.h"

#include "agent.h"
#include "backend.h"
#include "json-util.h"
#include "log.h"
#include "run-engine.h"
#include "run.h"
#include "shiftd-names.h"
#include "time-span.h"

/* A timer may fire this much before the wake it was armed for (accuracy). */
#define EARLY_TOLERANCE_USEC (500 * 1000)
/* A wake found this much overdue at start-up was missed while shiftd was down. */
#define MISSED_GRACE_USEC (2 * G_USEC_PER_SEC)

/* Minutes after local midnight. */
static guint
local_minute(guint64 usec, struct tm *tm_out)
{
  time_t t = (time_t)(usec / G_USEC_PER_SEC);
  struct tm tm;
  localtime_r(&t, &tm);
  if (tm_out)
    *tm_out = tm;
  return (guint)(tm.tm_hour * 60 + tm.tm_min);
}

static gboolean
in_window(const QuietHours *q, guint minute)
{
  if (q->start_minute < q->end_minute)
    return minute >= q->start_minute && minute < q->end_minute;
  return minute >= q->start_minute || minute < q->end_minute; /* crosses midnight */
}

/* The first moment at or after `at` outside the agent's quiet hours. */
static guint64
after_quiet_hours(Agent *a, guint64 at)
{
  const QuietHours *q = &a->config->quiet_hours;
  struct tm tm;
  if (!q->set || !in_window(q, local_minute(at, &tm)))
    return at;
  /* the window's end, today or tomorrow, at local time */
  tm.tm_hour = (int)(q->end_minute / 60);
  tm.tm_min = (int)(q->end_minute % 60);
  tm.tm_sec = 0;
  tm.tm_isdst = -1;
  time_t end = mktime(&tm);
  if ((guint64)end * G_USEC_PER_SEC <= at) {
    tm.tm_mday += 1;
    tm.tm_isdst = -1;
    end = mktime(&tm);
  }
  return (guint64)end * G_USEC_PER_SEC;
}

static gboolean
next_calendar_wake(const char *spec, guint64 after, guint64 *next, GError **error)
{
  g_autoptr(ShiftdCalendar) cal = shiftd_calendar_parse(spec, error);
  if (cal == NULL)
    return FALSE;
  if (!shiftd_calendar_next(cal, after, next)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no time matches within five years");
    return FALSE;
  }
  return TRUE;
}

static guint64
review_due_at(Agent *a)
{
  if (!a->config->review_every || !a->state->last_review_at)
    return 0;
  return a->state->last_review_at + a->config->review_every;
}

static guint64
compute_next_wake(Agent *a, guint64 now)
{
  if (!a->state->enabled || !agent_has_schedule(a))
    return 0;
  guint64 next = a->state->next_wake;
  if (a->config->every) {
    if (next == 0)
      next = now + a->state->current_interval;
  } else if (next == 0) {
    g_autoptr(GError) error = NULL;
    if (!next_calendar_wake(a->config->on_calendar, now, &next, &error)) {
      log_run(LOG_WARNING, NULL, a->name, "OnCalendar=%s: %s", a->config->on_calendar, error->message);
      return 0;
    }
  }
  guint64 review = review_due_at(a);
  if (review && next && review < next)
    next = review;
  return after_quiet_hours(a, next);
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
  if (a->config->review_every && a->state->last_review_at == 0) {
    /* the first review comes one beat after the agent does */
    a->state->last_review_at = now;
    agent_state_changed(a, NULL, NULL);
  }
  guint64 next = compute_next_wake(a, now);
  set_next_wake(a, next);
  if (next == 0)
    b->disarm_wake(b, a);
  else
    b->arm_wake(b, a);
}

void
agent_schedule_disarm(Agent *a)
{
  a->daemon->backend->disarm_wake(a->daemon->backend, a);
}

static void
note_on_run(Run *run, const char *text)
{
  JsonObject *data = json_object_new();
  json_object_set_string_member(data, "text", text);
  RunTxn *t = run_txn_begin(run);
  run_txn_event(t, "note", data);
  run_txn_commit(t, NULL, NULL);
}

/* The interval after this wake; OnCalendar agents ask the calendar. */
static guint64
after_this_wake(Agent *a, guint64 now)
{
  if (a->config->every)
    return now + a->state->current_interval;
  guint64 next = 0;
  g_autoptr(GError) error = NULL;
  if (!next_calendar_wake(a->config->on_calendar, now, &next, &error))
    return 0;
  return next;
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
  g_autoptr(GPtrArray) recent = g_ptr_array_new();
  for (guint i = d->run_order->len; i > 0 && recent->len < REVIEW_RUNS_MAX; i--) {
    Run *run = g_ptr_array_index(d->run_order, i - 1);
    ShiftdRunRow *row = run->published;
    if (row && g_str_equal(row->agent, a->name) && shiftd_run_state_is_final(row->state) &&
        !g_str_equal(row->trigger, "review"))
      g_ptr_array_add(recent, run);
  }
  if (recent->len == 0)
    g_string_append(task, "Recent runs: none since the last review.\n");
  else
    g_string_append(task, "Recent runs, newest last:\n");
  for (guint i = recent->len; i > 0; i--) {
    ShiftdRunRow *row = ((Run *)g_ptr_array_index(recent, i - 1))->published;
    g_autoptr(GDateTime) when = g_date_time_new_from_unix_local((gint64)(row->created_at / G_USEC_PER_SEC));
    g_autofree char *stamp = g_date_time_format(when, "%F %R");
    const char *what = row->result[0] ? row->result : row->error[0] ? row->error : row->summary;
    g_autofree char *text = shiftd_utf8_truncate(what, REVIEW_RESULT_MAX);
    g_string_append_printf(task, "- %s (%s, %s): %s\n", row->name, row->state, stamp, text);
  }
  return g_string_free(task, FALSE);
}

static void
start_review(Agent *a, guint64 now)
{
  g_autofree char *task = review_task(a);
  g_autoptr(GError) error = NULL;
  Run *run = engine_start_run(a->daemon, a, task, "review", agent_run_owner(a), NULL, NULL, NULL, &error);
  if (run == NULL)
    log_run(LOG_WARNING, NULL, a->name, "cannot start the review: %s", error->message);
  else
    log_run(LOG_INFO, run->pending->name, a->name, "review beat");
  a->state->last_review_at = now;
  a->state->next_wake = 0;
  agent_state_changed(a, "NextWakeAt", NULL);
  agent_schedule_arm(a);
}

void
agent_schedule_wake(Agent *a, const char *source)
{
  Daemon *d = a->daemon;
  guint64 now = shiftd_now_realtime_usec();
  if (d->stopping || !a->state->enabled || !agent_has_schedule(a))
    return;
  guint64 due = a->state->next_wake;
  if (due && now + EARLY_TOLERANCE_USEC < due) {
    log_run(LOG_DEBUG, NULL, a->name, "wake from %s before it is due; re-arming", source);
    agent_schedule_arm(a);
    return;
  }
  guint64 allowed = after_quiet_hours(a, now);
  if (allowed > now) {
    log_run(LOG_INFO, NULL, a->name, "wake deferred to the end of the quiet hours");
    set_next_wake(a, allowed);
    agent_schedule_arm(a);
    return;
  }

  Run *live = agent_live_run(a);
  if (live) {
    g_autofree char *text = g_strdup_printf("scheduled wake of %s skipped: this run is still %s", a->name,
                                            live->pending->state);
    note_on_run(live, text);
    log_run(LOG_INFO, live->pending->name, a->name, "%s", text);
    set_next_wake(a, after_quiet_hours(a, after_this_wake(a, now)));
    agent_schedule_arm(a);
    return;
  }

  guint64 review = review_due_at(a);
  if (review && now + EARLY_TOLERANCE_USEC >= review) {
    start_review(a, now);
    return;
  }

  g_autoptr(GError) error = NULL;
  Run *run = engine_start_run(d, a, a->config->instructions, "schedule", agent_run_owner(a), NULL, NULL, NULL, &error);
  if (run == NULL) {
    log_run(LOG_WARNING, NULL, a->name, "cannot start the scheduled run: %s", error->message);
  } else {
    if (g_str_equal(source, "missed")) {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local((gint64)(due / G_USEC_PER_SEC));
      g_autofree char *stamp = g_date_time_format(when, "%F %T");
      g_autofree char *text = g_strdup_printf("this wake was due at %s, while shiftd was not running", stamp);
      note_on_run(run, text);
    }
  }
  a->state->next_wake = after_quiet_hours(a, after_this_wake(a, now));
  agent_state_changed(a, "NextWakeAt", NULL);
  agent_schedule_arm(a);
}

void
agent_schedule_run_finished(Run *run)
{
  Agent *a = daemon_find_agent(run->daemon, run->published->agent);
  const char *state = run->published->state;
  if (a == NULL || !agent_has_schedule(a))
    return;
  if (g_str_equal(run->published->trigger, "review"))
    return; /* the worker wrote its result into the notes */
  ShiftdAgentState *s = a->state;
  guint64 base = a->config->every;
  if (g_str_equal(state, SHIFTD_STATE_IDLE)) {
    s->idle_streak++;
    if (base)
      s->current_interval = MIN(s->current_interval > G_MAXUINT64 / 2 ? G_MAXUINT64 : s->current_interval * 2,
                                a->config->max_interval);
  } else if (g_str_equal(state, SHIFTD_STATE_DONE)) {
    s->idle_streak = 0;
    if (base)
      s->current_interval = base;
  } else {
    return; /* failed or cancelled: says nothing about the work out there */
  }
  if (base && s->last_run_at) {
    guint64 now = shiftd_now_realtime_usec();
    guint64 next = s->last_run_at + s->current_interval;
    s->next_wake = after_quiet_hours(a, MAX(next, now));
  }
  log_run(LOG_INFO, run->published->name, a->name, "%s: idle streak %u, next interval %" G_GUINT64_FORMAT " s", state,
          s->idle_streak, s->current_interval / G_USEC_PER_SEC);
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
    if (a->state->enabled && agent_has_schedule(a) && a->state->next_wake &&
        a->state->next_wake + MISSED_GRACE_USEC < now)
      agent_schedule_wake(a, "missed");
    else
      agent_schedule_arm(a);
  }
}
