/* The events a step reports: model_reply, tool_call, tool_result
 * (docs/worker-protocol.md gives their members and size limits). */
#pragma once

#include <glib.h>

#include "chat-reply.h"
#include "daemon-link.h"

gboolean shiftd_event_model_reply(ShiftdLink *link, guint step, const ShiftdChatReply *reply,
                                  guint64 elapsed_usec, GError **error);
gboolean shiftd_event_tool_call(ShiftdLink *link, guint step, const ShiftdToolCall *call, GError **error);
gboolean shiftd_event_tool_result(ShiftdLink *link, guint step, const ShiftdToolCall *call, gboolean ok,
                                  const char *result, GError **error);
