/* One model step: a slot from the daemon, the request (Chat Completions or
 * the Anthropic Messages API, as the hello's provider says), and the retries
 * (backoff, Retry-After, the slot given back while waiting). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "chat-reply.h"
#include "daemon-link.h"
#include "hello.h"

/* Sends the `model_call` event and the `note`s for retries. Fails with
 * SHIFTD_WORKER_ERROR_FAILED and the last reason once retries are spent, or
 * with the link's error. */
ShiftdChatReply *shiftd_model_call(ShiftdLink *link, const ShiftdHello *hello,
                                   JsonArray *messages, JsonArray *tools, guint step,
                                   guint64 *out_elapsed_usec, GError **error);
