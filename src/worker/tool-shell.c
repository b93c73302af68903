#include "tool-shell.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "time-span.h"

/* Without a pidfd (kernels before 5.3) the child's exit is checked this often. */
#define NO_PIDFD_TICK_MS 50

static volatile sig_atomic_t running_pgid = 0;

void
shiftd_tool_shell_kill_running(void)
{
  pid_t pgid = running_pgid;
  if (pgid > 0)
    kill(-pgid, SIGKILL);
}

static int
open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
  return (int)syscall(SYS_pidfd_open, pid, 0);
#else
  errno = ENOSYS;
  return -1;
#endif
}

/* Has the child exited? Leaves it unreaped. */
static gboolean
child_exited(pid_t pid)
{
  siginfo_t info = { 0 };
  if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
    return errno == ECHILD;
  return info.si_pid == pid;
}

static void
child_fail(const char *what, int err)
{
  char buf[256];
  int n = snprintf(buf, sizeof buf, "shell: %s: %s\n", what, strerror(err));
  ssize_t ignored = write(STDERR_FILENO, buf, n > 0 ? (size_t)n : 0);
  (void)ignored;
  _exit(126);
}

/* PrivateNetwork=yes: the command, not the worker (which must reach the
 * model), loses the network. A namespace is not to be had inside the
 * worker's sandbox (no new namespaces there), so a seccomp filter refuses
 * every socket but AF_UNIX, and io_uring, which could make one past it. */
#if defined(__x86_64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_AARCH64
#else
#error "add this architecture's AUDIT_ARCH_* for the no-network filter"
#endif
/* x32 calls come with this bit set, on the same audit architecture */
#define X32_SYSCALL_BIT 0x40000000

static const struct sock_filter no_network[] = {
  BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_NATIVE, 1, 0),
  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
  BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
  BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1),
  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 1, 0),
  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  /* the domain: an int, so the low half of args[0] (little-endian) */
  BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1),
  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT),
};

void
shiftd_tool_shell_leave_network(void)
{
  struct sock_fprog prog = { .len = G_N_ELEMENTS(no_network), .filter = (struct sock_filter *)no_network };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
    child_fail("cannot cut the command off the network (PrivateNetwork=yes)", errno);
}

G_GNUC_NORETURN static void
exec_child(const ShiftdShellRequest *req, int out_fd)
{
  setpgid(0, 0);
  /* The worker ignores SIGPIPE; commands expect the default. */
  signal(SIGPIPE, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  int devnull = open("/dev/null", O_RDONLY);
  if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
      dup2(out_fd, STDERR_FILENO) < 0)
    _exit(126);
  const char *dir = (req->workdir && *req->workdir) ? req->workdir : "/";
  if (chdir(dir) < 0) {
    static const char msg[] = "shell: cannot enter the workspace directory\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    _exit(126);
  }
  if (req->private_network)
    shiftd_tool_shell_leave_network();
  execl("/bin/sh", "sh", "-c", req->command, (char *)NULL);
  _exit(127);
}

typedef struct {
  GString *kept;
  gsize dropped;
  gsize cap;
  gboolean eof;
} Output;

/* Reads what the pipe holds; beyond the cap it is counted and dropped, so
 * the command never blocks on a full pipe. */
static void
drain(int fd, Output *out)
{
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return; /* EAGAIN: nothing more for now */
    if (n == 0) {
      out->eof = TRUE;
      return;
    }
    gsize room = out->cap > out->kept->len ? out->cap - out->kept->len : 0;
    gsize take = MIN(room, (gsize)n);
    g_string_append_len(out->kept, buf, (gssize)take);
    out->dropped += (gsize)n - take;
  }
}

