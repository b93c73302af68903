/* fork + exec for the embedded backend, with what posix_spawn cannot do: the
 * child leaves root for the run's user (groups, gid, uid) and sets no-new-
 * privileges before exec. Everything the child needs is prepared before the
 * fork, so between fork and exec it makes system calls only. */
#pragma once

#include <glib.h>
#include <sys/types.h>

typedef struct {
  char **argv;          /* argv[0] is the file to run */
  char **envp;
  int stdio_fd;         /* becomes stdin and stdout */
  int stderr_fd;        /* becomes stderr (-1: the daemon's own) */
  int pass_fd;          /* becomes fd 3 (-1: none) */
  gboolean switch_user; /* setgroups/setresgid/setresuid to these first */
  uid_t uid;
  gid_t gid;
  const gid_t *groups;
  gsize n_groups;
} ProcessSpawn;

/* The child's pid (leader of a process group of its own), or -1 with an error
 * saying which step failed (a failed exec or user switch is reported here,
 * not as an exit status). */
pid_t process_spawn(const ProcessSpawn *spec, GError **error);
