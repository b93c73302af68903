#include "mcp-stdio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mcp-error.h"
#include "protocol.h"
#include "time-span.h"
#include "tool-shell.h"

/* A result larger than this is not something to hand a model. */
#define LINE_MAX_BYTES (16 * 1024 * 1024)
/* What is kept of its stderr, for the message when it dies. */
#define STDERR_TAIL 1024
/* How long a server gets to exit after its stdin closes, then after SIGTERM. */
#define EXIT_WAIT_USEC (500 * 1000)
#define TERM_WAIT_USEC (1500 * 1000)
#define POLL_TICK_MS 50

struct ShiftdMcpStdio {
  pid_t pid;
  int in_fd;  /* its stdin */
  int out_fd; /* its stdout */
  int err_fd; /* its stderr */
  ShiftdLineReader *reader;
  GString *err_tail;
  gboolean exited;  /* seen exiting, not yet reaped (so its group id stays ours) */
  siginfo_t how;
};

static GError *
broken(const char *format, ...) G_GNUC_PRINTF(1, 2);

static GError *
broken(const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *message = g_strdup_vprintf(format, ap);
  va_end(ap);
  return g_error_new_literal(SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_BROKEN, message);
}

G_GNUC_NORETURN static void
exec_server(char **argv, char **envp, const char *workdir, gboolean private_network, int in_fd, int out_fd,
            int err_fd)
{
  setpgid(0, 0);
  /* the worker's own death must not leave it running */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 || dup2(err_fd, STDERR_FILENO) < 0)
    _exit(126);
  if (chdir(workdir && *workdir ? workdir : "/") < 0) {
    static const char msg[] = "cannot enter the workspace directory\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    _exit(126);
  }
  if (private_network)
    shiftd_tool_shell_leave_network();
  execve(argv[0], argv, envp);
  int e = errno;
  char buf[512];
  int n = g_snprintf(buf, sizeof buf, "cannot run %s: %s\n", argv[0], g_strerror(e));
  ssize_t ignored = write(STDERR_FILENO, buf, n > 0 ? (size_t)MIN(n, (int)sizeof buf - 1) : 0);
  (void)ignored;
  _exit(127);
}

static void
close_pair(int fds[2])
{
  if (fds[0] >= 0)
    close(fds[0]);
  if (fds[1] >= 0)
    close(fds[1]);
}

ShiftdMcpStdio *
shiftd_mcp_stdio_spawn(char **argv, char **env, const char *workdir, gboolean private_network, GError **error)
{
  int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
    int e = errno;
    close_pair(in);
    close_pair(out);
    close_pair(err);
    g_propagate_error(error, broken("cannot start it: pipe: %s", g_strerror(e)));
    return NULL;
  }
  g_auto(GStrv) envp = g_get_environ();
  for (char **v = env; v && *v; v++) {
    g_autofree char *key = g_strndup(*v, (gsize)(strchr(*v, '=') - *v));
    envp = g_environ_setenv(envp, key, strchr(*v, '=') + 1, TRUE);
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close_pair(in);
    close_pair(out);
    close_pair(err);
    g_propagate_error(error, broken("cannot start it: fork: %s", g_strerror(e)));
    return NULL;
  }
  if (pid == 0)
    exec_server(argv, envp, workdir, private_network, in[0], out[1], err[1]);
  for (char **v = envp; *v; v++)
    memset(*v, 0, strlen(*v)); /* its secrets live in it, not in us */
  setpgid(pid, pid);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  ShiftdMcpStdio *s = g_new0(ShiftdMcpStdio, 1);
  s->pid = pid;
  s->in_fd = in[1];
  s->out_fd = out[0];
  s->err_fd = err[0];
  (void)fcntl(s->in_fd, F_SETFL, fcntl(s->in_fd, F_GETFL) | O_NONBLOCK);
  (void)fcntl(s->out_fd, F_SETFL, fcntl(s->out_fd, F_GETFL) | O_NONBLOCK);
  (void)fcntl(s->err_fd, F_SETFL, fcntl(s->err_fd, F_GETFL) | O_NONBLOCK);
  s->reader = shiftd_line_reader_new(LINE_MAX_BYTES);
  s->err_tail = g_string_new(NULL);
  return s;
}

