/* The embedded backend's WatchPath=: inotify on each path, with the path
 * unit's sense of a change (systemd.path(5) PathChanged=): for a directory,
 * a file in it created, written and closed, moved in or out, deleted, or its
 * attributes changed; for a file, the same of the file itself. A path that is
 * not there yet is watched for from its nearest existing ancestor, and its
 * appearing is a change; so is its going. Knows nothing of agents. */
#pragma once

#include <glib.h>
#include <systemd/sd-event.h>

typedef struct PathWatch PathWatch;
/* One or more changes of `path` (one call per batch the kernel hands over). */
typedef void (*PathWatchChanged)(const char *path, gpointer user_data);

/* paths: absolute and canonical (not owned). Fails only when the event loop
 * or inotify cannot be had; a path it cannot see (EACCES) is logged and
 * watched for from where it can. */
PathWatch *path_watch_new(sd_event *event, const char *const *paths, PathWatchChanged changed, gpointer user_data,
                          GError **error);
void path_watch_free(PathWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PathWatch, path_watch_free)
/* The paths it follows (NULL-terminated, owned by it). */
const char *const *path_watch_paths(PathWatch *watch);