static char *
describe(int status, gboolean timed_out, guint64 timeout_usec, Output *out)
{
  GString *s = g_string_new(NULL);
  if (timed_out) {
    g_autofree char *limit = shiftd_time_span_format(timeout_usec);
    g_string_append_printf(s, "timed out after %s; the command was killed\n", limit);
  } else if (WIFEXITED(status)) {
    g_string_append_printf(s, "exit status %d\n", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    g_string_append_printf(s, "killed by signal %d (%s)\n", WTERMSIG(status), strsignal(WTERMSIG(status)));
  }
  /* The model reads text: no NULs, valid UTF-8. */
  for (gsize i = 0; i < out->kept->len; i++)
    if (out->kept->str[i] == '\0')
      out->kept->str[i] = '?';
  g_autofree char *valid = g_utf8_make_valid(out->kept->str, (gssize)out->kept->len);
  g_string_append(s, valid);
  if (out->dropped > 0)
    g_string_append_printf(s, "\n[output truncated: %" G_GSIZE_FORMAT " more bytes not shown]", out->dropped);
  return g_string_free(s, FALSE);
}

gboolean
shiftd_tool_shell(ShiftdLink *link, const ShiftdShellRequest *req, gboolean *ok, char **text, GError **error)
{
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) {
    *ok = FALSE;
    *text = g_strdup_printf("could not run the command: pipe: %s", g_strerror(errno));
    return TRUE;
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(pipefd[0]);
    close(pipefd[1]);
    *ok = FALSE;
    *text = g_strdup_printf("could not run the command: fork: %s", g_strerror(e));
    return TRUE;
  }
  if (pid == 0)
    exec_child(req, pipefd[1]);

  setpgid(pid, pid); /* also here, so kill(-pid) works whichever runs first */
  running_pgid = pid;
  close(pipefd[1]);
  int out_fd = pipefd[0];
  (void)fcntl(out_fd, F_SETFL, fcntl(out_fd, F_GETFL) | O_NONBLOCK);
  int pidfd = open_pidfd(pid);

  Output out = { .kept = g_string_new(NULL), .cap = req->output_cap };
  guint64 deadline = req->timeout_usec ? shiftd_now_monotonic_usec() + req->timeout_usec : G_MAXUINT64;
  gboolean exited = FALSE, timed_out = FALSE, link_ok = TRUE;
  int status = 0;

  while (!exited) {
    guint64 now = shiftd_now_monotonic_usec();
    if (now >= deadline) {
      timed_out = TRUE;
      break;
    }
    int timeout_ms = deadline == G_MAXUINT64 ? -1 : (int)MIN((deadline - now + 999) / 1000, (guint64)G_MAXINT);
    if (pidfd < 0 && (timeout_ms < 0 || timeout_ms > NO_PIDFD_TICK_MS))
      timeout_ms = NO_PIDFD_TICK_MS;

    struct pollfd pfd[3];
    int n = 0;
    pfd[n++] = (struct pollfd){ .fd = shiftd_link_fd(link), .events = POLLIN };
    int out_i = -1, pid_i = -1;
    if (!out.eof) {
      out_i = n;
      pfd[n++] = (struct pollfd){ .fd = out_fd, .events = POLLIN };
    }
    if (pidfd >= 0) {
      pid_i = n;
      pfd[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
    }
    if (poll(pfd, (nfds_t)n, timeout_ms) < 0 && errno != EINTR)
      break;

    if (pfd[0].revents && !shiftd_link_pump(link, 0, error)) {
      link_ok = FALSE;
      break;
    }
    if (out_i >= 0 && pfd[out_i].revents)
      drain(out_fd, &out);
    if (pidfd < 0 || (pid_i >= 0 && pfd[pid_i].revents))
      exited = child_exited(pid);
  }

  /* Whatever is left of the group (background jobs, or all of it on a timeout)
   * goes; the leader is not reaped yet, so its group id cannot be reused. */
  kill(-pid, SIGKILL);
  running_pgid = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  drain(out_fd, &out);
  close(out_fd);
  if (pidfd >= 0)
    close(pidfd);

  if (link_ok) {
    *ok = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    *text = describe(status, timed_out, req->timeout_usec, &out);
  }
  g_string_free(out.kept, TRUE);
  return link_ok;
}
