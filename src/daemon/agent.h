/* Agents: the built-in `default` and the standing agents of agents.d. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "agent-file.h"
#include "daemon.h"
#include "run-as.h"
#include "run-row.h"

/* Model tokens as the store has them: what the bus shows, while the state
 * (which budgets are kept against) may hold counts still on their way. */
typedef struct {
  guint64 total;
  guint64 today;
  guint64 day; /* the local midnight that began the day of `today` */
} AgentTokens;

struct Agent {
  Daemon *daemon;
  char *name;
  char *path;
  AgentConfig *config;  /* never NULL: the built-in default has one too */
  RunAs *user;          /* its User=, resolved when the file loaded; NULL when none (or not root) */
  char *schedule;       /* Schedule property: "every 15min", an OnCalendar spec, "" */
  ShiftdAgentState *state;
  gboolean published;   /* its object is on the bus */
  AgentTokens tokens_stored;
  struct AgentWatch *watch; /* agent-watch.c's, while its WatchPath= is followed */
};

Agent *agent_new(Daemon *d, AgentConfig *config /* owned */, RunAs *user /* owned, nullable */,
                 const ShiftdAgentState *saved);
Agent *agent_new_default(Daemon *d);
/* The built-in default agent: no file, no schedule, the built-in tools only. */
AgentConfig *agent_default_config(void);
void agent_free(Agent *agent);
/* Takes a reloaded file; TRUE when anything that affects the schedule changed. */
gboolean agent_update_config(Agent *agent, AgentConfig *config /* owned */, RunAs *user /* owned, nullable */);

Agent *daemon_find_agent(Daemon *d, const char *name);
/* The state's token counts, as a snapshot to be stored. */
AgentTokens agent_tokens_of(const ShiftdAgentState *state);


/* The transient timer unit arming its wakes ("" in the embedded backend). */
const char *agent_timer_unit(Agent *agent);
/* Who owns the agent's scheduled runs: its User= in system mode (root when
 * none), else the daemon's user. */
guint32 agent_run_owner(Agent *agent);
/* It wakes by itself: a timer or WatchPath=. */
gboolean agent_has_schedule(Agent *agent);
/* The run of this agent that is queued, running or waiting, if any. */
Run *agent_live_run(Agent *agent);
/* The backend changed something it shows on the agent (its Timer). */
void agent_backend_changed(Daemon *d, const char *agent, const char *property);
/* Persists the schedule state and announces what changed (property names, NULL-terminated). */
void agent_state_changed(Agent *agent, const char *first_property, ...) G_GNUC_NULL_TERMINATED;
