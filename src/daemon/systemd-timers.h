/* The systemd backend's wake-ups: one transient timer per standing agent,
 * always named shiftd-agent-NAME.timer (so `systemctl list-timers` shows its
 * LAST and PASSED), whose service calls Scheduler.Wake on the daemon's bus.
 * When its times change it is stopped and made again under the same name,
 * once systemd has let go of the old one. Timers are PartOf= the daemon's
 * own unit, so stopping the service stops them too (else their next call
 * would start it again). */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

#include "backend.h"

#define SYSTEMD_TIMER_PREFIX "shiftd-agent-"

typedef struct SystemdTimers SystemdTimers;
/* The unit an agent's Timer shows changed. */
typedef void (*SystemdTimerShown)(const char *agent, gpointer user_data);

/* manager: where org.freedesktop.systemd1 answers (direct: its own socket,
 * whose messages carry no sender); bus_address: the daemon's bus, for the
 * timers' services to call back on. */
SystemdTimers *systemd_timers_new(sd_bus *manager, gboolean direct, const char *bus_address, SystemdTimerShown shown,
                                  gpointer shown_data, GError **error);
void systemd_timers_free(SystemdTimers *t);

/* (Re)arms the agent's timer as spec says, or leaves it when it already
 * fires then. */
void systemd_timers_arm(SystemdTimers *t, const WakeSpec *spec);
void systemd_timers_disarm(SystemdTimers *t, const char *agent);
/* What the agent's Timer shows: its unit while it is armed, else "". */
const char *systemd_timers_unit(SystemdTimers *t, const char *agent);
/* The daemon's own service unit, which the timers are PartOf=; NULL when none. */
const char *systemd_timers_part_of(SystemdTimers *t);
/* A timer of ours left from an earlier daemon: stopped, and its name free
 * again before any timer of that name is made. */
void systemd_timers_stop_leftover(SystemdTimers *t, const char *unit);
