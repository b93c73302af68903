/* The embedded backend: each worker a child of ours, in its own process group,
 * watched with an sd-event child source. It starts as the run's user with no
 * new privileges, inside bubblewrap with the view a worker unit would have
 * (bwrap-args.c) and the unit's syscall filter (syscall-filter.c). Without a
 * working bubblewrap the worker still drops to its user, and refuses the
 * tools that run commands, saying why. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-schedule.h"
#include "agent-watch.h"
#include "agent.h"
#include "backend.h"
#include "bwrap-args.h"
#include "log.h"
#include "path-watch.h"
#include "process-spawn.h"
#include "run.h"
#include "stderr-tail.h"
#include "syscall-filter.h"
#include "worker.h"

#define KILL_AFTER_USEC (1500 * 1000)
#define PROBE_TIMEOUT_MS 10000
#define NOBODY 65534

typedef struct {
  Backend base;
  char *bwrap; /* NULL: cannot confine (confine_error says why) */
  char *confine_error;
  int seccomp_fd;
  GHashTable *processes;    /* Worker* -> EmbeddedProcess* */
  GHashTable *wakes;        /* agent name -> EmbeddedWake* */
  GHashTable *path_watches; /* agent name -> EmbeddedPathWatch* */
} EmbeddedBackend;

/* The backend's own handles on one worker's process. */
typedef struct {
  Worker *worker; /* a reference, until the process is gone */
  sd_event_source *child_source;
  sd_event_source *kill_timer;
  StderrTail *tail;
} EmbeddedProcess;

static void
embedded_process_free(EmbeddedProcess *p)
{
  sd_event_source_disable_unref(p->child_source);
  sd_event_source_disable_unref(p->kill_timer);
  stderr_tail_free(p->tail);
  worker_unref(p->worker);
  g_free(p);
}

/* One agent's armed wake. */
typedef struct {
  EmbeddedBackend *backend;
  char *agent;
  sd_event_source *source;
} EmbeddedWake;

static void
embedded_wake_free(EmbeddedWake *w)
{
  sd_event_source_disable_unref(w->source);
  g_free(w->agent);
  g_free(w);
}

/* One agent's WatchPath=, followed with inotify. */
typedef struct {
  Daemon *daemon;
  char *agent;
  PathWatch *watch;
} EmbeddedPathWatch;

static void
embedded_path_watch_free(EmbeddedPathWatch *w)
{
  path_watch_free(w->watch);
  g_free(w->agent);
  g_free(w);
}

static const char *const passed_env[] = {
  "PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ",
  "SHIFTD_DEBUG", "JOURNAL_STREAM", "http_proxy", "https_proxy", "no_proxy",
  "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", NULL,
};
/* The daemon's own user's: another user's worker has no business with them. */
static const char *const own_user_env[] = { "HOME", "USER", "LOGNAME", "TMPDIR", NULL };

static void
add_env(GStrvBuilder *b, const char *name, const char *value)
{
  g_autofree char *entry = g_strdup_printf("%s=%s", name, value);
  g_strv_builder_add(b, entry);
}

/* Only what a worker needs: never the daemon's whole environment. */
static char **
worker_environment(Run *run, const LaunchSpec *spec)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  for (const char *const *name = passed_env; *name; name++)
    if (g_getenv(*name))
      add_env(b, *name, g_getenv(*name));
  if (spec->run_as->kind == RUN_AS_DAEMON) {
    for (const char *const *name = own_user_env; *name; name++)
      if (g_getenv(*name))
        add_env(b, *name, g_getenv(*name));
  } else {
    add_env(b, "HOME", spec->workspace ? spec->workspace : "/");
    add_env(b, "USER", spec->run_as->user ? spec->run_as->user : "");
    add_env(b, "LOGNAME", spec->run_as->user ? spec->run_as->user : "");
  }
  add_env(b, "SHIFTD_RUN", run->pending->name);
  /* its stderr comes to us; its log goes where ours does */
  if (shiftd_log_is_journal())
    add_env(b, "SHIFTD_LOG_JOURNAL", "1");
  return g_strv_builder_end(b);
}

