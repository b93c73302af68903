/* Who is calling, and what they may do. */
#pragma once

#include <systemd/sd-bus.h>
#include <sys/types.h>

#include "sd-glue.h"

#include "daemon.h"

/* The caller's uid, from the bus (never from the message body). */
int caller_get_uid(sd_bus_message *m, uid_t *ret_uid);
/* Owner, root and the daemon's own user may read and act on a run. */
int caller_may_access(Daemon *d, uid_t uid, uid_t owner);
