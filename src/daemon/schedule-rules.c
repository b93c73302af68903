#include "schedule-rules.h"

#include <gio/gio.h>

#include "calendar.h"
#include "shiftd-clock.h"
#include "shiftd-names.h"
#include "time-span.h"

#define USEC_PER_MINUTE (60 * G_USEC_PER_SEC)
#define MINUTES_PER_DAY (24 * 60)

gboolean
schedule_has_timer(const AgentConfig *c)
{
  return c->every != 0 || c->on_calendar != NULL;
}

/* --- quiet hours --- */

static gboolean
in_window(const QuietHours *q, guint minute)
{
  if (q->start_minute < q->end_minute)
    return minute >= q->start_minute && minute < q->end_minute;
  return minute >= q->start_minute || minute < q->end_minute; /* crosses midnight */
}

gboolean
schedule_in_quiet_hours(const QuietHours *q, guint64 at)
{
  return q->set && in_window(q, shiftd_local_minute_of_day(at));
}

guint64
schedule_after_quiet_hours(const QuietHours *q, guint64 at)
{
  /* 0 is "no wake", not a time in 1970 that may fall in the window */
  if (at == 0 || !q->set)
    return at;
  guint64 t = at;
  /* Counting the window's minutes left on the local clock is right unless
   * a daylight saving change comes first; from the change count again.
   * (mktime of the end time guesses wrong there: on the night the clock
   * falls back it may pick the other 02:30, a day later.) */
  for (int i = 0; i < 4 && schedule_in_quiet_hours(q, t); i++) {
    guint minute = shiftd_local_minute_of_day(t);
    /* zones' offsets are whole minutes, so UTC minutes start with local ones */
    guint64 minute_start = t - t % USEC_PER_MINUTE;
    guint64 left = (q->end_minute + MINUTES_PER_DAY - minute) % MINUTES_PER_DAY;
    guint64 end = minute_start + left * USEC_PER_MINUTE;
    guint64 change = shiftd_local_offset_change(t, end);
    if (change == 0)
      return end;
    t = change;
  }
  return t;
}

/* --- the next wake --- */

gboolean
schedule_next_calendar(const char *spec, guint64 after, guint64 *next, GError **error)
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

guint64
schedule_review_due(const AgentConfig *c, const ShiftdAgentState *s)
{
  if (!c->review_every || !s->last_review_at)
    return 0;
  return s->last_review_at + c->review_every;
}

gboolean
schedule_start_review_count(const AgentConfig *c, ShiftdAgentState *s, guint64 now)
{
  if (!c->review_every || s->last_review_at != 0)
    return FALSE;
  s->last_review_at = now;
  return TRUE;
}

gboolean
schedule_next_wake(const AgentConfig *c, const ShiftdAgentState *s, guint64 now, guint64 *next, GError **error)
{
  *next = 0;
  if (!s->enabled || !schedule_has_timer(c))
    return TRUE;
  guint64 at = s->next_wake, fresh = 0;
  if (c->every) {
    fresh = now + s->current_interval;
  } else {
    g_autoptr(GError) local = NULL;
    if (!schedule_next_calendar(c->on_calendar, now, &fresh, &local) && at == 0) {
      g_propagate_error(error, g_steal_pointer(&local));
      return FALSE;
    }
  }
  /* A wake this schedule set is never later than the one it would set now;
   * one that is was set by an older schedule (the file changed, then a
   * reload or a restart) and would keep a shorter Every= waiting out the
   * old interval. Except one a spent TokensPerDay= put after midnight. */
  guint64 held = schedule_budget_held_until(c, s, now);
  gboolean held_back = held && at >= held;
  if (fresh && (at == 0 || fresh < at) && !held_back)
    at = fresh;
  guint64 review = schedule_review_due(c, s);
  if (review && at && review < at && !held_back)
    at = review;
  *next = schedule_after_quiet_hours(&c->quiet_hours, at);
  return TRUE;
}

guint64
schedule_wake_after(const AgentConfig *c, const ShiftdAgentState *s, guint64 now)
{
  guint64 at = 0;
  if (c->every)
    at = now + s->current_interval;
  else if (!schedule_next_calendar(c->on_calendar, now, &at, NULL))
    at = 0;
  return schedule_after_quiet_hours(&c->quiet_hours, at);
}

/* --- a wake-up fires --- */

const char *
schedule_wake_to_string(ScheduleWake wake)
{
  static const char *const names[] = {
    [SCHEDULE_WAKE_NONE] = "none",     [SCHEDULE_WAKE_EARLY] = "early",   [SCHEDULE_WAKE_DEFER] = "defer",
    [SCHEDULE_WAKE_SKIP] = "skip",     [SCHEDULE_WAKE_BUDGET] = "budget", [SCHEDULE_WAKE_REVIEW] = "review",
    [SCHEDULE_WAKE_RUN] = "run",
  };
  return (guint)wake < G_N_ELEMENTS(names) ? names[wake] : NULL;
}

