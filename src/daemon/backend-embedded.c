/* The embedded backend: fork/exec (posix_spawn) of shiftd-worker in its own
 * process group, watched with an sd-event child source. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-schedule.h"
#include "agent.h"
#include "backend.h"
#include "log.h"
#include "run.h"
#include "worker.h"

#define KILL_AFTER_USEC (1500 * 1000)

extern char **environ;

static const char *const passed_env[] = {
  "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
  "SHIFTD_DEBUG", "JOURNAL_STREAM", "http_proxy", "https_proxy", "no_proxy",
  "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", NULL,
};

/* Only what a worker needs: never the daemon's whole environment. */
static char **
worker_environment(Run *run)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  for (const char *const *name = passed_env; *name; name++) {
    const char *v = g_getenv(*name);
    if (v) {
      g_autofree char *entry = g_strdup_printf("%s=%s", *name, v);
      g_strv_builder_add(b, entry);
    }
  }
  g_autofree char *run_entry = g_strdup_printf("SHIFTD_RUN=%s", run->pending->name);
  g_strv_builder_add(b, run_entry);
  return g_strv_builder_end(b);
}

static int
on_child(sd_event_source *s, const siginfo_t *si, void *userdata)
{
  Worker *w = userdata;
  g_autofree char *reason = NULL;
  if (si->si_code == CLD_EXITED) {
    if (si->si_status != 0)
      reason = g_strdup_printf("worker exited with status %d", si->si_status);
  } else {
    const char *sig = sigabbrev_np(si->si_status);
    reason = g_strdup_printf("worker killed by signal %s", sig ? sig : "?");
  }
  /* Anything it left behind in its process group goes with it. */
  kill(-w->pid, SIGKILL);
  w->child_source = sd_event_source_disable_unref(w->child_source);
  worker_process_exited(w, reason);
  worker_unref(w);
  return 0;
}

static gboolean
embedded_launch(Backend *b, Worker *w, int child_fd, const char *const *writable_paths, GError **error)
{
  Daemon *d = b->daemon;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&fa, child_fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, child_fd, STDOUT_FILENO);

  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGHUP);
  sigaddset(&defaults, SIGCHLD);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  char *argv[] = { d->worker_path, NULL };
  g_auto(GStrv) envp = worker_environment(w->run);
  pid_t pid = 0;
  int r = posix_spawn(&pid, d->worker_path, &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(child_fd);
  if (r != 0) {
    g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "cannot start %s: %s", d->worker_path, g_strerror(r));
    return FALSE;
  }
  w->pid = pid;

  r = sd_event_add_child(d->event, &w->child_source, pid, WEXITED, on_child, worker_ref(w));
  if (r < 0) {
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
    worker_unref(w);
    g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "cannot watch worker %d: %s", (int)pid, g_strerror(-r));
    return FALSE;
  }
  return TRUE;
}

static int
on_kill_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
  Worker *w = userdata;
  if (!w->exited && w->pid > 0) {
    log_run(LOG_WARNING, w->run->pending->name, NULL, "worker %d did not stop after SIGTERM; sending SIGKILL",
            (int)w->pid);
    kill(-w->pid, SIGKILL);
  }
  return 0;
}

static void
embedded_stop(Backend *b, Worker *w)
{
  if (w->exited || w->pid <= 0)
    return;
  kill(-w->pid, SIGTERM);
  w->kill_timer = sd_event_source_disable_unref(w->kill_timer);
  sd_event_add_time_relative(b->daemon->event, &w->kill_timer, CLOCK_MONOTONIC, KILL_AFTER_USEC, 0, on_kill_timer, w);
}

static int
on_wake_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
  Agent *a = userdata;
  a->wake_source = sd_event_source_disable_unref(a->wake_source);
  agent_schedule_wake(a, "timer");
  return 0;
}

static void
embedded_arm_wake(Backend *b, Agent *a)
{
  a->wake_source = sd_event_source_disable_unref(a->wake_source);
  /* CLOCK_REALTIME: wake times are wall-clock times kept across restarts. */
  int r = sd_event_add_time(b->daemon->event, &a->wake_source, CLOCK_REALTIME, a->state->next_wake, 1000,
                            on_wake_timer, a);
  if (r < 0)
    log_run(LOG_WARNING, NULL, a->name, "cannot arm the wake-up: %s", g_strerror(-r));
}

static void
embedded_disarm_wake(Backend *b, Agent *a)
{
  a->wake_source = sd_event_source_disable_unref(a->wake_source);
}

static void
embedded_free(Backend *b)
{
  g_free(b);
}

Backend *
backend_embedded_new(Daemon *d)
{
  Backend *b = g_new0(Backend, 1);
  b->name = "embedded";
  b->daemon = d;
  b->launch = embedded_launch;
  b->stop = embedded_stop;
  b->arm_wake = embedded_arm_wake;
  b->disarm_wake = embedded_disarm_wake;
  b->free = embedded_free;
  return b;
}

void
backend_free(Backend *b)
{
  if (b)
    b->free(b);
}
