#include "agent-tokens.h"

#include "agent.h"
#include "json-util.h"
#include "log.h"
#include "schedule-rules.h"
#include "time-span.h"

static const char *const token_properties[] = { "TokensToday", "TokensTotal", NULL };

/* A count from the worker: never negative, never past what the store holds. */
static guint64
token_count(JsonObject *data, const char *name)
{
  gint64 v = shiftd_json_get_int(data, name, 0);
  return v > 0 ? (guint64)v : 0;
}

static guint64
saturating_add(guint64 a, guint64 b)
{
  return b > (guint64)G_MAXINT64 - MIN(a, (guint64)G_MAXINT64) ? (guint64)G_MAXINT64 : a + b;
}

void
agent_tokens_count_reply(RunTxn *t, Run *run, JsonObject *data)
{
  guint64 in = token_count(data, "tokens_in"), out = token_count(data, "tokens_out");
  if (in == 0 && out == 0)
    return;
  ShiftdRunRow *row = run_edit(run);
  row->tokens_in = saturating_add(row->tokens_in, in);
  row->tokens_out = saturating_add(row->tokens_out, out);
  Agent *agent = daemon_find_agent(run->daemon, row->agent);
  if (agent == NULL)
    return; /* its file went away: the run still counts its own */
  schedule_tokens_add(agent->state, saturating_add(in, out), shiftd_now_realtime_usec());
  run_txn_agent(t, agent, token_properties);
}

char *
agent_tokens_refusal(Agent *agent, guint64 now)
{
  if (schedule_budget_held_until(agent->config, agent->state, now) == 0)
    return NULL;
  return g_strdup_printf("agent %s has used its TokensPerDay=%" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
                         " tokens today); it starts runs again after midnight",
                         agent->name, agent->config->tokens_per_day, schedule_tokens_today(agent->state, now));
}

JsonObject *
agent_tokens_budget(Agent *agent, const ShiftdRunRow *row, guint64 now)
{
  JsonObject *o = json_object_new();
  json_object_set_int_member(o, "per_run", (gint64)MIN(agent->config->tokens_per_run, (guint64)G_MAXINT64));
  json_object_set_int_member(o, "run_used", (gint64)saturating_add(row->tokens_in, row->tokens_out));
  json_object_set_int_member(o, "per_day", (gint64)MIN(agent->config->tokens_per_day, (guint64)G_MAXINT64));
  json_object_set_int_member(o, "day_used",
                             (gint64)MIN(schedule_tokens_today(agent->state, now), (guint64)G_MAXINT64));
  return o;
}

/* Counts of an earlier day become 0, stored, then announced. */
static void
turn_days_over(Daemon *d, guint64 now)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, d->agents);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    Agent *a = value;
    if (a->state->tokens_today == 0 || schedule_tokens_today(a->state, now) == a->state->tokens_today)
      continue;
    schedule_tokens_add(a->state, 0, now);
    agent_state_changed(a, "TokensToday", NULL);
  }
}

static int arm_midnight(Daemon *d, guint64 now);

static int
on_midnight(sd_event_source *s, uint64_t usec, void *userdata)
{
  Daemon *d = userdata;
  guint64 now = shiftd_now_realtime_usec();
  turn_days_over(d, now);
  int r = arm_midnight(d, now);
  if (r < 0)
    log_error("cannot arm the midnight timer of TokensToday: %s", g_strerror(-r));
  return 0;
}

static int
arm_midnight(Daemon *d, guint64 now)
{
  guint64 at = schedule_next_midnight(now);
  if (d->midnight_timer) {
    int r = sd_event_source_set_time(d->midnight_timer, at);
    if (r < 0)
      return r;
    return sd_event_source_set_enabled(d->midnight_timer, SD_EVENT_ONESHOT);
  }
  /* CLOCK_REALTIME: a clock step or a resume past midnight fires it */
  return sd_event_add_time(d->event, &d->midnight_timer, CLOCK_REALTIME, at, 0, on_midnight, d);
}

int
agent_tokens_start(Daemon *d)
{
  guint64 now = shiftd_now_realtime_usec();
  turn_days_over(d, now);
  return arm_midnight(d, now);
}

void
agent_tokens_stop(Daemon *d)
{
  d->midnight_timer = sd_event_source_disable_unref(d->midnight_timer);
}