/* Keeps the end of its stderr; FALSE at EOF. */
static gboolean
drain_stderr(ShiftdMcpStdio *s)
{
  char buf[4096];
  for (;;) {
    ssize_t n = read(s->err_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0;
    g_string_append_len(s->err_tail, buf, n);
    if (s->err_tail->len > STDERR_TAIL)
      g_string_erase(s->err_tail, 0, (gssize)(s->err_tail->len - STDERR_TAIL));
  }
}

/* Waits until deadline for it to exit, leaving it unreaped; TRUE once it has.
 * Its pidfd becomes readable when it exits, so the wait is a poll. */
static gboolean
wait_exit(ShiftdMcpStdio *s, guint64 deadline)
{
  int pidfd = s->exited ? -1 : pidfd_open(s->pid, 0);
  while (!s->exited) {
    siginfo_t info = { 0 };
    if (waitid(P_PID, (id_t)s->pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR) {
      s->exited = TRUE; /* ECHILD: nothing left to wait for */
      break;
    }
    if (info.si_pid == s->pid) {
      s->exited = TRUE;
      s->how = info;
      break;
    }
    guint64 now = shiftd_now_monotonic_usec();
    if (now >= deadline)
      break;
    int ms = (int)MIN((deadline - now + 999) / 1000, (guint64)G_MAXINT);
    if (pidfd >= 0) {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      (void)poll(&p, 1, ms);
    } else {
      g_usleep(MIN(ms, 10) * 1000); /* no pidfd (an old kernel): look again shortly */
    }
  }
  if (pidfd >= 0)
    close(pidfd);
  return s->exited;
}

/* Why it is gone, with the last line of its stderr. */
static GError *
exited(ShiftdMcpStdio *s)
{
  wait_exit(s, shiftd_now_monotonic_usec() + EXIT_WAIT_USEC);
  if (s->err_fd >= 0)
    drain_stderr(s);
  g_autofree char *how = NULL;
  if (!s->exited)
    how = g_strdup("closed its stdout");
  else if (s->how.si_code == CLD_EXITED)
    how = g_strdup_printf("exited with status %d", s->how.si_status);
  else if (s->how.si_code == CLD_KILLED || s->how.si_code == CLD_DUMPED)
    how = g_strdup_printf("was killed by signal %d (%s)", s->how.si_status, g_strsignal(s->how.si_status));
  else
    how = g_strdup("exited");
  g_autofree char *valid = g_utf8_make_valid(s->err_tail->str, (gssize)s->err_tail->len);
  g_strstrip(valid);
  char *last = strrchr(valid, '\n');
  const char *tail = last ? last + 1 : valid;
  return *tail ? broken("it %s: %s", how, tail) : broken("it %s", how);
}

/* Polls its fd for events, its stderr and the daemon's socket, until
 * deadline. 1: ready; 0: timed out; -1: error set. */
static int
wait_fd(ShiftdMcpStdio *s, ShiftdLink *link, int fd, short events, guint64 deadline, GError **error)
{
  for (;;) {
    guint64 now = shiftd_now_monotonic_usec();
    if (now >= deadline)
      return 0;
    int timeout_ms = (int)MIN((deadline - now + 999) / 1000, (guint64)G_MAXINT);
    struct pollfd pfd[3] = {
      { .fd = fd, .events = events },
      { .fd = shiftd_link_fd(link), .events = POLLIN },
      { .fd = s->err_fd, .events = POLLIN },
    };
    if (poll(pfd, s->err_fd >= 0 ? 3 : 2, timeout_ms) < 0 && errno != EINTR) {
      g_propagate_error(error, broken("poll: %s", g_strerror(errno)));
      return -1;
    }
    if (pfd[1].revents && !shiftd_link_pump(link, 0, error))
      return -1;
    if (s->err_fd >= 0 && pfd[2].revents && !drain_stderr(s)) {
      close(s->err_fd);
      s->err_fd = -1;
    }
    if (pfd[0].revents)
      return 1;
  }
}

static GError *
timed_out(void)
{
  return g_error_new_literal(SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_TIMEOUT, "no answer in time");
}

gboolean
shiftd_mcp_stdio_write(ShiftdMcpStdio *s, ShiftdLink *link, const char *line, guint64 deadline, GError **error)
{
  gsize len = strlen(line);
  while (len > 0) {
    ssize_t n = write(s->in_fd, line, len);
    if (n > 0) {
      line += n;
      len -= (gsize)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EPIPE) {
      g_propagate_error(error, exited(s));
      return FALSE;
    }
    if (n < 0 && errno != EAGAIN) {
      g_propagate_error(error, broken("cannot write to it: %s", g_strerror(errno)));
      return FALSE;
    }
    int r = wait_fd(s, link, s->in_fd, POLLOUT, deadline, error);
    if (r < 0)
      return FALSE;
    if (r == 0) {
      /* a half-written line cannot be taken back: the stream is lost */
      g_propagate_error(error, broken("it stopped reading its input"));
      return FALSE;
    }
  }
  return TRUE;
}

char *
shiftd_mcp_stdio_read(ShiftdMcpStdio *s, ShiftdLink *link, guint64 deadline, GError **error)
{
  for (;;) {
    char *line = shiftd_line_reader_pop(s->reader);
    if (line)
      return line;
    char buf[65536];
    ssize_t n = read(s->out_fd, buf, sizeof buf);
    if (n > 0) {
      g_autoptr(GError) local = NULL;
      if (!shiftd_line_reader_feed(s->reader, buf, (gsize)n, &local)) {
        g_propagate_error(error, broken("it wrote a line longer than %d MiB", LINE_MAX_BYTES / (1024 * 1024)));
        return NULL;
      }
      continue;
    }
    if (n == 0) {
      g_propagate_error(error, exited(s));
      return NULL;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN) {
      g_propagate_error(error, broken("cannot read from it: %s", g_strerror(errno)));
      return NULL;
    }
    int r = wait_fd(s, link, s->out_fd, POLLIN, deadline, error);
    if (r < 0)
      return NULL;
    if (r == 0) {
      g_propagate_error(error, timed_out());
      return NULL;
    }
  }
}

void
shiftd_mcp_stdio_free(ShiftdMcpStdio *s)
{
  if (s == NULL)
    return;
  /* The polite way first: stdio servers exit when their input ends. */
  close(s->in_fd);
  if (!wait_exit(s, shiftd_now_monotonic_usec() + EXIT_WAIT_USEC)) {
    kill(-s->pid, SIGTERM);
    wait_exit(s, shiftd_now_monotonic_usec() + TERM_WAIT_USEC);
  }
  /* What is left of its group goes; the leader is not reaped yet, so the
   * group id cannot have been reused. */
  kill(-s->pid, SIGKILL);
  while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  close(s->out_fd);
  if (s->err_fd >= 0)
    close(s->err_fd);
  shiftd_line_reader_free(s->reader);
  g_string_free(s->err_tail, TRUE);
  g_free(s);
}
