/* The schedule's rules with a fake clock: every case is a few function
 * calls, so days of schedule pass in microseconds, and daylight saving
 * nights are a TZ away. */
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent-file.h"
#include "schedule-rules.h"
#include "shiftd-clock.h"
#include "shiftd-names.h"
#include "time-span.h"
#include "test-tz.h"

#define S SHIFTD_USEC_PER_SEC
#define MIN_ (60 * S)
#define HOUR (3600 * S)
#define DAY (24 * HOUR)

static char *
format_usec(guint64 usec)
{
  time_t t = (time_t)(usec / S);
  struct tm tm;
  localtime_r(&t, &tm);
  char local[64];
  strftime(local, sizeof local, "%F %T %Z", &tm);
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc((gint64)(usec / S));
  g_autofree char *u = g_date_time_format(dt, "%F %T UTC");
  return g_strdup_printf("%s (%s) +%" G_GUINT64_FORMAT "us", u, local, usec % S);
}

#define assert_time(got, expect)                                                                                \
  G_STMT_START                                                                                                 \
  {                                                                                                            \
    guint64 g_ = (got), e_ = (expect);                                                                         \
    if (g_ != e_) {                                                                                            \
      g_autofree char *gs_ = format_usec(g_), *es_ = format_usec(e_);                                          \
      g_error("%s:%d: %s is %s, expected %s", __FILE__, __LINE__, #got, gs_, es_);                            \
    }                                                                                                          \
  }                                                                                                            \
  G_STMT_END


/* An agent file's [Schedule] (and more), parsed as shiftd parses it. */
static AgentConfig *
config_of(const char *sections)
{
  g_autofree char *text = g_strdup_printf("[Agent]\nInstructions=check\n%s", sections);
  g_autoptr(GError) error = NULL;
  AgentConfig *c = agent_config_parse("/agents.d/test.agent", text, strlen(text), &error);
  g_assert_no_error(error);
  return c;
}

/* A new agent's state, as agent_new() makes it. */
static ShiftdAgentState *
fresh_state(const AgentConfig *c)
{
  ShiftdAgentState *s = g_new0(ShiftdAgentState, 1);
  s->name = g_strdup(c->name);
  s->enabled = TRUE;
  s->last_run = g_strdup("");
  s->current_interval = c->every;
  return s;
}

static QuietHours
quiet(guint start_h, guint start_m, guint end_h, guint end_m)
{
  return (QuietHours){ .set = TRUE, .start_minute = start_h * 60 + start_m, .end_minute = end_h * 60 + end_m };
}

/* --- a daemon in miniature: the calls agent-schedule.c makes, in the order
 * it makes them, with runs that take a set time --- */

typedef struct {
  AgentConfig *config;
  ShiftdAgentState *state;
  ShiftdClock *clock;
  guint64 start;
  guint64 run_usec;       /* how long each run takes */
  ShiftdRunState ending;  /* how each run ends */
  guint64 run_end_at;     /* the live run's end; 0: none */
  ShiftdRunTrigger run_trigger;
  GString *log;           /* "+TIME action" per line, TIME in units since start */
  guint64 log_unit;
} Sim;

static void
sim_arm(Sim *sim)
{
  guint64 now = shiftd_clock_realtime_usec(sim->clock);
  schedule_start_review_count(sim->config, sim->state, now);
  guint64 next = 0;
  if (!schedule_next_wake(sim->config, sim->state, now, &next, NULL))
    next = 0;
  sim->state->next_wake = next;
}

static void
sim_init(Sim *sim, const char *sections, guint64 start)
{
  *sim = (Sim){ 0 };
  sim->config = config_of(sections);
  sim->state = fresh_state(sim->config);
  sim->clock = shiftd_clock_new_fake(start, 42 * S);
  sim->start = start;
  sim->run_usec = S / 10;
  sim->ending = SHIFTD_RUN_DONE;
  sim->log = g_string_new(NULL);
  sim->log_unit = S;
  sim_arm(sim);
}

static void
sim_clear(Sim *sim)
{
  agent_config_free(sim->config);
  shiftd_agent_state_free(sim->state);
  shiftd_clock_free(sim->clock);
  g_string_free(sim->log, TRUE);
}

static void
sim_log(Sim *sim, const char *what)
{
  guint64 at = shiftd_clock_realtime_usec(sim->clock) - sim->start;
  g_string_append_printf(sim->log, "+%g %s\n", (double)at / (double)sim->log_unit, what);
}

static void
sim_start_run(Sim *sim, ShiftdRunTrigger trigger)
{
  guint64 now = shiftd_clock_realtime_usec(sim->clock);
  sim->state->last_run_at = now; /* every front door counts as the last run */
  sim->run_end_at = now + sim->run_usec;
  sim->run_trigger = trigger;
}

/* agent_schedule_wake() */
static ScheduleWake
sim_wake(Sim *sim)
{
  guint64 now = shiftd_clock_realtime_usec(sim->clock);
  guint64 defer_to = 0;
  ScheduleWake w = schedule_wake_decide(sim->config, sim->state, now, sim->run_end_at != 0, &defer_to);
  sim_log(sim, schedule_wake_to_string(w));
  switch (w) {
  case SCHEDULE_WAKE_NONE:
    break;
  case SCHEDULE_WAKE_EARLY:
    sim_arm(sim);
    break;
  case SCHEDULE_WAKE_DEFER:
    sim->state->next_wake = defer_to;
    sim_arm(sim);
    break;
  case SCHEDULE_WAKE_SKIP:
    sim->state->next_wake = schedule_wake_after(sim->config, sim->state, now);
    sim_arm(sim);
    break;
  case SCHEDULE_WAKE_BUDGET:
    sim->state->next_wake = MAX(schedule_wake_after(sim->config, sim->state, now), schedule_next_midnight(now));
    sim_arm(sim);
    break;
  case SCHEDULE_WAKE_REVIEW:
    sim_start_run(sim, SHIFTD_TRIGGER_REVIEW);
    schedule_review_started(sim->state, now);
    sim_arm(sim);
    break;
  case SCHEDULE_WAKE_RUN:
    sim_start_run(sim, SHIFTD_TRIGGER_SCHEDULE);
    sim->state->next_wake = schedule_wake_after(sim->config, sim->state, now);
    sim_arm(sim);
    break;
  }
  return w;
}

/* Moves the clock to the next thing that happens (a run ends, the wake-up
 * fires) and does it. */
static void
sim_step(Sim *sim)
{
  guint64 wake = sim->state->next_wake;
  if (sim->run_end_at && (wake == 0 || sim->run_end_at <= wake)) {
    shiftd_clock_set_realtime(sim->clock, sim->run_end_at);
    sim->run_end_at = 0;
    gboolean counted = schedule_run_ended(sim->config, sim->state, sim->run_trigger, sim->ending,
                                          shiftd_clock_realtime_usec(sim->clock));
    if (counted)
      sim_arm(sim);
    return;
  }
  g_assert_cmpuint(wake, !=, 0);
  shiftd_clock_set_realtime(sim->clock, MAX(wake, shiftd_clock_realtime_usec(sim->clock)));
  sim_wake(sim);
}

/* --- the clock --- */

static void
test_clock_fake(void)
{
  g_autoptr(ShiftdClock) c = shiftd_clock_new_fake(1000 * S, 5 * S);
  g_assert_cmpuint(shiftd_clock_realtime_usec(c), ==, 1000 * S);
  g_assert_cmpuint(shiftd_clock_monotonic_usec(c), ==, 5 * S);
  shiftd_clock_advance(c, 7);
  g_assert_cmpuint(shiftd_clock_realtime_usec(c), ==, 1000 * S + 7);
  g_assert_cmpuint(shiftd_clock_monotonic_usec(c), ==, 5 * S + 7);
  /* a wall-clock step leaves the monotonic time */
  shiftd_clock_set_realtime(c, 10);
  g_assert_cmpuint(shiftd_clock_realtime_usec(c), ==, 10);
  g_assert_cmpuint(shiftd_clock_monotonic_usec(c), ==, 5 * S + 7);

  /* installed, it is what the core's "now" reads */
  g_assert_true(shiftd_clock_get_default() == shiftd_clock_real());
  shiftd_clock_set_default(c);
  g_assert_cmpuint(shiftd_now_realtime_usec(), ==, 10);
  g_assert_cmpuint(shiftd_now_monotonic_usec(), ==, 5 * S + 7);
  shiftd_clock_set_default(NULL);
  guint64 real = shiftd_now_realtime_usec();
  g_assert_cmpuint(real, >, utc_usec(2020, 1, 1, 0, 0, 0));
  g_assert_cmpuint(shiftd_clock_realtime_usec(shiftd_clock_real()), >=, real);
  shiftd_clock_free(shiftd_clock_real()); /* not ours to free: ignored */
  g_assert_cmpuint(shiftd_clock_realtime_usec(shiftd_clock_real()), >=, real);
}

static void
test_clock_local(void)
{
  g_assert_cmpuint(shiftd_local_minute_of_day(utc_usec(2024, 5, 10, 13, 37, 59) + 999999), ==, 13 * 60 + 37);
  assert_time(shiftd_local_day_start(utc_usec(2024, 5, 10, 13, 37, 59) + 5), utc_usec(2024, 5, 10, 0, 0, 0));
  assert_time(shiftd_local_day_start(utc_usec(2024, 5, 10, 0, 0, 0)), utc_usec(2024, 5, 10, 0, 0, 0));
  g_assert_cmpuint(shiftd_local_offset_change(utc_usec(2024, 3, 30, 0, 0, 0), utc_usec(2024, 4, 1, 0, 0, 0)), ==, 0);
  if (!use_zone("Europe/Berlin"))
    return;
  g_assert_cmpint(shiftd_local_utc_offset(utc_usec(2024, 1, 1, 0, 0, 0)), ==, 3600);
  g_assert_cmpint(shiftd_local_utc_offset(utc_usec(2024, 7, 1, 0, 0, 0)), ==, 7200);
  /* Berlin: summer time from 2024-03-31 01:00 UTC to 2024-10-27 01:00 UTC */
  assert_time(shiftd_local_offset_change(utc_usec(2024, 3, 30, 12, 0, 0), utc_usec(2024, 3, 31, 12, 0, 0)),
              utc_usec(2024, 3, 31, 1, 0, 0));
  assert_time(shiftd_local_offset_change(utc_usec(2024, 10, 27, 0, 59, 59), utc_usec(2024, 10, 27, 1, 0, 0)),
              utc_usec(2024, 10, 27, 1, 0, 0));
  g_assert_cmpuint(shiftd_local_offset_change(utc_usec(2024, 10, 27, 1, 0, 0), utc_usec(2024, 10, 28, 0, 0, 0)), ==, 0);
  /* "today since midnight": 00:00 CET, 00:00 CEST; the days are 23 and 25 hours */
  assert_time(shiftd_local_day_start(utc_usec(2024, 3, 31, 20, 0, 0)), utc_usec(2024, 3, 30, 23, 0, 0));
  assert_time(shiftd_local_day_start(utc_usec(2024, 4, 1, 0, 0, 0)), utc_usec(2024, 3, 31, 22, 0, 0));
  assert_time(shiftd_local_day_start(utc_usec(2024, 10, 27, 22, 59, 59)), utc_usec(2024, 10, 26, 22, 0, 0));
  assert_time(shiftd_local_day_start(utc_usec(2024, 10, 27, 23, 0, 0)), utc_usec(2024, 10, 27, 23, 0, 0));
  g_assert_cmpuint(shiftd_local_minute_of_day(utc_usec(2024, 10, 27, 0, 30, 0)), ==, 2 * 60 + 30);
  g_assert_cmpuint(shiftd_local_minute_of_day(utc_usec(2024, 10, 27, 1, 30, 0)), ==, 2 * 60 + 30);
  restore_utc();
}

/* --- the next wake --- */

static void
test_every_next_wake(void)
{
  g_autoptr(AgentConfig) c = config_of("[Schedule]\nEvery=15min\n");
  g_autoptr(ShiftdAgentState) s = fresh_state(c);
  g_autoptr(ShiftdClock) clock = shiftd_clock_new_fake(utc_usec(2024, 5, 10, 12, 0, 0) + 123, 0);
  guint64 now = shiftd_clock_realtime_usec(clock), next = 1;
  g_assert_true(schedule_has_timer(c));
  /* a new agent: one interval from now, to the µs */
  g_assert_true(schedule_next_wake(c, s, now, &next, NULL));
  assert_time(next, now + 15 * MIN_);
  /* a wake the state holds stays, even one long past (it fires at once) */
  s->next_wake = now - DAY;
  g_assert_true(schedule_next_wake(c, s, now, &next, NULL));
  assert_time(next, now - DAY);
  /* the current (backed-off) interval, not Every= */
  s->next_wake = 0;
  s->current_interval = 2 * HOUR;
  g_assert_true(schedule_next_wake(c, s, now, &next, NULL));
  assert_time(next, now + 2 * HOUR);
  /* the wake after one: the same interval from that wake */
  shiftd_clock_advance(clock, 3 * S);
  assert_time(schedule_wake_after(c, s, shiftd_clock_realtime_usec(clock)), now + 3 * S + 2 * HOUR);
  /* disabled: none */
  s->enabled = FALSE;
  g_assert_true(schedule_next_wake(c, s, now, &next, NULL));
  g_assert_cmpuint(next, ==, 0);

  g_autoptr(AgentConfig) none = config_of("");
  g_autoptr(ShiftdAgentState) ns = fresh_state(none);
  g_assert_false(schedule_has_timer(none));
  g_assert_true(schedule_next_wake(none, ns, now, &next, NULL));
  g_assert_cmpuint(next, ==, 0);
}

static void
test_calendar_next_wake(void)
{
  g_autoptr(AgentConfig) c = config_of("[Schedule]\nOnCalendar=Mon..Fri 09:00\n");
  g_autoptr(ShiftdAgentState) s = fresh_state(c);
  g_assert_cmpuint(s->current_interval, ==, 0);
  guint64 next = 0;
  /* 2024-05-10 is a Friday */
  g_assert_true(schedule_next_wake(c, s, utc_usec(2024, 5, 10, 8, 59, 59), &next, NULL));
  assert_time(next, utc_usec(2024, 5, 10, 9, 0, 0));
  /* a wake exactly on the time: the next is strictly after it, past the weekend */
  assert_time(schedule_wake_after(c, s, utc_usec(2024, 5, 10, 9, 0, 0)), utc_usec(2024, 5, 13, 9, 0, 0));
  assert_time(schedule_wake_after(c, s, utc_usec(2024, 5, 10, 9, 0, 0) + 400000), utc_usec(2024, 5, 13, 9, 0, 0));
  /* the state's wake stays */
  s->next_wake = utc_usec(2024, 5, 13, 9, 0, 0);
  g_assert_true(schedule_next_wake(c, s, utc_usec(2024, 5, 10, 12, 0, 0), &next, NULL));
  assert_time(next, utc_usec(2024, 5, 13, 9, 0, 0));

  /* a date gone by: no wake, and the reason */
  g_autoptr(AgentConfig) past = config_of("[Schedule]\nOnCalendar=2020-01-01 12:00\n");
  g_autoptr(ShiftdAgentState) ps = fresh_state(past);
  g_autoptr(GError) error = NULL;
  next = 1;
  g_assert_false(schedule_next_wake(past, ps, utc_usec(2024, 5, 10, 12, 0, 0), &next, &error));
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpuint(next, ==, 0);
  g_assert_cmpuint(schedule_wake_after(past, ps, utc_usec(2024, 5, 10, 12, 0, 0)), ==, 0);
}

/* The file changed (then a reload, or a restart): a wake the old schedule
 * set later than the new one would is not waited out. It was: Every=1h
 * made Every=2s still waited out the hour. */
static void
test_schedule_changed(void)
{
  guint64 now = utc_usec(2024, 5, 10, 12, 0, 0), next = 0;
  g_autoptr(AgentConfig) hourly = config_of("[Schedule]\nEvery=1h\n");
  g_autoptr(ShiftdAgentState) s = fresh_state(hourly);
  g_assert_true(schedule_next_wake(hourly, s, now, &next, NULL));
  s->next_wake = next;
  assert_time(next, now + HOUR);
  /* shorter: from now (agent_update_config() starts CurrentInterval over) */
  g_autoptr(AgentConfig) quick = config_of("[Schedule]\nEvery=2s\n");
  s->current_interval = quick->every;
  g_assert_true(schedule_next_wake(quick, s, now + S, &next, NULL));
  assert_time(next, now + 3 * S);
  /* longer: the wake already set stays, the new interval follows it */
  g_autoptr(AgentConfig) slow = config_of("[Schedule]\nEvery=1d\n");
  s->current_interval = slow->every;
  g_assert_true(schedule_next_wake(slow, s, now + S, &next, NULL));
  assert_time(next, now + HOUR);
  /* calendars alike */
  g_autoptr(AgentConfig) daily = config_of("[Schedule]\nOnCalendar=daily\n");
  g_autoptr(AgentConfig) quarter = config_of("[Schedule]\nOnCalendar=*:0/15\n");
  g_autoptr(ShiftdAgentState) cs = fresh_state(daily);
  cs->next_wake = utc_usec(2024, 5, 11, 0, 0, 0);
  g_assert_true(schedule_next_wake(quarter, cs, now + 5 * MIN_, &next, NULL));
  assert_time(next, utc_usec(2024, 5, 10, 12, 15, 0));
  /* a wake still due from a calendar that has no time after it stays */
  g_autoptr(AgentConfig) once = config_of("[Schedule]\nOnCalendar=2024-05-10 12:30\n");
  cs->next_wake = utc_usec(2024, 5, 10, 12, 30, 0);
  g_assert_true(schedule_next_wake(once, cs, utc_usec(2024, 5, 10, 12, 30, 1), &next, NULL));
  assert_time(next, utc_usec(2024, 5, 10, 12, 30, 0));
  /* a wake the quiet hours put off is not brought into them */
  g_autoptr(AgentConfig) night = config_of("[Schedule]\nEvery=1h\nQuietHours=22:00-07:00\n");
  g_autoptr(ShiftdAgentState) ns = fresh_state(night);
  ns->next_wake = utc_usec(2024, 5, 11, 7, 0, 0);
  g_assert_true(schedule_next_wake(night, ns, utc_usec(2024, 5, 10, 23, 10, 0), &next, NULL));
  assert_time(next, utc_usec(2024, 5, 11, 7, 0, 0));
}

/* A calendar whose last time has passed, with quiet hours around the local
 * time of the epoch: "no wake" (0) went through the quiet hours as the time
 * 1970-01-01 00:00 and came out as 07:00 that day, a wake long past; armed,
 * it fired at once, skipped or ran, and armed itself again, without end. */
static void
test_no_wake_is_not_1970(void)
{
  g_autoptr(AgentConfig) c = config_of("[Schedule]\nOnCalendar=2024-05-10 12:00\nQuietHours=22:00-07:00\n");
  g_autoptr(ShiftdAgentState) s = fresh_state(c);
  guint64 now = utc_usec(2024, 5, 10, 12, 0, 0);
  g_assert_true(schedule_in_quiet_hours(&c->quiet_hours, 0));
  g_assert_cmpuint(schedule_after_quiet_hours(&c->quiet_hours, 0), ==, 0);
  /* its one wake ran (or was skipped): there is no next */
  s->next_wake = now;
  g_assert_cmpuint(schedule_wake_after(c, s, now), ==, 0);
}

static void
test_calendar_dst(void)
{
  if (!use_zone("Europe/Berlin"))
    return;
  /* daily across the autumn change: local midnights, the Sunday 25 hours long */
  Sim sim;
  sim_init(&sim, "[Schedule]\nOnCalendar=daily\n", utc_usec(2024, 10, 25, 12, 0, 0));
  GArray *runs = g_array_new(FALSE, FALSE, sizeof(guint64));
  while (runs->len < 4) {
    guint64 before = sim.state->last_run_at;
    sim_step(&sim);
    if (sim.state->last_run_at != before)
      g_array_append_val(runs, sim.state->last_run_at);
  }
  assert_time(g_array_index(runs, guint64, 0), utc_usec(2024, 10, 25, 22, 0, 0)); /* Sat 00:00 CEST */
  assert_time(g_array_index(runs, guint64, 1), utc_usec(2024, 10, 26, 22, 0, 0)); /* Sun 00:00 CEST */
  assert_time(g_array_index(runs, guint64, 2), utc_usec(2024, 10, 27, 23, 0, 0)); /* Mon 00:00 CET */
  assert_time(g_array_index(runs, guint64, 3), utc_usec(2024, 10, 28, 23, 0, 0));
  g_array_free(runs, TRUE);
  sim_clear(&sim);

  /* 02:30 does not happen on the spring night: that wake is skipped, as systemd does */
  g_autoptr(AgentConfig) c = config_of("[Schedule]\nOnCalendar=02:30\n");
  g_autoptr(ShiftdAgentState) s = fresh_state(c);
  assert_time(schedule_wake_after(c, s, utc_usec(2024, 3, 30, 1, 30, 0)), utc_usec(2024, 4, 1, 0, 30, 0));
  /* and it happens twice on the autumn night: the wake is at the first */
  assert_time(schedule_wake_after(c, s, utc_usec(2024, 10, 26, 1, 30, 0)), utc_usec(2024, 10, 27, 0, 30, 0));
  assert_time(schedule_wake_after(c, s, utc_usec(2024, 10, 27, 0, 30, 0)), utc_usec(2024, 10, 28, 1, 30, 0));
  restore_utc();
}

/* --- idle backoff --- */

static void
test_backoff_doubles_to_the_cap(void)
{
  g_autoptr(AgentConfig) c = config_of("[Schedule]\nEvery=15min\nMaxInterval=1h\n");
  g_autoptr(ShiftdAgentState) s = fresh_state(c);
  guint64 now = utc_usec(2024, 5, 10, 12, 0, 0);
  static const guint64 expect[] = { 30 * MIN_, HOUR, HOUR, HOUR };
  for (guint i = 0; i < G_N_ELEMENTS(expect); i++) {
    g_assert_true(schedule_run_ended(c, s, SHIFTD_TRIGGER_SCHEDULE, SHIFTD_RUN_IDLE, now));
    g_assert_cmpuint(s->current_interval, ==, expect[i]);
    g_assert_cmpuint(s->idle_streak, ==, i + 1);
  }
  /* without MaxInterval=, the cap is 8 x Every= */
  g_autoptr(AgentConfig) d = config_of("[Schedule]\nEvery=10min\n");
  g_autoptr(ShiftdAgentState) ds = fresh_state(d);
  g_assert_cmpuint(d->max_interval, ==, 80 * MIN_);
  for (guint i = 0; i < 10; i++)
    schedule_run_ended(d, ds, SHIFTD_TRIGGER_MANUAL, SHIFTD_RUN_IDLE, now);
  g_assert_cmpuint(ds->current_interval, ==, 80 * MIN_);
  g_assert_cmpuint(ds->idle_streak, ==, 10);
  /* no overflow near the top */
  g_assert_cmpuint(schedule_backed_off_interval(G_MAXUINT64 / 2 + 1, G_MAXUINT64), ==, G_MAXUINT64);
  g_assert_cmpuint(schedule_backed_off_interval(G_MAXUINT64 / 2 + 1, 7 * DAY), ==, 7 * DAY);
  g_assert_cmpuint(schedule_backed_off_interval(3, 100), ==, 6);
}

static void
test_backoff_resets_on_work(void)
{
  g_autoptr(AgentConfig) c = config_of("[Schedule]\nEvery=1min\n");
  g_autoptr(ShiftdAgentState) s = fresh_state(c);
  guint64 now = utc_usec(2024, 5, 10, 12, 0, 0);
  for (int i = 0; i < 3; i++)
    schedule_run_ended(c, s, SHIFTD_TRIGGER_SCHEDULE, SHIFTD_RUN_IDLE, now);
  g_assert_cmpuint(s->current_interval, ==, 8 * MIN_);
  /* failed, cancelled, a review: they say nothing about the work out there */
  static const struct {
    ShiftdRunTrigger trigger;
    ShiftdRunState state;
  } silent[] = {
    { SHIFTD_TRIGGER_SCHEDULE, SHIFTD_RUN_FAILED }, { SHIFTD_TRIGGER_SCHEDULE, SHIFTD_RUN_CANCELLED },
    { SHIFTD_TRIGGER_REVIEW, SHIFTD_RUN_DONE },     { SHIFTD_TRIGGER_REVIEW, SHIFTD_RUN_IDLE },
  };
  for (guint i = 0; i < G_N_ELEMENTS(silent); i++) {
    s->next_wake = 7;
    g_assert_false(schedule_run_ended(c, s, silent[i].trigger, silent[i].state, now));
    g_assert_cmpuint(s->current_interval, ==, 8 * MIN_);
    g_assert_cmpuint(s->idle_streak, ==, 3);
    g_assert_cmpuint(s->next_wake, ==, 7);
  }
  /* work, by any front door: back to Every= */
  g_assert_true(schedule_run_ended(c, s, SHIFTD_TRIGGER_MANUAL, SHIFTD_RUN_DONE, now));
  g_assert_cmpuint(s->current_interval, ==, MIN_);
  g_assert_cmpuint(s->idle_streak, ==, 0);
}

static void
test_backoff_next_wake(void)
{
  g_autoptr(AgentConfig) c = config_of("[Schedule]\nEvery=10min\nQuietHours=22:00-07:00\n");
  g_autoptr(ShiftdAgentState) s = fresh_state(c);
  /* one (new) interval after the run began */
  s->last_run_at = utc_usec(2024, 5, 10, 12, 0, 0);
  g_assert_true(schedule_run_ended(c, s, SHIFTD_TRIGGER_SCHEDULE, SHIFTD_RUN_IDLE, utc_usec(2024, 5, 10, 12, 1, 0)));
  assert_time(s->next_wake, utc_usec(2024, 5, 10, 12, 20, 0));
  /* not before now, when the run took longer than that */
  g_assert_true(schedule_run_ended(c, s, SHIFTD_TRIGGER_SCHEDULE, SHIFTD_RUN_DONE, utc_usec(2024, 5, 10, 12, 25, 0) + 1));
  assert_time(s->next_wake, utc_usec(2024, 5, 10, 12, 25, 0) + 1);
  /* not inside the quiet hours */
  s->last_run_at = utc_usec(2024, 5, 10, 21, 55, 0);
  g_assert_true(schedule_run_ended(c, s, SHIFTD_TRIGGER_SCHEDULE, SHIFTD_RUN_DONE, utc_usec(2024, 5, 10, 21, 56, 0)));
  assert_time(s->next_wake, utc_usec(2024, 5, 11, 7, 0, 0));
  /* OnCalendar= agents count idle wakes, and their calendar stays */
  g_autoptr(AgentConfig) cal = config_of("[Schedule]\nOnCalendar=hourly\n");
  g_autoptr(ShiftdAgentState) cs = fresh_state(cal);
  cs->last_run_at = utc_usec(2024, 5, 10, 12, 0, 0);
  cs->next_wake = utc_usec(2024, 5, 10, 13, 0, 0);
  g_assert_true(schedule_run_ended(cal, cs, SHIFTD_TRIGGER_SCHEDULE, SHIFTD_RUN_IDLE, utc_usec(2024, 5, 10, 12, 1, 0)));
  g_assert_cmpuint(cs->idle_streak, ==, 1);
  g_assert_cmpuint(cs->current_interval, ==, 0);
  assert_time(cs->next_wake, utc_usec(2024, 5, 10, 13, 0, 0));
}

/* test_schedule.py's idle backoff, in microseconds: idle, idle, work. */
static void
test_backoff_lifetime(void)
{
  Sim sim;
  sim_init(&sim, "[Schedule]\nEvery=1s\nMaxInterval=4s\n", utc_usec(2024, 5, 10, 12, 0, 0));
  sim.ending = SHIFTD_RUN_IDLE;
  for (int i = 0; i < 4; i++)
    sim_step(&sim); /* a wake, its run's end, twice */
  g_assert_cmpuint(sim.state->idle_streak, ==, 2);
  g_assert_cmpuint(sim.state->current_interval, ==, 4 * S);
  sim.ending = SHIFTD_RUN_DONE;
  for (int i = 0; i < 3; i++)
    sim_step(&sim);
  g_assert_cmpuint(sim.state->current_interval, ==, S);
  g_assert_cmpuint(sim.state->idle_streak, ==, 0);
  /* gaps of 2 s and 4 s, then back to 1 s */
  g_assert_cmpstr(sim.log->str, ==, "+1 run\n+3 run\n+7 run\n+8 run\n");
  sim_clear(&sim);
}

/* --- quiet hours --- */

static void
test_quiet_window(void)
{
  QuietHours night = quiet(22, 0, 7, 0), lunch = quiet(12, 0, 14, 0), off = { 0 };
  /* from the start (inside) to the end (outside), across midnight */
  g_assert_false(schedule_in_quiet_hours(&night, utc_usec(2024, 5, 10, 21, 59, 59) + 999999));
  g_assert_true(schedule_in_quiet_hours(&night, utc_usec(2024, 5, 10, 22, 0, 0)));
  g_assert_true(schedule_in_quiet_hours(&night, utc_usec(2024, 5, 10, 23, 59, 59)));
  g_assert_true(schedule_in_quiet_hours(&night, utc_usec(2024, 5, 11, 0, 0, 0)));
  g_assert_true(schedule_in_quiet_hours(&night, utc_usec(2024, 5, 11, 6, 59, 59) + 999999));
  g_assert_false(schedule_in_quiet_hours(&night, utc_usec(2024, 5, 11, 7, 0, 0)));
  g_assert_false(schedule_in_quiet_hours(&night, utc_usec(2024, 5, 11, 12, 0, 0)));
  g_assert_false(schedule_in_quiet_hours(&lunch, utc_usec(2024, 5, 10, 11, 59, 0)));
  g_assert_true(schedule_in_quiet_hours(&lunch, utc_usec(2024, 5, 10, 12, 0, 0)));
  g_assert_false(schedule_in_quiet_hours(&lunch, utc_usec(2024, 5, 10, 14, 0, 0)));
  g_assert_false(schedule_in_quiet_hours(&lunch, utc_usec(2024, 5, 10, 23, 0, 0)));
  g_assert_false(schedule_in_quiet_hours(&off, utc_usec(2024, 5, 10, 23, 0, 0)));
  /* as the file says it; "24:00" is midnight */
  g_autoptr(AgentConfig) c = config_of("[Schedule]\nEvery=1h\nQuietHours=22:00-24:00\n");
  g_assert_true(c->quiet_hours.set);
  g_assert_cmpuint(c->quiet_hours.start_minute, ==, 22 * 60);
  g_assert_cmpuint(c->quiet_hours.end_minute, ==, 0);
  g_assert_true(schedule_in_quiet_hours(&c->quiet_hours, utc_usec(2024, 5, 10, 23, 59, 0)));
  g_assert_false(schedule_in_quiet_hours(&c->quiet_hours, utc_usec(2024, 5, 11, 0, 0, 0)));
  assert_time(schedule_after_quiet_hours(&c->quiet_hours, utc_usec(2024, 5, 10, 22, 30, 0)), utc_usec(2024, 5, 11, 0, 0, 0));
}

static void
test_quiet_defer(void)
{
  QuietHours night = quiet(22, 0, 7, 0), lunch = quiet(12, 0, 14, 0), off = { 0 };
  /* before midnight: tomorrow's end; after: today's */
  assert_time(schedule_after_quiet_hours(&night, utc_usec(2024, 5, 10, 22, 0, 0)), utc_usec(2024, 5, 11, 7, 0, 0));
  assert_time(schedule_after_quiet_hours(&night, utc_usec(2024, 5, 10, 23, 30, 5) + 17), utc_usec(2024, 5, 11, 7, 0, 0));
  assert_time(schedule_after_quiet_hours(&night, utc_usec(2024, 5, 11, 3, 0, 0)), utc_usec(2024, 5, 11, 7, 0, 0));
  assert_time(schedule_after_quiet_hours(&night, utc_usec(2024, 5, 11, 6, 59, 59) + 999999), utc_usec(2024, 5, 11, 7, 0, 0));
  /* a wake on the end is outside: it stays, to the µs */
  assert_time(schedule_after_quiet_hours(&night, utc_usec(2024, 5, 11, 7, 0, 0)), utc_usec(2024, 5, 11, 7, 0, 0));
  assert_time(schedule_after_quiet_hours(&night, utc_usec(2024, 5, 11, 7, 0, 0) + 3), utc_usec(2024, 5, 11, 7, 0, 0) + 3);
  assert_time(schedule_after_quiet_hours(&lunch, utc_usec(2024, 5, 10, 13, 0, 0)), utc_usec(2024, 5, 10, 14, 0, 0));
  assert_time(schedule_after_quiet_hours(&lunch, utc_usec(2024, 5, 10, 15, 0, 0)), utc_usec(2024, 5, 10, 15, 0, 0));
  assert_time(schedule_after_quiet_hours(&off, utc_usec(2024, 5, 10, 23, 0, 0)), utc_usec(2024, 5, 10, 23, 0, 0));
  /* month and year ends */
  assert_time(schedule_after_quiet_hours(&night, utc_usec(2024, 12, 31, 23, 0, 0)), utc_usec(2025, 1, 1, 7, 0, 0));
  assert_time(schedule_after_quiet_hours(&night, utc_usec(2024, 2, 28, 23, 0, 0)), utc_usec(2024, 2, 29, 7, 0, 0));
}

static void
test_quiet_wakes(void)
{
  g_autoptr(AgentConfig) c = config_of("[Schedule]\nEvery=1h\nQuietHours=22:00-07:00\n");
  g_autoptr(ShiftdAgentState) s = fresh_state(c);
  g_autoptr(ShiftdClock) clock = shiftd_clock_new_fake(utc_usec(2024, 5, 10, 21, 30, 0), 0);
  guint64 next = 0, defer_to = 0;
  /* a wake computed into the window moves to its end */
  g_assert_true(schedule_next_wake(c, s, shiftd_clock_realtime_usec(clock), &next, NULL));
  assert_time(next, utc_usec(2024, 5, 11, 7, 0, 0));
  assert_time(schedule_wake_after(c, s, shiftd_clock_realtime_usec(clock)), utc_usec(2024, 5, 11, 7, 0, 0));
  /* one armed before (the file changed since) fires inside: deferred */
  s->next_wake = utc_usec(2024, 5, 10, 23, 0, 0);
  shiftd_clock_set_realtime(clock, s->next_wake);
  g_assert_cmpint(schedule_wake_decide(c, s, shiftd_clock_realtime_usec(clock), FALSE, &defer_to), ==,
                  SCHEDULE_WAKE_DEFER);
  assert_time(defer_to, utc_usec(2024, 5, 11, 7, 0, 0));
  /* deferral comes before the live-run check: no note on the live run at night */
  g_assert_cmpint(schedule_wake_decide(c, s, shiftd_clock_realtime_usec(clock), TRUE, &defer_to), ==,
                  SCHEDULE_WAKE_DEFER);
  /* at the end it runs */
  s->next_wake = defer_to;
  shiftd_clock_set_realtime(clock, defer_to);
  g_assert_cmpint(schedule_wake_decide(c, s, shiftd_clock_realtime_usec(clock), FALSE, &defer_to), ==,
                  SCHEDULE_WAKE_RUN);
  g_assert_cmpuint(defer_to, ==, 0);
  /* a day of hourly wakes: none from 22:00 to 07:00 */
  Sim sim;
  sim_init(&sim, "[Schedule]\nEvery=1h\nQuietHours=22:00-07:00\n", utc_usec(2024, 5, 10, 19, 0, 0));
  sim.run_usec = 0;
  sim.log_unit = HOUR;
  for (int i = 0; i < 12; i++)
    sim_step(&sim);
  g_assert_cmpstr(sim.log->str, ==, "+1 run\n+2 run\n+12 run\n+13 run\n+14 run\n+15 run\n");
  sim_clear(&sim);
}

/* Daylight saving nights, in Berlin. */
static void
test_quiet_dst(void)
{
  if (!use_zone("Europe/Berlin"))
    return;
  QuietHours early = quiet(1, 0, 2, 30), night = quiet(22, 0, 7, 0);
  /* spring: the clock jumps from 02:00 CET to 03:00 CEST, past the end:
   * the window is over at the jump */
  assert_time(schedule_after_quiet_hours(&early, utc_usec(2024, 3, 31, 0, 30, 0)), utc_usec(2024, 3, 31, 1, 0, 0));
  /* and a night window is an hour shorter */
  assert_time(schedule_after_quiet_hours(&night, utc_usec(2024, 3, 30, 21, 30, 0)), utc_usec(2024, 3, 31, 5, 0, 0));
  /* autumn: 02:15 happens twice. From the first (CEST) the window ends at
   * the first 02:30, from the second (CET) at the second: never a day
   * later, whatever mktime() guessed last (it used to decide) */
  struct tm summer = { .tm_year = 124, .tm_mon = 6, .tm_mday = 1, .tm_hour = 12, .tm_isdst = 1 };
  (void)mktime(&summer);
  assert_time(schedule_after_quiet_hours(&early, utc_usec(2024, 10, 27, 1, 15, 0)), utc_usec(2024, 10, 27, 1, 30, 0));
  assert_time(schedule_after_quiet_hours(&early, utc_usec(2024, 10, 27, 0, 15, 0)), utc_usec(2024, 10, 27, 0, 30, 0));
  struct tm winter = { .tm_year = 124, .tm_mon = 0, .tm_mday = 1, .tm_hour = 12, .tm_isdst = 0 };
  (void)mktime(&winter);
  assert_time(schedule_after_quiet_hours(&early, utc_usec(2024, 10, 27, 1, 15, 0)), utc_usec(2024, 10, 27, 1, 30, 0));
  assert_time(schedule_after_quiet_hours(&early, utc_usec(2024, 10, 27, 0, 15, 0)), utc_usec(2024, 10, 27, 0, 30, 0));
  /* from 02:45 CEST the clock goes back into the window at 03:00 CEST = 02:00 CET */
  g_assert_false(schedule_in_quiet_hours(&early, utc_usec(2024, 10, 27, 0, 45, 0)));
  g_assert_true(schedule_in_quiet_hours(&early, utc_usec(2024, 10, 27, 1, 0, 0)));
  /* a night window across the change is an hour longer, and ends at 07:00 CET */
  assert_time(schedule_after_quiet_hours(&night, utc_usec(2024, 10, 26, 21, 0, 0)), utc_usec(2024, 10, 27, 6, 0, 0));
  /* across the change and still inside: 01:30 CEST to 04:00 CET */
  QuietHours long_early = quiet(1, 0, 4, 0);
  assert_time(schedule_after_quiet_hours(&long_early, utc_usec(2024, 10, 26, 23, 30, 0)), utc_usec(2024, 10, 27, 3, 0, 0));
  restore_utc();
}

/* --- the review beat --- */

static void
test_review_beat(void)
{
  g_autoptr(AgentConfig) c = config_of("[Schedule]\nEvery=1h\nReviewEvery=1d\n");
  g_autoptr(ShiftdAgentState) s = fresh_state(c);
  g_autoptr(ShiftdClock) clock = shiftd_clock_new_fake(utc_usec(2024, 5, 10, 12, 0, 0), 0);
  guint64 t0 = shiftd_clock_realtime_usec(clock), next = 0, defer_to = 0;
  /* counted from when the agent comes, once */
  g_assert_cmpuint(schedule_review_due(c, s), ==, 0);
  g_assert_true(schedule_start_review_count(c, s, t0));
  g_assert_false(schedule_start_review_count(c, s, t0 + HOUR));
  assert_time(schedule_review_due(c, s), t0 + DAY);
  /* the earlier of the wake and the beat */
  s->next_wake = t0 + DAY + 20 * MIN_;
  g_assert_true(schedule_next_wake(c, s, t0 + DAY - 30 * MIN_, &next, NULL));
  assert_time(next, t0 + DAY);
  s->next_wake = t0 + DAY - 10 * MIN_;
  g_assert_true(schedule_next_wake(c, s, t0 + DAY - 30 * MIN_, &next, NULL));
  assert_time(next, t0 + DAY - 10 * MIN_);
  /* due a timer's accuracy early, not more */
  s->next_wake = t0 + DAY;
  shiftd_clock_set_realtime(clock, t0 + DAY - SCHEDULE_EARLY_TOLERANCE_USEC);
  g_assert_cmpint(schedule_wake_decide(c, s, shiftd_clock_realtime_usec(clock), FALSE, &defer_to), ==,
                  SCHEDULE_WAKE_REVIEW);
  s->next_wake = t0 + 2 * DAY;
  shiftd_clock_set_realtime(clock, t0 + DAY - SCHEDULE_EARLY_TOLERANCE_USEC - 1);
  g_assert_cmpint(schedule_wake_decide(c, s, shiftd_clock_realtime_usec(clock), FALSE, &defer_to), ==,
                  SCHEDULE_WAKE_EARLY);
  /* a live run comes first: the beat waits for a later wake */
  s->next_wake = t0 + DAY;
  shiftd_clock_set_realtime(clock, t0 + DAY);
  g_assert_cmpint(schedule_wake_decide(c, s, shiftd_clock_realtime_usec(clock), TRUE, &defer_to), ==,
                  SCHEDULE_WAKE_SKIP);
  /* begun: the next beat a day on, the next wake afresh */
  schedule_review_started(s, t0 + DAY);
  g_assert_cmpuint(s->next_wake, ==, 0);
  assert_time(schedule_review_due(c, s), t0 + 2 * DAY);
  g_assert_true(schedule_next_wake(c, s, t0 + DAY, &next, NULL));
  assert_time(next, t0 + DAY + HOUR);
  /* no ReviewEvery=: no beat */
  g_autoptr(AgentConfig) plain = config_of("[Schedule]\nEvery=1h\n");
  g_autoptr(ShiftdAgentState) ps = fresh_state(plain);
  g_assert_false(schedule_start_review_count(plain, ps, t0));
  ps->last_review_at = t0;
  g_assert_cmpuint(schedule_review_due(plain, ps), ==, 0);
}

/* test_schedule.py's review beat, in microseconds: every third wake. */
static void
test_review_lifetime(void)
{
  Sim sim;
  sim_init(&sim, "[Schedule]\nEvery=1s\nReviewEvery=3s\nQuietHours=22:00-07:00\n", utc_usec(2024, 5, 10, 21, 59, 53));
  for (int i = 0; i < 14; i++)
    sim_step(&sim);
  /* at 22:00 the night begins, for both: the beat due at night comes first
   * in the morning; reviews neither back off nor reset the interval */
  g_assert_cmpstr(sim.log->str, ==, "+1 run\n+2 run\n+3 review\n+4 run\n+5 run\n+6 review\n+32407 review\n");
  g_assert_cmpuint(sim.state->current_interval, ==, S);
  sim_clear(&sim);
}

/* --- wakes --- */

static void
test_wake_decisions(void)
{
  g_autoptr(AgentConfig) c = config_of("[Schedule]\nEvery=10min\n");
  g_autoptr(ShiftdAgentState) s = fresh_state(c);
  guint64 t = utc_usec(2024, 5, 10, 12, 0, 0), defer_to = 7;
  s->next_wake = t;
  /* a timer may fire half a second early */
  g_assert_cmpint(schedule_wake_decide(c, s, t - SCHEDULE_EARLY_TOLERANCE_USEC - 1, FALSE, &defer_to), ==,
                  SCHEDULE_WAKE_EARLY);
  g_assert_cmpint(schedule_wake_decide(c, s, t - SCHEDULE_EARLY_TOLERANCE_USEC, FALSE, &defer_to), ==,
                  SCHEDULE_WAKE_RUN);
  g_assert_cmpint(schedule_wake_decide(c, s, t + DAY, FALSE, &defer_to), ==, SCHEDULE_WAKE_RUN);
  g_assert_cmpint(schedule_wake_decide(c, s, t, TRUE, &defer_to), ==, SCHEDULE_WAKE_SKIP);
  /* Scheduler.Wake with nothing armed */
  s->next_wake = 0;
  g_assert_cmpint(schedule_wake_decide(c, s, t, FALSE, &defer_to), ==, SCHEDULE_WAKE_RUN);
  s->enabled = FALSE;
  g_assert_cmpint(schedule_wake_decide(c, s, t, FALSE, &defer_to), ==, SCHEDULE_WAKE_NONE);
  g_autoptr(AgentConfig) none = config_of("");
  g_autoptr(ShiftdAgentState) ns = fresh_state(none);
  g_assert_cmpint(schedule_wake_decide(none, ns, t, FALSE, &defer_to), ==, SCHEDULE_WAKE_NONE);
  g_assert_cmpuint(defer_to, ==, 0);
}

/* A run longer than the interval: the wakes meanwhile are skipped, and the
 * next comes when it ends. */
static void
test_skipped_wakes(void)
{
  Sim sim;
  sim_init(&sim, "[Schedule]\nEvery=1s\n", utc_usec(2024, 5, 10, 12, 0, 0));
  sim.run_usec = 3500 * 1000;
  for (int i = 0; i < 6; i++)
    sim_step(&sim);
  g_assert_cmpstr(sim.log->str, ==, "+1 run\n+2 skip\n+3 skip\n+4 skip\n+4.5 run\n");
  sim_clear(&sim);
}

static void
test_enum_names(void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (int w = SCHEDULE_WAKE_NONE; w <= SCHEDULE_WAKE_RUN; w++) {
    const char *name = schedule_wake_to_string(w);
    g_assert_nonnull(name);
    g_assert_true(g_hash_table_add(seen, (gpointer)name));
  }
  g_assert_null(schedule_wake_to_string(SCHEDULE_WAKE_RUN + 1));
}

/* --- token budgets --- */

static void
test_tokens_today(void)
{
  g_autoptr(AgentConfig) c = config_of("[Schedule]\nEvery=1h\n");
  g_autoptr(ShiftdAgentState) s = fresh_state(c);
  guint64 morning = utc_usec(2024, 5, 10, 9, 0, 0);
  schedule_tokens_add(s, 300, morning);
  schedule_tokens_add(s, 200, utc_usec(2024, 5, 10, 23, 59, 59));
  g_assert_cmpuint(schedule_tokens_today(s, utc_usec(2024, 5, 10, 23, 59, 59) + 999999), ==, 500);
  g_assert_cmpuint(s->tokens_total, ==, 500);
  /* the day turns: today reads 0 before anything is counted, then starts afresh */
  g_assert_cmpuint(schedule_tokens_today(s, utc_usec(2024, 5, 11, 0, 0, 0)), ==, 0);
  schedule_tokens_add(s, 7, utc_usec(2024, 5, 11, 0, 0, 1));
  g_assert_cmpuint(schedule_tokens_today(s, utc_usec(2024, 5, 11, 12, 0, 0)), ==, 7);
  g_assert_cmpuint(s->tokens_total, ==, 507);
  assert_time(schedule_next_midnight(morning), utc_usec(2024, 5, 11, 0, 0, 0));
  assert_time(schedule_next_midnight(utc_usec(2024, 5, 11, 0, 0, 0)), utc_usec(2024, 5, 12, 0, 0, 0));
  if (!use_zone("Europe/Berlin"))
    return;
  /* a 23-hour day: midnight is 22:00 UTC after 23:00 UTC the night before */
  assert_time(schedule_next_midnight(utc_usec(2024, 3, 31, 12, 0, 0)), utc_usec(2024, 3, 31, 22, 0, 0));
  assert_time(schedule_next_midnight(utc_usec(2024, 10, 27, 12, 0, 0)), utc_usec(2024, 10, 27, 23, 0, 0));
  restore_utc();
}

/* TokensPerDay= spent: the next wake is skipped and the one after waits for
 * midnight, which the next arm does not pull back; the new day runs. */
static void
test_day_budget_skips_until_midnight(void)
{
  Sim sim;
  guint64 start = utc_usec(2024, 5, 10, 20, 30, 0);
  sim_init(&sim, "TokensPerDay=1000\n[Schedule]\nEvery=1h\n", start);
  g_assert_cmpuint(sim.config->tokens_per_day, ==, 1000);
  sim_step(&sim); /* 21:30: a run, which uses the day's tokens */
  g_assert_cmpuint(sim.run_end_at, !=, 0);
  schedule_tokens_add(sim.state, 1000, shiftd_clock_realtime_usec(sim.clock));
  g_assert_cmpuint(schedule_budget_held_until(sim.config, sim.state, shiftd_clock_realtime_usec(sim.clock)), ==,
                   utc_usec(2024, 5, 11, 0, 0, 0));
  sim_step(&sim); /* the run ends */
  assert_time(sim.state->next_wake, utc_usec(2024, 5, 10, 22, 30, 0));
  sim_step(&sim);
  g_assert_true(g_str_has_suffix(sim.log->str, "budget\n"));
  assert_time(sim.state->next_wake, utc_usec(2024, 5, 11, 0, 0, 0));
  sim_arm(&sim);
  assert_time(sim.state->next_wake, utc_usec(2024, 5, 11, 0, 0, 0));
  sim_step(&sim);
  g_assert_true(g_str_has_suffix(sim.log->str, "run\n"));
  g_assert_cmpuint(schedule_tokens_today(sim.state, shiftd_clock_realtime_usec(sim.clock)), ==, 0);
  /* under the budget nothing is held */
  sim.state->tokens_today = 999;
  sim.state->tokens_day = shiftd_local_day_start(shiftd_clock_realtime_usec(sim.clock));
  g_assert_cmpuint(schedule_budget_held_until(sim.config, sim.state, shiftd_clock_realtime_usec(sim.clock)), ==, 0);
  sim_clear(&sim);
}

/* --- missed wakes --- */

static void
test_missed_wake_once(void)
{
  Sim sim;
  sim_init(&sim, "[Schedule]\nEvery=2s\n", utc_usec(2024, 5, 10, 12, 0, 0));
  sim_step(&sim);
  sim_step(&sim);
  guint64 due = sim.state->next_wake;
  assert_time(due, sim.start + 4 * S);
  /* a stop, and a start within the grace: not missed (the timer fires) */
  g_assert_false(schedule_wake_was_missed(sim.config, sim.state, due + SCHEDULE_MISSED_GRACE_USEC));
  g_assert_true(schedule_wake_was_missed(sim.config, sim.state, due + SCHEDULE_MISSED_GRACE_USEC + 1));
  /* a month down: tens of thousands of wakes missed, one happens */
  shiftd_clock_set_realtime(sim.clock, due + 30 * DAY);
  g_assert_true(schedule_wake_was_missed(sim.config, sim.state, shiftd_clock_realtime_usec(sim.clock)));
  g_assert_cmpint(sim_wake(&sim), ==, SCHEDULE_WAKE_RUN);
  /* and the next is an interval on, not a catch-up */
  assert_time(sim.state->next_wake, due + 30 * DAY + 2 * S);
  g_assert_false(schedule_wake_was_missed(sim.config, sim.state, shiftd_clock_realtime_usec(sim.clock)));
  /* disabled agents miss nothing */
  sim.state->next_wake = due;
  sim.state->enabled = FALSE;
  g_assert_false(schedule_wake_was_missed(sim.config, sim.state, due + DAY));
  sim_clear(&sim);

  /* a calendar's missed wakes too: once, then its next time after now */
  g_autoptr(AgentConfig) c = config_of("[Schedule]\nOnCalendar=*-*-* 09:00\n");
  g_autoptr(ShiftdAgentState) s = fresh_state(c);
  s->next_wake = utc_usec(2024, 5, 1, 9, 0, 0);
  guint64 now = utc_usec(2024, 5, 10, 12, 0, 0), defer_to = 0;
  g_assert_true(schedule_wake_was_missed(c, s, now));
  g_assert_cmpint(schedule_wake_decide(c, s, now, FALSE, &defer_to), ==, SCHEDULE_WAKE_RUN);
  assert_time(schedule_wake_after(c, s, now), utc_usec(2024, 5, 11, 9, 0, 0));
}

/* --- decisions and retention --- */

static void
test_decision_deadline(void)
{
  g_autoptr(ShiftdClock) clock = shiftd_clock_new_fake(utc_usec(2024, 5, 10, 12, 0, 0), 0);
  guint64 now = shiftd_clock_realtime_usec(clock);
  /* the question's own timeout comes first, longer or shorter */
  assert_time(schedule_decision_deadline(5 * MIN_, DAY, now), now + 5 * MIN_);
  assert_time(schedule_decision_deadline(2 * DAY, DAY, now), now + 2 * DAY);
  /* else the agent's Timeout= */
  assert_time(schedule_decision_deadline(0, DAY, now), now + DAY);
  assert_time(schedule_decision_deadline(-1, DAY, now), now + DAY);
  /* neither: it waits until answered */
  g_assert_cmpuint(schedule_decision_deadline(0, 0, now), ==, 0);
  g_assert_cmpuint(schedule_decision_deadline(-5, 0, now), ==, 0);
  /* never past the end of time */
  g_assert_cmpuint(schedule_decision_deadline(G_MAXINT64, 0, G_MAXUINT64 - 5), ==, G_MAXUINT64);
  g_assert_cmpuint(schedule_decision_deadline(0, G_MAXUINT64, now), ==, G_MAXUINT64);
  /* as the file says it */
  g_autoptr(AgentConfig) c = config_of("[Decisions]\nTimeout=1d\nDefault=hold\n");
  shiftd_clock_advance(clock, 90 * S);
  assert_time(schedule_decision_deadline(0, c->decision_timeout, shiftd_clock_realtime_usec(clock)),
              now + 90 * S + DAY);
}

static void
test_retention(void)
{
  guint64 now = utc_usec(2024, 5, 10, 12, 0, 0), keep = 90 * DAY;
  assert_time(schedule_retention_cutoff(keep, now), now - keep);
  /* strictly older than now - keep goes; the store's finished_before */
  g_assert_true(schedule_retention_prunes(now - keep - 1, keep, now));
  g_assert_false(schedule_retention_prunes(now - keep, keep, now));
  g_assert_false(schedule_retention_prunes(now - 1, keep, now));
  /* a run not finished (0) never goes */
  g_assert_false(schedule_retention_prunes(0, keep, now));
  g_assert_false(schedule_retention_prunes(0, 0, now));
  /* infinity keeps everything; so does a span longer than time so far */
  g_assert_cmpuint(schedule_retention_cutoff(SHIFTD_USEC_INFINITY, now), ==, 0);
  g_assert_false(schedule_retention_prunes(1, SHIFTD_USEC_INFINITY, now));
  g_assert_cmpuint(schedule_retention_cutoff(now + 1, now), ==, 0);
  g_assert_cmpuint(schedule_retention_cutoff(now, now), ==, 0);
  /* 0 keeps nothing finished before now */
  assert_time(schedule_retention_cutoff(0, now), now);
  g_assert_true(schedule_retention_prunes(now - 1, 0, now));
  /* as the clock moves, the window moves with it */
  g_autoptr(ShiftdClock) clock = shiftd_clock_new_fake(now, 0);
  guint64 finished = now - keep + HOUR;
  g_assert_false(schedule_retention_prunes(finished, keep, shiftd_clock_realtime_usec(clock)));
  shiftd_clock_advance(clock, HOUR);
  g_assert_false(schedule_retention_prunes(finished, keep, shiftd_clock_realtime_usec(clock)));
  shiftd_clock_advance(clock, 1);
  g_assert_true(schedule_retention_prunes(finished, keep, shiftd_clock_realtime_usec(clock)));
}

int
main(int argc, char **argv)
{
  /* expectations are in UTC unless a test switches zones */
  g_setenv("TZ", "UTC", TRUE);
  tzset();
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/clock/fake", test_clock_fake);
  g_test_add_func("/clock/local", test_clock_local);
  g_test_add_func("/schedule/every/next-wake", test_every_next_wake);
  g_test_add_func("/schedule/calendar/next-wake", test_calendar_next_wake);
  g_test_add_func("/schedule/calendar/dst", test_calendar_dst);
  g_test_add_func("/schedule/changed", test_schedule_changed);
  g_test_add_func("/schedule/no-wake-is-not-1970", test_no_wake_is_not_1970);
  g_test_add_func("/schedule/backoff/doubles-to-the-cap", test_backoff_doubles_to_the_cap);
  g_test_add_func("/schedule/backoff/resets-on-work", test_backoff_resets_on_work);
  g_test_add_func("/schedule/backoff/next-wake", test_backoff_next_wake);
  g_test_add_func("/schedule/backoff/lifetime", test_backoff_lifetime);
  g_test_add_func("/schedule/quiet-hours/window", test_quiet_window);
  g_test_add_func("/schedule/quiet-hours/defer", test_quiet_defer);
  g_test_add_func("/schedule/quiet-hours/wakes", test_quiet_wakes);
  g_test_add_func("/schedule/quiet-hours/dst", test_quiet_dst);
  g_test_add_func("/schedule/review/beat", test_review_beat);
  g_test_add_func("/schedule/review/lifetime", test_review_lifetime);
  g_test_add_func("/schedule/wake/decisions", test_wake_decisions);
  g_test_add_func("/schedule/wake/skipped", test_skipped_wakes);
  g_test_add_func("/schedule/wake/names", test_enum_names);
  g_test_add_func("/schedule/missed-wake-once", test_missed_wake_once);
  g_test_add_func("/schedule/tokens/today", test_tokens_today);
  g_test_add_func("/schedule/tokens/day-budget", test_day_budget_skips_until_midnight);
  g_test_add_func("/decisions/deadline", test_decision_deadline);
  g_test_add_func("/store/retention", test_retention);
  return g_test_run();
}
