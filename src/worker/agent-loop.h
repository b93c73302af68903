/* The loop of docs/worker-protocol.md, steps 1-6: model calls and tools
 * until something ends the attempt. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "daemon-link.h"
#include "hello.h"

/* The ending message to send (done, no_work, ask or error), or NULL with the
 * link's error (cancel, EOF, a bad line from the daemon). */
JsonObject *shiftd_agent_loop_run(const ShiftdHello *hello, ShiftdLink *link, GError **error);
