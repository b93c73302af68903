/* The properties that make a worker's transient unit its sandbox: the full
 * hardening set (systemd-analyze security rates it 2.0 or less), its user
 * (User=, or DynamicUser= with a StateDirectory=), and its view of the
 * filesystem (the daemon's state, config and key hidden; its workspace,
 * notes and ReadWritePaths= writable). */
#pragma once

#include <systemd/sd-bus.h>

#include "launch-spec.h"

int worker_unit_append_sandbox(sd_bus_message *m, const LaunchSpec *spec, const char *worker_path);
