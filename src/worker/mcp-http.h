/* An MCP server over streamable HTTP: each JSON-RPC message is POSTed to the
 * server's URL; the reply is one JSON message, an SSE stream of them, or
 * nothing (202). The Mcp-Session-Id of the first reply goes with every
 * later request. */
#pragma once

#include <glib.h>

#include "daemon-link.h"

typedef struct ShiftdMcpHttp ShiftdMcpHttp;

ShiftdMcpHttp *shiftd_mcp_http_new(const char *url);
/* Sent as MCP-Protocol-Version once the handshake agreed on one. */
void shiftd_mcp_http_set_protocol_version(ShiftdMcpHttp *h, const char *version);
/* POSTs body; *messages gets the JSON texts the reply carried (transfer
 * full). SHIFTD_MCP_ERROR_TIMEOUT, _BROKEN (HTTP errors and transport
 * failures), or the link's error. */
gboolean shiftd_mcp_http_post(ShiftdMcpHttp *h, ShiftdLink *link, const char *body, guint64 timeout_usec,
                              GPtrArray **messages, GError **error);
/* Ends the session (a DELETE, as the spec asks) and frees. */
void shiftd_mcp_http_free(ShiftdMcpHttp *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdMcpHttp, shiftd_mcp_http_free)
