#include "agent.h"

#include <errno.h>
#include <unistd.h>

#include "agent-watch.h"
#include "backend.h"
#include "json-util.h"
#include "log.h"
#include "object-path.h"
#include "run.h"
#include "shiftd-names.h"
#include "time-span.h"

Agent *
agent_new(Daemon *d, AgentConfig *config, RunAs *user, const ShiftdAgentState *saved)
{
  Agent *a = g_new0(Agent, 1);
  a->daemon = d;
  a->user = user;
  a->name = g_strdup(config->name);
  a->path = shiftd_object_path(SHIFTD_AGENT_PATH_PREFIX, a->name);
  a->config = config;
  a->schedule = agent_config_describe_schedule(config);
  if (saved) {
    a->state = shiftd_agent_state_copy(saved);
  } else {
    a->state = g_new0(ShiftdAgentState, 1);
    a->state->name = g_strdup(a->name);
    a->state->enabled = TRUE;
    a->state->last_run = g_strdup("");
  }
  if (a->state->current_interval == 0 || !config->every)
    a->state->current_interval = config->every;
  a->state->current_interval = MIN(a->state->current_interval, MAX(config->max_interval, config->every));
  a->tokens_stored = agent_tokens_of(a->state);
  return a;
}

AgentTokens
agent_tokens_of(const ShiftdAgentState *s)
{
  return (AgentTokens){ .total = s->tokens_total, .today = s->tokens_today, .day = s->tokens_day };
}

AgentConfig *
agent_default_config(void)
{
  AgentConfig *c = g_new0(AgentConfig, 1);
  c->name = g_strdup("default");
  c->description = g_strdup("The built-in agent: no schedule, the built-in tools only");
  c->instructions = g_strdup("");
  c->model = g_strdup("");
  c->tools = g_new0(char *, 1);
  c->context_tokens = AGENT_CONTEXT_TOKENS_DEFAULT;
  c->read_write_paths = g_new0(char *, 1);
  c->watch_paths = g_new0(char *, 1);
  c->answer_by = g_new0(char *, 1);
  c->start_by = g_new0(char *, 1);
  c->max_defer = WAKE_DEFER_MAX_DEFAULT_USEC;
  c->delegates = g_new0(char *, 1);
  return c;
}

Agent *
agent_new_default(Daemon *d)
{
  return agent_new(d, agent_default_config(), NULL, NULL);
}

void
agent_free(Agent *a)
{
  if (a == NULL)
    return;
  g_free(a->name);
  g_free(a->path);
  agent_config_free(a->config);
  run_as_free(a->user);
  g_free(a->schedule);
  agent_watch_free(a->watch);
  shiftd_agent_state_free(a->state);
  g_free(a);
}

gboolean
agent_update_config(Agent *a, AgentConfig *config, RunAs *user)
{
  run_as_free(a->user);
  a->user = user;
  AgentConfig *old = a->config;
  gboolean schedule_changed = old->every != config->every || old->max_interval != config->max_interval ||
                              g_strcmp0(old->on_calendar, config->on_calendar) != 0 ||
                              old->quiet_hours.set != config->quiet_hours.set ||
                              old->quiet_hours.start_minute != config->quiet_hours.start_minute ||
                              old->quiet_hours.end_minute != config->quiet_hours.end_minute ||
                              old->review_every != config->review_every ||
                              !g_strv_equal((const char *const *)old->watch_paths,
                                            (const char *const *)config->watch_paths);
  a->config = config;
  g_free(a->schedule);
  a->schedule = agent_config_describe_schedule(config);
  if (old->every != config->every) {
    /* a new base: start over from it */
    a->state->current_interval = config->every;
    a->state->idle_streak = 0;
  }
  a->state->current_interval = MIN(a->state->current_interval, MAX(config->max_interval, config->every));
  agent_config_free(old);
  return schedule_changed;
}

Agent *
daemon_find_agent(Daemon *d, const char *name)
{
  return name ? g_hash_table_lookup(d->agents, name) : NULL;
}

const char *
agent_timer_unit(Agent *agent)
{
  Backend *b = agent->daemon->backend;
  return b->wake_unit(b, agent->name);
}

void
agent_backend_changed(Daemon *d, const char *name, const char *property)
{
  Agent *a = daemon_find_agent(d, name);
  const char *const names[] = { property, NULL };
  if (a && a->published)
    d->observer->agent_changed(a, names);
}

guint32
agent_run_owner(Agent *a)
{
  if (a->daemon->mode != DAEMON_MODE_SYSTEM)
    return (guint32)geteuid();
  return a->user ? (guint32)a->user->uid : 0;
}

gboolean
agent_has_schedule(Agent *a)
{
  return a->config->every != 0 || a->config->on_calendar != NULL || agent_config_watches(a->config);
}

Run *
agent_live_run(Agent *a)
{
  /* the live runs only: a few, however long the history */
  for (GList *l = a->daemon->live_runs.tail; l; l = l->prev) {
    Run *run = l->data;
    if (g_str_equal(run->pending->agent, a->name) && run_is_live(run->pending))
      return run;
  }
  return NULL;
}

typedef struct {
  Agent *agent;
  GPtrArray *names; /* static property names, NULL-terminated */
  AgentTokens tokens; /* as this commit stores them */
} StateAnnouncement;

static void
state_committed(gpointer user_data, const GError *error)
{
  StateAnnouncement *sa = user_data;
  Agent *a = sa->agent;
  if (error == NULL)
    a->tokens_stored = sa->tokens;
  if (error)
    log_run(LOG_ERR, NULL, a->name, "cannot save the schedule state: %s", error->message);
  else if (a->published && sa->names->len > 1)
    a->daemon->observer->agent_changed(a, (const char *const *)sa->names->pdata);
  g_ptr_array_unref(sa->names);
  g_free(sa);
}

void
agent_state_changed(Agent *a, const char *first_property, ...)
{
  StateAnnouncement *sa = g_new0(StateAnnouncement, 1);
  sa->agent = a;
  sa->names = g_ptr_array_new();
  va_list ap;
  va_start(ap, first_property);
  for (const char *p = first_property; p; p = va_arg(ap, const char *))
    g_ptr_array_add(sa->names, (gpointer)p);
  va_end(ap);
  g_ptr_array_add(sa->names, NULL);
  sa->tokens = agent_tokens_of(a->state);
  ShiftdStoreTxn *txn = shiftd_store_txn_new();
  shiftd_store_txn_put_agent(txn, a->state);
  /* announced once durable, like everything else */
  shiftd_store_commit(a->daemon->store, txn, state_committed, sa);
}
