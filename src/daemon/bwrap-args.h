/* bubblewrap's command line for a worker in the embedded backend: the view a
 * worker unit gets from systemd (worker-unit.c), by other means. The system
 * read-only, /dev and /proc private, /tmp private, the daemon's state dir an
 * empty read-only one with the workspace and notes bound into it, its config
 * and key file gone, no capabilities, no more namespaces, its own session,
 * and the syscall filter read from fd 3. */
#pragma once

#include <glib.h>

#include "launch-spec.h"

/* NULL-terminated argv, argv[0] = bwrap. */
GStrv bwrap_worker_argv(const char *bwrap, const LaunchSpec *spec, const char *worker_path);
