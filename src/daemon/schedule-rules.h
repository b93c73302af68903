/* The schedule's decisions as functions of an agent's configuration, its
 * persisted state and the time: when it wakes next, how idle wakes back off,
 * what quiet hours defer, when the review beat is due, which wake was missed
 * while shiftd was down; and two more rules of time, a question's deadline
 * and the age past which finished runs are pruned. No bus, no event loop and
 * no clock of their own: the caller says what time it is (agent-schedule.c
 * from the process's clock, the unit tests from a fake one). Local times are
 * in the zone TZ names. */
#pragma once

#include <glib.h>

#include "agent-file.h"
#include "run-row.h"

/* A timer may fire this much before the wake it was armed for (accuracy). */
#define SCHEDULE_EARLY_TOLERANCE_USEC (500 * G_GUINT64_CONSTANT(1000))
/* A wake found this much overdue at start-up was missed while shiftd was down. */
#define SCHEDULE_MISSED_GRACE_USEC (2 * G_USEC_PER_SEC)

/* Every= or OnCalendar=: it wakes by itself. */
gboolean schedule_has_timer(const AgentConfig *config);

/* --- quiet hours --- */

/* Whether the local clock shows a minute inside the window at `at`: from
 * its start (inside) to its end (outside), across midnight when it ends
 * before it starts. */
gboolean schedule_in_quiet_hours(const QuietHours *quiet, guint64 at);
/* The first moment at or after `at` outside the window: `at` itself, or the
 * moment the local clock first shows the window's end (on a daylight saving
 * night, the jump past it). 0 (no wake) stays 0. */
guint64 schedule_after_quiet_hours(const QuietHours *quiet, guint64 at);

/* --- the next wake --- */

/* The calendar's first time strictly after `after`; FALSE when the spec is
 * bad or nothing matches within five years. */
gboolean schedule_next_calendar(const char *spec, guint64 after, guint64 *next, GError **error);
/* When the review beat is due: one ReviewEvery= after the last review; 0
 * without ReviewEvery= or before the first beat is counted from. */
guint64 schedule_review_due(const AgentConfig *config, const ShiftdAgentState *state);
/* Starts the review beat's count (the first review comes one beat after the
 * agent does); TRUE when it changed the state. */
gboolean schedule_start_review_count(const AgentConfig *config, ShiftdAgentState *state, guint64 now);
/* The wake to arm: the one the state holds, or one CurrentInterval from now
 * (Every=) or the calendar's next time (OnCalendar=) when there is none or
 * that is sooner (the schedule changed); an earlier review beat first; moved
 * past the quiet hours. 0: none (disabled, no schedule). FALSE (and 0) when
 * the calendar has no next time and the state holds no wake. */
gboolean schedule_next_wake(const AgentConfig *config, const ShiftdAgentState *state, guint64 now,
                            guint64 *next, GError **error);
/* The wake after one that ran or was skipped at `now`: one CurrentInterval
 * later or the calendar's next time, moved past the quiet hours; 0 when the
 * calendar has none. */
guint64 schedule_wake_after(const AgentConfig *config, const ShiftdAgentState *state, guint64 now);

/* --- a wake-up fires --- */

typedef enum {
  SCHEDULE_WAKE_NONE,   /* disabled or no schedule: nothing */
  SCHEDULE_WAKE_EARLY,  /* before it is due: arm again */
  SCHEDULE_WAKE_DEFER,  /* inside the quiet hours: at their end */
  SCHEDULE_WAKE_SKIP,   /* its last run is still live: a note, then the next */
  SCHEDULE_WAKE_BUDGET, /* TokensPerDay= is spent: skipped, the next after midnight */
  SCHEDULE_WAKE_REVIEW, /* the review beat */
  SCHEDULE_WAKE_RUN,    /* a scheduled run */
} ScheduleWake;

const char *schedule_wake_to_string(ScheduleWake wake);
/* What a wake-up at `now` does; live_run: a run of the agent is queued,
 * running or waiting. *defer_to gets the end of the quiet hours for
 * SCHEDULE_WAKE_DEFER. */
ScheduleWake schedule_wake_decide(const AgentConfig *config, const ShiftdAgentState *state, guint64 now,
                                  gboolean live_run, guint64 *defer_to);
/* A review started at `now`: the next beat counts from here, and the next
 * wake is computed afresh. */
void schedule_review_started(ShiftdAgentState *state, guint64 now);
/* At start-up: its wake passed while shiftd was down. It happens once, now;
 * the wakes after it are counted from now, however many were missed. */
gboolean schedule_wake_was_missed(const AgentConfig *config, const ShiftdAgentState *state, guint64 now);

/* --- idle backoff --- */

/* CurrentInterval after an idle wake: doubled, up to MaxInterval. */
guint64 schedule_backed_off_interval(guint64 current, guint64 max_interval);
/* A run of the agent ended in final_state at `now`. idle (no work) raises
 * IdleStreak and backs off; done (work) resets both to Every=; an Every=
 * agent's next wake is then one CurrentInterval after its last run, not
 * before now. Reviews (they write the notes) and failed or cancelled runs
 * (they say nothing about the work out there) change nothing: FALSE. */
gboolean schedule_run_ended(const AgentConfig *config, ShiftdAgentState *state, ShiftdRunTrigger trigger,
                            ShiftdRunState final_state, guint64 now);

/* --- token budgets --- */

/* The tokens its runs used on the local day holding `now`: the count the
 * state holds if it is of that day, else 0 (the day turned). */
guint64 schedule_tokens_today(const ShiftdAgentState *state, guint64 now);
/* A reply's tokens counted: to the total and to today's, which starts
 * afresh when the day turned since it was last counted. */
void schedule_tokens_add(ShiftdAgentState *state, guint64 tokens, guint64 now);
/* The local midnight that ends the day holding `now` (23 or 25 hours after
 * the day began on daylight saving days). */
guint64 schedule_next_midnight(guint64 now);
/* TokensPerDay= is set and today's count has reached it: no run of the
 * agent before the returned time, the next local midnight; 0: not spent. */
guint64 schedule_budget_held_until(const AgentConfig *config, const ShiftdAgentState *state, guint64 now);

/* --- decisions and retention --- */

/* A question asked at `now` waits until the returned time: its own timeout
 * when it gave one (> 0), else the agent's [Decisions] Timeout=; 0 when
 * neither says (it waits until answered). */
guint64 schedule_decision_deadline(gint64 question_timeout_usec, guint64 agent_timeout_usec, guint64 now);
/* [Store] KeepFinished=: runs finished before the returned time are pruned
 * (the store's finished_before); 0 prunes nothing (infinity). */
guint64 schedule_retention_cutoff(guint64 keep_usec, guint64 now);
gboolean schedule_retention_prunes(guint64 finished_at, guint64 keep_usec, guint64 now);
