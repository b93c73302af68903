/* Appending transient-unit properties (StartTransientUnit's a(sv)) whose
 * D-Bus types are more than one basic value. Each returns an sd-bus errno. */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

#define SYSTEMD_NAME "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
/* A transient unit's name may stay taken a moment after the old one's stop
 * (StartTransientUnit says UnitExists): ask again this often, so many times. */
#define UNIT_EXISTS_RETRY_USEC (50 * 1000)
#define UNIT_EXISTS_RETRIES 100

/* ExecStart=: a(sasb), one command, failures not ignored. */
int unit_append_exec(sd_bus_message *m, const char *key, const char *const *argv);
/* as: Environment=, ReadWritePaths=, InaccessiblePaths=, StateDirectory=... */
int unit_append_strv(sd_bus_message *m, const char *key, char **values);
/* (bas): SystemCallFilter=, RestrictAddressFamilies=; allow = FALSE for "~". */
int unit_append_list(sd_bus_message *m, const char *key, gboolean allow, char **values);
/* a(ssbt): BindPaths=/BindReadOnlyPaths=, each path onto itself; one written
 * "-PATH" is skipped when it is not there (ReadWritePaths=-PATH). */
int unit_append_binds(sd_bus_message *m, const char *key, GPtrArray *paths);
/* The same with one source bound onto every path. */
int unit_append_binds_from(sd_bus_message *m, const char *key, const char *source, GPtrArray *paths);
/* a(ss): TemporaryFileSystem=PATH:OPTIONS. */
int unit_append_tmpfs(sd_bus_message *m, const char *path, const char *options);
/* StartTransientUnit's aux units, a(sa(sv)): one oneshot service running
 * argv (the timers' and path units' call back into shiftd); no_start_limit
 * sets StartLimitIntervalUSec=0, for a unit started as often as it fires. */
int unit_append_oneshot_aux(sd_bus_message *m, const char *service, const char *description, const char *const *argv,
                            gboolean no_start_limit);
