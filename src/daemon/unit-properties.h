/* Appending transient-unit properties (StartTransientUnit's a(sv)) whose
 * D-Bus types are more than one basic value. Each returns an sd-bus errno. */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

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
