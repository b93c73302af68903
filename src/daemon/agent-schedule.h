/* When standing agents wake: the schedule, idle backoff, skipped overlaps.
 * The backend only arms the wake-up (an sd-event timer or a transient timer). */
#pragma once

#include "daemon.h"

/* Arms every agent's next wake; a wake missed while shiftd was down happens now. */
void agent_schedule_start(Daemon *d);
/* Recomputes the agent's next wake and (re)arms it, or disarms it. */
void agent_schedule_arm(Agent *agent);
void agent_schedule_disarm(Agent *agent);
/* The wake-up fired (timer or Scheduler.Wake). */
void agent_schedule_wake(Agent *agent, const char *source);
/* The machine resumed from a suspend: wakes that fell due while it slept
 * run once each, with the missed-wake note. */
void agent_schedule_resumed(Daemon *d);
/* The same, from a backend, which knows its agents by name. */
void agent_schedule_wake_named(Daemon *d, const char *name, const char *source);
/* A run reached its final state: idle backoff or reset. */
void agent_schedule_run_finished(Run *run);
