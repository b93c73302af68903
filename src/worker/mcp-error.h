/* How a request to an MCP server can fail, apart from the link's own errors
 * (SHIFTD_WORKER_ERROR: cancel, EOF), which end the attempt. */
#pragma once

#include <glib.h>

#define SHIFTD_MCP_ERROR (shiftd_mcp_error_quark())
GQuark shiftd_mcp_error_quark(void);

typedef enum {
  /* The server cannot be used any more: it did not start, died, or
   * answered something that is not MCP. */
  SHIFTD_MCP_ERROR_BROKEN,
  /* No answer within the server's Timeout=; the request was cancelled. */
  SHIFTD_MCP_ERROR_TIMEOUT,
  /* The server answered with a JSON-RPC error. */
  SHIFTD_MCP_ERROR_RPC,
} ShiftdMcpError;