/* bubblewrap reports a signal death as 128 + the signal. */
static char *
exit_status(EmbeddedBackend *eb, const siginfo_t *si)
{
  int status = si->si_status;
  if (si->si_code == CLD_EXITED) {
    if (status == 0)
      return NULL;
    if (eb->bwrap && status > 128 && status < 128 + 65 && sigabbrev_np(status - 128))
      return g_strdup_printf("worker killed by signal %s", sigabbrev_np(status - 128));
    return g_strdup_printf("worker exited with status %d", status);
  }
  const char *sig = sigabbrev_np(status);
  return g_strdup_printf("worker killed by signal %s", sig ? sig : "?");
}

/* The status, and the last thing it said on stderr: never only a number. */
static char *
exit_reason(EmbeddedBackend *eb, EmbeddedProcess *p, const siginfo_t *si)
{
  g_autofree char *status = exit_status(eb, si);
  if (p->tail)
    stderr_tail_drain(p->tail);
  const char *last = p->tail ? stderr_tail_last(p->tail) : NULL;
  return status && last ? g_strdup_printf("%s: %s", status, last) : g_steal_pointer(&status);
}

static int
on_child(sd_event_source *s, const siginfo_t *si, void *userdata)
{
  EmbeddedProcess *p = userdata;
  EmbeddedBackend *eb = (EmbeddedBackend *)p->worker->daemon->backend;
  Worker *w = worker_ref(p->worker);
  g_autofree char *reason = exit_reason(eb, p, si);
  /* Anything it left behind in its process group goes with it. */
  kill(-w->pid, SIGKILL);
  g_hash_table_remove(eb->processes, w);
  worker_process_exited(w, reason);
  worker_unref(w);
  return 0;
}

/* A descriptor of its own for the filter: bwrap reads it from the start. */
static int
reopen_filter(EmbeddedBackend *eb)
{
  g_autofree char *path = g_strdup_printf("/proc/self/fd/%d", eb->seccomp_fd);
  return open(path, O_RDONLY | O_CLOEXEC);
}

static gboolean
embedded_launch(Backend *b, Worker *w, int child_fd, const LaunchSpec *spec, GError **error)
{
  EmbeddedBackend *eb = (EmbeddedBackend *)b;
  Daemon *d = b->daemon;
  const RunAs *as = spec->run_as;
  int filter_fd = -1;
  g_auto(GStrv) argv = NULL;
  if (eb->bwrap) {
    filter_fd = reopen_filter(eb);
    if (filter_fd < 0) {
      int e = errno;
      close(child_fd);
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot reopen the syscall filter: %s",
                  g_strerror(e));
      return FALSE;
    }
    argv = bwrap_worker_argv(eb->bwrap, spec, d->worker_path);
  } else {
    argv = g_strdupv((char *[]){ d->worker_path, NULL });
  }
  int err_pipe[2] = { -1, -1 };
  if (pipe2(err_pipe, O_CLOEXEC) < 0) {
    int e = errno;
    close(child_fd);
    if (filter_fd >= 0)
      close(filter_fd);
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "pipe: %s", g_strerror(e));
    return FALSE;
  }
  g_auto(GStrv) envp = worker_environment(w->run, spec);
  ProcessSpawn ps = {
    .argv = argv,
    .envp = envp,
    .stdio_fd = child_fd,
    .stderr_fd = err_pipe[1],
    .pass_fd = filter_fd,
    .switch_user = as->kind != RUN_AS_DAEMON,
    .uid = as->uid,
    .gid = as->gid,
    .groups = (const gid_t *)as->groups->data,
    .n_groups = as->groups->len,
  };
  pid_t pid = process_spawn(&ps, error);
  close(child_fd);
  close(err_pipe[1]);
  if (filter_fd >= 0)
    close(filter_fd);
  if (pid < 0) {
    close(err_pipe[0]);
    return FALSE;
  }
  w->pid = pid;
  EmbeddedProcess *p = g_new0(EmbeddedProcess, 1);
  p->worker = worker_ref(w);
  p->tail = stderr_tail_new(d->event, err_pipe[0], NULL);
  int r = sd_event_add_child(d->event, &p->child_source, pid, WEXITED, on_child, p);
  if (r < 0) {
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
    embedded_process_free(p);
    g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "cannot watch worker %d: %s", (int)pid, g_strerror(-r));
    return FALSE;
  }
  g_hash_table_insert(eb->processes, w, p);
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
  EmbeddedProcess *p = g_hash_table_lookup(((EmbeddedBackend *)b)->processes, w);
  if (w->exited || w->pid <= 0 || p == NULL)
    return;
  kill(-w->pid, SIGTERM);
  p->kill_timer = sd_event_source_disable_unref(p->kill_timer);
  int r = sd_event_add_time_relative(b->daemon->event, &p->kill_timer, CLOCK_MONOTONIC, KILL_AFTER_USEC, 0,
                                     on_kill_timer, w);
  if (r < 0) {
    /* no timer to wait with: SIGKILL now rather than never */
    log_run(LOG_WARNING, w->run->pending->name, NULL, "cannot arm the kill timer of worker %d (%s); sending SIGKILL",
            (int)w->pid, g_strerror(-r));
    kill(-w->pid, SIGKILL);
  }
}

