/* The set of agents: the built-in default and the files of agents.d. */
#pragma once

#include <glib.h>

#include "daemon.h"

void agent_registry_init(Daemon *d);
void agent_registry_free(Daemon *d);
/* Agents by name (not owned). */
GPtrArray *agent_registry_sorted(Daemon *d);
/* Re-reads agents.d; returns one line per refused file ("FILE:LINE: reason"). */
GPtrArray *agent_registry_reload(Daemon *d);

guint64 agent_next_wake(Agent *agent);
