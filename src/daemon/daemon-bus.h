/* The daemon's D-Bus objects. */
#pragma once

#include "daemon.h"
#include "run-engine.h"

/* The bus side of the core's observer (DaemonObserver). */
extern const DaemonObserver daemon_bus_observer;
void run_bus_published(Run *run, const ShiftdRunRow *old, GArray *events);
void run_bus_summary_changed(Run *run);
void run_bus_unlisted(Run *run);
void agent_bus_published(Agent *agent);
void agent_bus_unpublished(Agent *agent);
void agent_bus_changed(Agent *agent, const char *const *properties);

int manager_bus_register(Daemon *d);
int run_bus_register(Daemon *d);
int agent_bus_register(Daemon *d);

/* A node enumerator's answer: malloc'd copies of the paths (not owned). */
int bus_paths_to_nodes(GPtrArray *paths, char ***nodes);

/* The one front door: StartRun, TriggerAgent and Agent.Trigger all come here.
 * Replies (so) once the receipt is durable; returns 1, or a negative errno
 * with error set. */
int bus_start_run(Daemon *d, sd_bus_message *m, Agent *agent, const char *task, ShiftdRunTrigger trigger,
                  const RunOptions *options, sd_bus_error *error);

/* Agent.Trigger and Manager.TriggerAgent: a manual run of the agent's task. */
int agent_bus_trigger(Agent *agent, sd_bus_message *m, sd_bus_error *error);
