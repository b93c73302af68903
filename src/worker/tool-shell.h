/* The shell tool: /bin/sh -c in the workspace, in its own process group,
 * with a time limit and an output cap. */
#pragma once

#include <glib.h>

#include "daemon-link.h"

typedef struct {
  const char *command;
  const char *workdir;   /* "" = / */
  guint64 timeout_usec;  /* 0 = none */
  gsize output_cap;
  gboolean private_network; /* the command may make no socket but AF_UNIX */
} ShiftdShellRequest;

/* Fills *ok (exit status 0) and *text (status line and output). Fails only
 * with the link's errors; the command is killed then. */
gboolean shiftd_tool_shell(ShiftdLink *link, const ShiftdShellRequest *request,
                           gboolean *ok, char **text, GError **error);

/* Kills the running command's process group; async-signal-safe, for a SIGTERM handler. */
void shiftd_tool_shell_kill_running(void);

/* In a forked child about to exec: no socket but AF_UNIX from now on
 * (PrivateNetwork=yes for what tools run); exits 126 if that cannot be had. */
void shiftd_tool_shell_leave_network(void);