static int
on_wake_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
  EmbeddedWake *w = userdata;
  Daemon *d = w->backend->base.daemon;
  g_autofree char *agent = g_strdup(w->agent);
  g_hash_table_remove(w->backend->wakes, agent); /* one wake at a time: the core arms the next */
  agent_schedule_wake_named(d, agent, "timer");
  return 0;
}

/* One sd-event timer at the next wake: the daemon computes every wake
 * itself, so repeats and calendars need nothing more here. */
static void
embedded_arm_wake(Backend *b, const WakeSpec *spec)
{
  EmbeddedBackend *eb = (EmbeddedBackend *)b;
  EmbeddedWake *w = g_new0(EmbeddedWake, 1);
  w->backend = eb;
  w->agent = g_strdup(spec->agent);
  /* CLOCK_REALTIME: wake times are wall-clock times kept across restarts. */
  int r = sd_event_add_time(b->daemon->event, &w->source, CLOCK_REALTIME, spec->next_wake, 1000, on_wake_timer, w);
  if (r < 0) {
    log_run(LOG_WARNING, NULL, spec->agent, "cannot arm the wake-up: %s", g_strerror(-r));
    g_hash_table_remove(eb->wakes, spec->agent);
    embedded_wake_free(w);
    return;
  }
  g_hash_table_replace(eb->wakes, w->agent, w);
}

static void
embedded_disarm_wake(Backend *b, const char *agent)
{
  g_hash_table_remove(((EmbeddedBackend *)b)->wakes, agent);
}

static void
on_path_changed(const char *path, gpointer user_data)
{
  EmbeddedPathWatch *w = user_data;
  agent_watch_changed_named(w->daemon, w->agent, path);
}

static void
embedded_watch_paths(Backend *b, const char *agent, const char *const *paths)
{
  EmbeddedBackend *eb = (EmbeddedBackend *)b;
  EmbeddedPathWatch *old = g_hash_table_lookup(eb->path_watches, agent);
  if (paths == NULL || paths[0] == NULL) {
    g_hash_table_remove(eb->path_watches, agent);
    return;
  }
  if (old && g_strv_equal(path_watch_paths(old->watch), paths))
    return;
  EmbeddedPathWatch *w = g_new0(EmbeddedPathWatch, 1);
  w->daemon = b->daemon;
  w->agent = g_strdup(agent);
  g_autoptr(GError) error = NULL;
  w->watch = path_watch_new(b->daemon->event, paths, on_path_changed, w, &error);
  if (w->watch == NULL) {
    log_run(LOG_WARNING, NULL, agent, "cannot watch its paths: %s", error->message);
    embedded_path_watch_free(w);
    g_hash_table_remove(eb->path_watches, agent);
    return;
  }
  g_hash_table_replace(eb->path_watches, w->agent, w);
}

static const char *
embedded_wake_unit(Backend *b, const char *agent)
{
  return "";
}

static void
embedded_free(Backend *b)
{
  EmbeddedBackend *eb = (EmbeddedBackend *)b;
  if (eb->seccomp_fd >= 0)
    close(eb->seccomp_fd);
  g_hash_table_unref(eb->processes);
  g_hash_table_unref(eb->wakes);
  g_hash_table_unref(eb->path_watches);
  g_free(eb->bwrap);
  g_free(eb->confine_error);
  g_free(eb);
}

