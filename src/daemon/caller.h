/* Who is calling, and what they may do. */
#pragma once

#include <systemd/sd-bus.h>
#include <sys/types.h>

#include "sd-glue.h"

#include "access-rules.h"
#include "daemon.h"


/* The credentials of m's sender, or why they cannot be had (creds NULL). */
typedef void (*CallerReady)(sd_bus_message *m, const CallerCreds *creds, const sd_bus_error *error,
                            gpointer user_data);

/* A unique name's credentials never change and names are never reused, so
 * each is asked once, asynchronously, and kept until the connection leaves
 * the bus. A filter holds every method call from a connection whose
 * credentials are still unknown and lets it through (in order) once they
 * are in, so handlers and property getters always find their caller's in
 * the cache: nothing on the loop waits for the bus. */
int caller_cache_init(Daemon *d);
void caller_cache_free(Daemon *d);
/* From the cache only; NULL when not known (the caller left the bus). */
const CallerCreds *caller_get(sd_bus_message *m);
/* The same, just the uid; -ENODATA when not known. */
int caller_get_uid(sd_bus_message *m, uid_t *ret_uid);
/* ready gets the sender's credentials: at once when they are cached, else
 * when the bus answers. */
void caller_lookup(sd_bus_message *m, CallerReady ready, gpointer user_data);
