/* The worker's end of the protocol socket (docs/worker-protocol.md): protocol
 * lines in and out, message ids, and waits that always notice `cancel` and EOF.
 *
 * Every call that waits fails with SHIFTD_WORKER_ERROR_CANCELLED,
 * _CLOSED or _PROTOCOL as soon as that happens. Cancel and EOF are sticky;
 * after a bad line the link still works, so the `error` ending can be sent. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct ShiftdLink ShiftdLink;

ShiftdLink *shiftd_link_new(int in_fd, int out_fd);
void shiftd_link_free(ShiftdLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdLink, shiftd_link_free)

/* Adds a secret, masked as "***" in every line sent, whatever put it there
 * (keys shorter than 8 bytes are not masked: that would mangle the JSON). */
void shiftd_link_set_secret(ShiftdLink *link, const char *secret);
/* The fd to watch for input from the daemon. */
int shiftd_link_fd(ShiftdLink *link);

/* Waits for the first line, which must be `hello`. */
JsonObject *shiftd_link_read_hello(ShiftdLink *link, GError **error);

/* Sends a message; every type but want_slot/free_slot gets the next "id",
 * returned in out_id (may be NULL). */
gboolean shiftd_link_send(ShiftdLink *link, JsonObject *message, gint64 *out_id, GError **error);
/* `event` with kind and data (data is taken). */
gboolean shiftd_link_send_event(ShiftdLink *link, const char *kind, JsonObject *data, GError **error);

/* Handles whatever the daemon sent, waiting up to timeout_ms (-1 = forever)
 * for something to arrive. */
gboolean shiftd_link_pump(ShiftdLink *link, int timeout_ms, GError **error);

/* want_slot, then wait for `slot`. */
gboolean shiftd_link_acquire_slot(ShiftdLink *link, GError **error);
/* free_slot, when a slot is held. */
gboolean shiftd_link_release_slot(ShiftdLink *link, GError **error);
gboolean shiftd_link_holds_slot(ShiftdLink *link);

/* Waits until message `id` is acked; FALSE without error when timeout_usec passes. */
gboolean shiftd_link_wait_ack(ShiftdLink *link, gint64 id, guint64 timeout_usec, GError **error);
/* Sends a request (start_run) and waits for the daemon's `reply` with its id
 * (transfer full). */
JsonObject *shiftd_link_request(ShiftdLink *link, JsonObject *message, GError **error);
/* Waits usec, returning early only with an error. */
gboolean shiftd_link_sleep(ShiftdLink *link, guint64 usec, GError **error);
