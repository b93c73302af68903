/* The machine's state as the system bus tells it: UPower's OnBattery,
 * NetworkManager's Metered, power-profiles-daemon's ActiveProfile and
 * logind's PrepareForSleep, followed by their signals (never polled) on a
 * connection of its own to the system bus (in user mode too: those services
 * live there), and handed to the core (wake-hold.c, agent-schedule.c). A
 * service that is absent, or leaves, counts as "not holding"; the log says
 * so once. */
#pragma once

#include "daemon.h"

/* Connects (DBUS_SYSTEM_BUS_ADDRESS, else the system bus) and starts
 * following; no system bus is logged, not an error. Negative errno only
 * when the event loop refuses the connection. */
int machine_state_start(Daemon *d);
void machine_state_stop(void);
