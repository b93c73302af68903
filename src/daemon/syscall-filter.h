/* The embedded backend's counterpart of a worker unit's SystemCallFilter=
 * @system-service ~@privileged, RestrictAddressFamilies=AF_UNIX AF_INET
 * AF_INET6: a seccomp program for bubblewrap's --seccomp. */
#pragma once

#include <glib.h>

/* A sealed memfd holding the BPF program (close-on-exec; the launcher hands it
 * to bwrap), or -1 with an error. */
int syscall_filter_memfd(GError **error);