ScheduleWake
schedule_wake_decide(const AgentConfig *c, const ShiftdAgentState *s, guint64 now, gboolean live_run,
                     guint64 *defer_to)
{
  *defer_to = 0;
  if (!s->enabled || !schedule_has_timer(c))
    return SCHEDULE_WAKE_NONE;
  guint64 due = s->next_wake;
  if (due && now + SCHEDULE_EARLY_TOLERANCE_USEC < due)
    return SCHEDULE_WAKE_EARLY;
  guint64 allowed = schedule_after_quiet_hours(&c->quiet_hours, now);
  if (allowed > now) {
    *defer_to = allowed;
    return SCHEDULE_WAKE_DEFER;
  }
  if (live_run)
    return SCHEDULE_WAKE_SKIP;
  if (schedule_budget_held_until(c, s, now))
    return SCHEDULE_WAKE_BUDGET;
  guint64 review = schedule_review_due(c, s);
  if (review && now + SCHEDULE_EARLY_TOLERANCE_USEC >= review)
    return SCHEDULE_WAKE_REVIEW;
  return SCHEDULE_WAKE_RUN;
}

void
schedule_review_started(ShiftdAgentState *s, guint64 now)
{
  s->last_review_at = now;
  s->next_wake = 0;
}

gboolean
schedule_wake_was_missed(const AgentConfig *c, const ShiftdAgentState *s, guint64 now)
{
  return s->enabled && schedule_has_timer(c) && s->next_wake && s->next_wake + SCHEDULE_MISSED_GRACE_USEC < now;
}

/* --- idle backoff --- */

guint64
schedule_backed_off_interval(guint64 current, guint64 max_interval)
{
  return MIN(current > G_MAXUINT64 / 2 ? G_MAXUINT64 : current * 2, max_interval);
}

gboolean
schedule_run_ended(const AgentConfig *c, ShiftdAgentState *s, ShiftdRunTrigger trigger, ShiftdRunState final_state,
                   guint64 now)
{
  if (!schedule_has_timer(c) || trigger == SHIFTD_TRIGGER_REVIEW)
    return FALSE;
  guint64 base = c->every;
  if (final_state == SHIFTD_RUN_IDLE) {
    s->idle_streak++;
    if (base)
      s->current_interval = schedule_backed_off_interval(s->current_interval, c->max_interval);
  } else if (final_state == SHIFTD_RUN_DONE) {
    s->idle_streak = 0;
    if (base)
      s->current_interval = base;
  } else {
    return FALSE;
  }
  if (base && s->last_run_at)
    s->next_wake = schedule_after_quiet_hours(&c->quiet_hours, MAX(s->last_run_at + s->current_interval, now));
  return TRUE;
}

/* --- token budgets --- */

guint64
schedule_tokens_today(const ShiftdAgentState *s, guint64 now)
{
  return s->tokens_day == shiftd_local_day_start(now) ? s->tokens_today : 0;
}

void
schedule_tokens_add(ShiftdAgentState *s, guint64 tokens, guint64 now)
{
  guint64 day = shiftd_local_day_start(now);
  if (s->tokens_day != day) {
    s->tokens_day = day;
    s->tokens_today = 0;
  }
  s->tokens_today = tokens > G_MAXUINT64 - s->tokens_today ? G_MAXUINT64 : s->tokens_today + tokens;
  s->tokens_total = tokens > G_MAXUINT64 - s->tokens_total ? G_MAXUINT64 : s->tokens_total + tokens;
}

guint64
schedule_next_midnight(guint64 now)
{
  /* a day is 23 to 25 hours: 36 after its start is always in the next one */
  return shiftd_local_day_start(shiftd_local_day_start(now) + 36 * 3600 * SHIFTD_USEC_PER_SEC);
}

guint64
schedule_budget_held_until(const AgentConfig *c, const ShiftdAgentState *s, guint64 now)
{
  if (c->tokens_per_day == 0 || schedule_tokens_today(s, now) < c->tokens_per_day)
    return 0;
  return schedule_next_midnight(now);
}

/* --- decisions and retention --- */

guint64
schedule_decision_deadline(gint64 question_timeout_usec, guint64 agent_timeout_usec, guint64 now)
{
  guint64 timeout = question_timeout_usec > 0 ? (guint64)question_timeout_usec : agent_timeout_usec;
  if (timeout == 0)
    return 0;
  return timeout > G_MAXUINT64 - now ? G_MAXUINT64 : now + timeout;
}

guint64
schedule_retention_cutoff(guint64 keep_usec, guint64 now)
{
  if (keep_usec == SHIFTD_USEC_INFINITY || keep_usec >= now)
    return 0;
  return now - keep_usec;
}

gboolean
schedule_retention_prunes(guint64 finished_at, guint64 keep_usec, guint64 now)
{
  return finished_at > 0 && finished_at < schedule_retention_cutoff(keep_usec, now);
}
