/* The set of agents: the built-in default and the files of agents.d. */
#pragma once

#include <glib.h>

#include "agent.h"
#include "daemon.h"

/* Reads agents.d (and their saved state); refused files are logged. */
void agent_registry_init(Daemon *d);
/* Marks the agents as on the bus (their objects are served from now on). */
void agent_registry_publish(Daemon *d);
void agent_registry_free(Daemon *d);
/* Agents by name (not owned). */
GPtrArray *agent_registry_sorted(Daemon *d);
/* Re-reads agents.d; returns one line per refused file ("FILE:LINE: reason"). */
GPtrArray *agent_registry_reload(Daemon *d);

static inline guint64
agent_next_wake(Agent *agent)
{
  return agent->state->next_wake;
}
