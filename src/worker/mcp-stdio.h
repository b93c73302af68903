/* An MCP server on stdio: a child of the worker (so it has the worker's
 * sandbox and identity) that reads JSON-RPC lines on stdin and writes them on
 * stdout. Every wait is bounded by a deadline and notices the daemon's cancel. */
#pragma once

#include <glib.h>

#include "daemon-link.h"

typedef struct ShiftdMcpStdio ShiftdMcpStdio;

/* Starts argv[0] with env added to the worker's environment, in workdir
 * ("" = /), in a process group of its own, without the network when
 * private_network (as the shell tool's commands). SHIFTD_MCP_ERROR_BROKEN. */
ShiftdMcpStdio *shiftd_mcp_stdio_spawn(char **argv, char **env, const char *workdir, gboolean private_network,
                                       GError **error);
/* Writes line (with its '\n') before deadline (monotonic µs). */
gboolean shiftd_mcp_stdio_write(ShiftdMcpStdio *s, ShiftdLink *link, const char *line, guint64 deadline,
                                GError **error);
/* The next line the server writes (transfer full), waiting until deadline:
 * NULL with SHIFTD_MCP_ERROR_TIMEOUT, _BROKEN (it exited: its status and the
 * end of its stderr are in the message) or the link's error. */
char *shiftd_mcp_stdio_read(ShiftdMcpStdio *s, ShiftdLink *link, guint64 deadline, GError **error);
/* Closes its stdin, then SIGTERM, then SIGKILL after a short bound; reaps it. */
void shiftd_mcp_stdio_free(ShiftdMcpStdio *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdMcpStdio, shiftd_mcp_stdio_free)
