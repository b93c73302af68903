/* Wakes held while the machine says wait (wake-defer.c has the rules): what
 * holds now (machine-state.c tells, from UPower, NetworkManager,
 * power-profiles-daemon and logind), each agent's held wakes, their
 * MaxDefer= timers and the agent's Deferred. Any kind of wake can be held,
 * the schedule's or a path's: the caller says how to let it go. Held wakes
 * live in memory only: after a restart a held scheduled wake is a missed
 * one, and held again from the time it was due. */
#pragma once

#include "daemon.h"

typedef struct WakeHolds WakeHolds;

/* Lets a held wake go: it is to run now. `source` is the one it was held
 * with ("timer", "missed"), or "suspended" when it fell due while the
 * machine slept; `due` when it fell due; `note` how long it was held and
 * why, for the run's first note, or NULL when only a sleep held it. */
typedef void (*WakeHoldRelease)(Agent *agent, const char *source, guint64 due, const char *note);

void wake_holds_init(Daemon *d);
void wake_holds_free(Daemon *d);

/* What holds now (WakeCondition bits): wakes whose conditions ended run,
 * Deferred follows. Until the first call (the services' first answers),
 * the wakes of agents with any of the keys are held: what holds is not
 * known yet. */
void wake_holds_set_conditions(Daemon *d, guint holding);
/* logind: the machine is going to sleep (TRUE) or has resumed (FALSE).
 * Wakes that fall due in between wait for the resume. */
void wake_holds_set_asleep(Daemon *d, gboolean asleep);
/* The agents changed (a reload): held wakes follow their keys as they are
 * now, and those of agents that went are dropped. */
void wake_holds_reevaluate(Daemon *d);

/* A wake of the agent, of this kind ("schedule", "watch"), due at `due`
 * (0: now), from `source`, would run now. TRUE when it is held instead, to
 * be let go through release: one of its conditions holds (and MaxDefer= has
 * not passed since it was due), what holds is not known yet, or the machine
 * is going to sleep; also when a wake of its kind is held already (it then
 * stands for both). */
gboolean wake_hold(Agent *agent, const char *kind, const char *source, guint64 due, WakeHoldRelease release);
/* The agent's Deferred: why a wake of it is held, "" when none is (or only
 * a sleep holds it). Not owned. */
const char *wake_hold_deferred(Agent *agent);
