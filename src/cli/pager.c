#include "pager.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli-context.h"

static pid_t pager_pid;
static int saved_stdout = -1;
static int saved_stderr = -1;

const char *
cli_pager_from_env(const char *shiftctl_pager, const char *pager)
{
  const char *chosen = shiftctl_pager != NULL ? shiftctl_pager : pager;
  if (chosen == NULL)
    return NULL;
  g_autofree char *trimmed = g_strstrip(g_strdup(chosen));
  if (trimmed[0] == '\0' || g_str_equal(trimmed, "cat"))
    return "";
  return chosen;
}

/* In the child, which only makes async-signal-safe calls (the bus
 * connection has threads): whatever pager there is, or a plain copy. */
G_GNUC_NORETURN static void
exec_pager(const char *command)
{
  if (command != NULL) {
    execl("/bin/sh", "sh", "-c", command, (char *)NULL);
  } else {
    execlp("less", "less", (char *)NULL);
    execlp("more", "more", (char *)NULL);
  }
  char buf[4096];
  ssize_t n;
  while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) != n)
      break;
  _exit(EXIT_SUCCESS);
}

void
cli_pager_open(void)
{
  if (pager_pid > 0)
    return;
  const char *command = cli_pager_from_env(g_getenv("SHIFTCTL_PAGER"), g_getenv("PAGER"));
  if (command != NULL && command[0] == '\0')
    return;

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0)
    return;
  /* for the pager only: nothing else is started from here */
  if (g_getenv("LESS") == NULL)
    g_setenv("LESS", "FRX", TRUE);
  if (g_getenv("LESSCHARSET") == NULL && g_str_equal(nl_langinfo(CODESET), "UTF-8"))
    g_setenv("LESSCHARSET", "utf-8", TRUE);
  fflush(stdout);
  fflush(stderr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return;
  }
  if (pid == 0) {
    /* the pager goes when we go; Ctrl-C is its to handle (less keeps going) */
    (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
      _exit(EXIT_FAILURE);
    signal(SIGINT, SIG_DFL);
    if (dup2(fds[0], STDIN_FILENO) < 0)
      _exit(EXIT_FAILURE);
    exec_pager(command);
  }
  close(fds[0]);
  saved_stdout = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (isatty(STDERR_FILENO))
    saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  (void)dup2(fds[1], STDOUT_FILENO);
  if (saved_stderr >= 0)
    (void)dup2(fds[1], STDERR_FILENO);
  close(fds[1]);
  pager_pid = pid;
}

void
cli_pager_close(void)
{
  if (pager_pid <= 0)
    return;
  fflush(stdout);
  fflush(stderr);
  /* the pipe's last write end goes: the pager sees the end of the output */
  if (saved_stdout >= 0) {
    (void)dup2(saved_stdout, STDOUT_FILENO);
    close(saved_stdout);
    saved_stdout = -1;
  }
  if (saved_stderr >= 0) {
    (void)dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    saved_stderr = -1;
  }
  while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
    ;
  pager_pid = 0;
}

void
cli_page(CliContext *ctx)
{
  if (ctx->pager_allowed)
    cli_pager_open();
}
