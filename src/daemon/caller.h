/* Who is calling, and what they may do. */
#pragma once

#include <systemd/sd-bus.h>
#include <sys/types.h>

#include "sd-glue.h"

#include "daemon.h"

/* Forgets a connection's uid when it leaves the bus. */
int caller_cache_init(Daemon *d);
void caller_cache_free(Daemon *d);
/* The caller's uid, from the bus (never from the message body). A unique
 * name's uid never changes and names are never reused, so it is asked once. */
int caller_get_uid(sd_bus_message *m, uid_t *ret_uid);
