/* The tools of an attempt's MCP servers: started at the attempt's start,
 * offered to the model as SERVER__TOOL next to the built-ins, called with
 * each server's Timeout=, and stopped when the attempt ends. A server that
 * fails is reported once as a `note` event and answers every later call
 * with why it is not running. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "chat-reply.h"
#include "daemon-link.h"
#include "hello.h"

typedef struct ShiftdMcpTools ShiftdMcpTools;

/* Starts every server of hello->mcp and lists its tools. Fails only with
 * the link's errors; a server's failure is a note. hello must outlive it. */
ShiftdMcpTools *shiftd_mcp_tools_start(const ShiftdHello *hello, ShiftdLink *link, GError **error);
/* Appends the OpenAI schemas of the servers' tools to tools. */
void shiftd_mcp_tools_add_schemas(ShiftdMcpTools *t, JsonArray *tools);
/* Whether name is one of theirs (SERVER__…). */
gboolean shiftd_mcp_tools_owns(ShiftdMcpTools *t, const char *name);
/* Runs one call: *ok and *text (transfer full) are its result. Fails only
 * with the link's errors. */
gboolean shiftd_mcp_tools_call(ShiftdMcpTools *t, ShiftdLink *link, const ShiftdToolCall *call, gboolean *ok,
                               char **text, GError **error);
/* Stops every server. */
void shiftd_mcp_tools_free(ShiftdMcpTools *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdMcpTools, shiftd_mcp_tools_free)

/* SERVER__TOOL with every byte outside [A-Za-z0-9_-] made "_", cut to 64
 * (what the chat APIs accept as a function name). */
char *shiftd_mcp_tool_name(const char *server, const char *tool);
