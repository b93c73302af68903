#include "process-spawn.h"

#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the child tells the parent through the close-on-exec pipe when a step
 * fails; a successful exec closes the pipe with nothing written. */
typedef struct {
  int step;
  int error;
} ChildFailure;

enum { STEP_FDS = 1, STEP_GROUPS, STEP_GID, STEP_UID, STEP_NO_NEW_PRIVS, STEP_EXEC };

static const char *
step_name(int step)
{
  switch (step) {
  case STEP_FDS: return "set up its file descriptors";
  case STEP_GROUPS: return "set its groups";
  case STEP_GID: return "switch group";
  case STEP_UID: return "switch user";
  case STEP_NO_NEW_PRIVS: return "set no-new-privileges";
  case STEP_EXEC: return "exec";
  }
  return "start";
}

G_GNUC_NORETURN static void
child_fail(int report_fd, int step)
{
  ChildFailure f = { step, errno };
  ssize_t ignored = write(report_fd, &f, sizeof f);
  (void)ignored;
  _exit(127);
}

G_GNUC_NORETURN static void
child(const ProcessSpawn *s, int report_fd)
{
  (void)setpgid(0, 0);
  static const int defaults[] = { SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD };
  for (gsize i = 0; i < G_N_ELEMENTS(defaults); i++)
    signal(defaults[i], SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  /* the report pipe must not land on 0 to 3 */
  if (report_fd <= 3) {
    int moved = fcntl(report_fd, F_DUPFD_CLOEXEC, 4);
    if (moved < 0)
      _exit(127);
    report_fd = moved;
  }
  int pass = s->pass_fd;
  if (pass >= 0 && pass <= 2) {
    pass = fcntl(pass, F_DUPFD_CLOEXEC, 4);
    if (pass < 0)
      child_fail(report_fd, STEP_FDS);
  }
  if (dup2(s->stdio_fd, STDIN_FILENO) < 0 || dup2(s->stdio_fd, STDOUT_FILENO) < 0 ||
      (s->stderr_fd >= 0 && dup2(s->stderr_fd, STDERR_FILENO) < 0))
    child_fail(report_fd, STEP_FDS);
  if (pass >= 0 && dup2(pass, 3) < 0)
    child_fail(report_fd, STEP_FDS);
  /* a dup2() onto itself keeps close-on-exec: clear it on what is handed over */
  for (int fd = 0; fd <= (pass >= 0 ? 3 : 2); fd++)
    (void)fcntl(fd, F_SETFD, 0);
  /* nothing else of the daemon's goes along */
  int first = pass >= 0 ? 4 : 3;
  if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    /* kernels before 5.11 (no CLOSE_RANGE_CLOEXEC) or without close_range:
     * one by one, as far as the limit lets fds go */
    if (errno != ENOSYS && errno != EINVAL)
      child_fail(report_fd, STEP_FDS);
    struct rlimit rl;
    int last = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < INT_MAX
                 ? (int)rl.rlim_cur
                 : 65536;
    for (int fd = first; fd < last; fd++)
      (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
  }

  if (s->switch_user) {
    if (setgroups(s->n_groups, s->groups) < 0)
      child_fail(report_fd, STEP_GROUPS);
    if (setresgid(s->gid, s->gid, s->gid) < 0)
      child_fail(report_fd, STEP_GID);
    if (setresuid(s->uid, s->uid, s->uid) < 0)
      child_fail(report_fd, STEP_UID);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    child_fail(report_fd, STEP_NO_NEW_PRIVS);
  execve(s->argv[0], s->argv, s->envp);
  child_fail(report_fd, STEP_EXEC);
}

pid_t
process_spawn(const ProcessSpawn *s, GError **error)
{
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "pipe: %s", g_strerror(e));
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(report[0]);
    close(report[1]);
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "fork: %s", g_strerror(e));
    return -1;
  }
  if (pid == 0) {
    close(report[0]);
    child(s, report[1]);
  }
  close(report[1]);
  (void)setpgid(pid, pid); /* also here, so the group exists whichever runs first */

  ChildFailure f = { 0 };
  ssize_t n;
  do
    n = read(report[0], &f, sizeof f);
  while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == (ssize_t)sizeof f) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
    if (f.step == STEP_UID || f.step == STEP_GID || f.step == STEP_GROUPS)
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(f.error), "cannot %s to %u:%u: %s", step_name(f.step),
                  (unsigned)s->uid, (unsigned)s->gid, g_strerror(f.error));
    else
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(f.error), "cannot %s %s: %s", step_name(f.step),
                  s->argv[0], g_strerror(f.error));
    return -1;
  }
  return pid;
}