/* Waits for a child with a bound; FALSE (and the child killed) on timeout. */
static gboolean
wait_bounded(pid_t pid, int *status)
{
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd >= 0) {
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    int n;
    do
      n = poll(&p, 1, PROBE_TIMEOUT_MS);
    while (n < 0 && errno == EINTR);
    close(pidfd);
    if (n == 0) {
      kill(-pid, SIGKILL);
      waitpid(pid, NULL, 0);
      return FALSE;
    }
  }
  while (waitpid(pid, status, 0) < 0 && errno == EINTR)
    ;
  return TRUE;
}

/* Can bubblewrap confine a worker here, as the users workers run as? Asked
 * once at start: as "nobody" when we are root, else as ourselves. */
static char *
probe_bwrap(EmbeddedBackend *eb)
{
  const char *override = g_getenv("SHIFTD_BWRAP");
  g_autofree char *bwrap = override ? g_strdup(override) : g_find_program_in_path("bwrap");
  if (bwrap == NULL || bwrap[0] == '\0' || !g_file_test(bwrap, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup("bubblewrap (bwrap) is not installed");
  g_autoptr(GError) error = NULL;
  eb->seccomp_fd = syscall_filter_memfd(&error);
  if (eb->seccomp_fd < 0)
    return g_strdup_printf("cannot build the syscall filter: %s", error->message);

  int filter_fd = reopen_filter(eb);
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  char *argv[] = { bwrap, "--unshare-user", "--disable-userns", "--unshare-pid", "--die-with-parent",
                   "--new-session", "--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                   "--tmpfs", "/tmp", "--seccomp", "3", "--", "/bin/true", NULL };
  char *envp[] = { NULL };
  gid_t groups[] = { NOBODY };
  ProcessSpawn ps = {
    .argv = argv, .envp = envp, .stdio_fd = devnull, .stderr_fd = -1, .pass_fd = filter_fd,
    .switch_user = geteuid() == 0, .uid = NOBODY, .gid = NOBODY, .groups = groups, .n_groups = 1,
  };
  pid_t pid = filter_fd >= 0 && devnull >= 0 ? process_spawn(&ps, &error) : -1;
  int e = errno;
  if (devnull >= 0)
    close(devnull);
  if (filter_fd >= 0)
    close(filter_fd);
  if (pid < 0)
    return g_strdup_printf("cannot run %s: %s", bwrap, error ? error->message : g_strerror(e));
  int status = 0;
  if (!wait_bounded(pid, &status))
    return g_strdup_printf("%s did not finish a trial run", bwrap);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return g_strdup_printf("%s cannot make a sandbox here (its trial run failed with status %d; are "
                           "unprivileged user namespaces disabled?)",
                           bwrap, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  eb->bwrap = g_steal_pointer(&bwrap);
  return NULL;
}

Backend *
backend_embedded_new(Daemon *d)
{
  EmbeddedBackend *eb = g_new0(EmbeddedBackend, 1);
  eb->base.name = "embedded";
  eb->base.daemon = d;
  eb->base.launch = embedded_launch;
  eb->base.stop = embedded_stop;
  eb->base.arm_wake = embedded_arm_wake;
  eb->base.disarm_wake = embedded_disarm_wake;
  eb->base.wake_unit = embedded_wake_unit;
  eb->base.watch_paths = embedded_watch_paths;
  eb->wakes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)embedded_wake_free);
  eb->path_watches = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)embedded_path_watch_free);
  eb->base.free = embedded_free;
  eb->seccomp_fd = -1;
  eb->processes = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)embedded_process_free);
  eb->confine_error = probe_bwrap(eb);
  if (eb->confine_error) {
    log_warning("workers cannot be confined: %s; the tools that run commands (shell, WakeIf=) are refused",
                eb->confine_error);
    eb->base.confine_error = eb->confine_error;
  } else {
    log_info("workers are confined with %s", eb->bwrap);
  }
  return &eb->base;
}

void
backend_free(Backend *b)
{
  if (b)
    b->free(b);
}
