/* A JSON-RPC 2.0 session with one MCP server (stdio or streamable HTTP):
 * the handshake, then one request at a time. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "daemon-link.h"
#include "mcp-config.h"

typedef struct ShiftdMcpClient ShiftdMcpClient;

/* Starts the server (in workdir, "" = /; without the network when
 * private_network) or opens its HTTP session, then
 * initialize and notifications/initialized. server is not owned and must
 * outlive the client. Server failures are SHIFTD_MCP_ERROR (mcp-error.h);
 * the link's errors stay SHIFTD_WORKER_ERROR. */
ShiftdMcpClient *shiftd_mcp_client_start(const ShiftdMcpServer *server, const char *workdir,
                                         gboolean private_network, ShiftdLink *link, GError **error);
/* Whether the server said it has tools. */
gboolean shiftd_mcp_client_has_tools(ShiftdMcpClient *c);
/* Sends a request (params consumed, may be NULL) and waits, up to the
 * server's Timeout=, for its result (transfer full). The server's own
 * requests meanwhile are answered (ping) or refused; its notifications are
 * dropped. After a timeout the request is cancelled with
 * notifications/cancelled and the session goes on. */
JsonObject *shiftd_mcp_client_request(ShiftdMcpClient *c, ShiftdLink *link, const char *method, JsonObject *params,
                                      GError **error);
/* Stops the server (stdio) or ends the session (HTTP). */
void shiftd_mcp_client_free(ShiftdMcpClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdMcpClient, shiftd_mcp_client_free)
