/* Path wakes (WatchPath=): a backend follows the paths (inotify, or a systemd
 * path unit) and says when one changed; this file makes the wake of it. A
 * burst of changes is one wake (watch-rules.c); a change while the agent has
 * a live run is one wake after that run ends; a wake inside the quiet hours
 * waits for their end. The run's Trigger is "watch". */
#pragma once

#include "daemon.h"

typedef struct AgentWatch AgentWatch;

/* Follows the agent's paths while it is enabled and has WatchPath=; else
 * stops following them and forgets a pending wake. Cheap when nothing changed. */
void agent_watch_arm(Agent *agent);
void agent_watch_disarm(Agent *agent);
/* A backend saw a change under the named agent's WatchPath= (source: who says so). */
void agent_watch_changed_named(Daemon *d, const char *name, const char *source);
/* A run of the agent ended: a wake held for it happens now. */
void agent_watch_run_finished(Agent *agent);
void agent_watch_free(AgentWatch *watch);
