/* The systemd backend's WatchPath=: one transient path unit per agent that
 * watches paths, named shiftd-watch-NAME.path, with PathChanged= for each
 * path; its service calls Scheduler.PathChanged on the daemon's bus, the way
 * the timers' services call Scheduler.Wake. systemd watches for a path that
 * is not there yet itself. When the paths change the unit is stopped and made
 * again under its name, once systemd has let go of the old one. PartOf= the
 * daemon's own unit, like the timers. */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

#define SYSTEMD_WATCH_PREFIX "shiftd-watch-"

typedef struct SystemdWatches SystemdWatches;

/* manager: where org.freedesktop.systemd1 answers; bus_address: the daemon's
 * bus, for the path units' services to call back on; part_of: the daemon's
 * own service unit, or NULL. */
SystemdWatches *systemd_watches_new(sd_bus *manager, const char *bus_address, const char *part_of);
void systemd_watches_free(SystemdWatches *w);
/* Makes, keeps or re-makes the agent's path unit for these paths; NULL (or
 * none) stops it. */
void systemd_watches_set(SystemdWatches *w, const char *agent, const char *const *paths);
