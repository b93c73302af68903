/* shiftd: the receptionist. Owns org.shiftd.Shift1, keeps every run's record,
 * hands out model slots, launches and watches workers, never waits on them. */
#include "build-config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "access.h"
#include "agent-registry.h"
#include "agent-schedule.h"
#include "agent-tokens.h"
#include "agent.h"
#include "backend.h"
#include "bus-errors.h"
#include "caller.h"
#include "daemon-bus.h"
#include "launch-spec.h"
#include "log.h"
#include "machine-state.h"
#include "run-delegation.h"
#include "run-engine.h"
#include "run-retention.h"
#include "run-table.h"
#include "run.h"
#include "sd-glue.h"
#include "shiftd-names.h"
#include "slot-limiter.h"
#include "store-file.h"
#include "time-span.h"
#include "wake-hold.h"
#include "worker.h"

/* A clean stop waits this long for workers before giving up on them. */
#define STOP_GRACE_USEC (3 * G_USEC_PER_SEC)

/* Exit statuses at start (sysexits.h). Each refusal is one log line and one
 * of these; the units restart on none of the three (RestartPreventExitStatus=),
 * since starting again cannot help until someone acts:
 *  - EX_CONFIG (78): shiftd.conf, the ApiKeyFile, agents.d or the command
 *    line (which under a unit is configuration too) is wrong.
 *  - EX_DATAERR (65): the store is damaged, half there or not ours. Starting
 *    with an empty store instead could issue a run name a second time.
 *  - EX_TEMPFAIL (75): another shiftd holds the state directory's lock. It is
 *    "temporary": the same start works once that one has stopped, but that
 *    one is not ours to wait for, so neither the unit nor we retry.
 * Anything else that stops a start (no bus, out of memory) exits 1, which
 * the units may restart. */
#define EXIT_CONFIG EX_CONFIG
#define EXIT_STORE_REFUSED EX_DATAERR
#define EXIT_STATE_BUSY EX_TEMPFAIL
#define EXIT_FAILURE_OTHER 1

/* How long a daemon that cannot start spends answering the calls that were
 * waiting for it. */
#define FAILED_START_ANSWER_USEC (2 * G_USEC_PER_SEC)

/* Why the start failed: logged once, and told to callers waiting on activation. */
typedef struct {
  int status;
  char *reason;
  gboolean bus_unreachable; /* nobody to tell */
} StartFailure;

static StartFailure start_failure;
/* Held from before the store is opened until the process ends. */
static ShiftdStateLock *state_lock;

static int
start_failed(int status, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static int
start_failed(int status, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  log_error("%s", text);
  start_failure.status = status;
  g_free(start_failure.reason);
  start_failure.reason = g_steal_pointer(&text);
  return status;
}

typedef struct {
  gboolean system;
  gboolean user;
  char *address;
  char *backend;
  char *config_dir;
  char *state_dir;
  gboolean debug;
  gboolean version;
} Options;

static gboolean
parse_options(int *argc, char ***argv, Options *o, GError **error)
{
  GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &o->system, "System mode: the system bus, /etc/shiftd, /var/lib/shiftd", NULL },
    { "user", 0, 0, G_OPTION_ARG_NONE, &o->user, "User mode: the session bus, XDG config and state dirs", NULL },
    { "address", 0, 0, G_OPTION_ARG_STRING, &o->address, "Connect to this bus instead", "ADDRESS" },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &o->backend, "How workers are started: auto, systemd or embedded", "NAME" },
    { "config-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->config_dir, "Read shiftd.conf and agents.d from DIR", "DIR" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->state_dir, "Keep the store in DIR", "DIR" },
    { "debug", 0, 0, G_OPTION_ARG_NONE, &o->debug, "Log debug messages", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- the shiftd daemon");
  g_option_context_set_summary(ctx, "Runs AI agents as persistent, addressable background work.");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, argc, argv, error))
    return FALSE;
  if (*argc > 1) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "unexpected argument \"%s\"", (*argv)[1]);
    return FALSE;
  }
  if (o->system && o->user) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--system and --user exclude each other");
    return FALSE;
  }
  return TRUE;
}

/* Values that parse but cannot be used; the bus is known by now, so callers
 * waiting on activation can be told. */
static gboolean
check_option_values(const Options *o, GError **error)
{
  if (o->backend && !g_strv_contains((const char *const[]){ "auto", "systemd", "embedded", NULL }, o->backend)) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--backend=%s: unknown backend (auto, systemd, embedded)",
                o->backend);
    return FALSE;
  }
  const char *dirs[][2] = { { "--config-dir", o->config_dir }, { "--state-dir", o->state_dir } };
  for (guint i = 0; i < G_N_ELEMENTS(dirs); i++)
    if (dirs[i][1] && dirs[i][1][0] == '\0') {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s= is empty", dirs[i][0]);
      return FALSE;
    }
  return TRUE;
}

/* A system service has INVOCATION_ID but, unlike a user service, no MANAGERPID. */
static DaemonMode
default_mode(const Options *o)
{
  if (o->system)
    return DAEMON_MODE_SYSTEM;
  if (o->user || o->address)
    return DAEMON_MODE_USER;
  if (geteuid() == 0 && g_getenv("INVOCATION_ID") && !g_getenv("MANAGERPID"))
    return DAEMON_MODE_SYSTEM;
  return DAEMON_MODE_USER;
}

static char *
first_dir(const char *env_name)
{
  const char *v = g_getenv(env_name);
  if (v == NULL || *v == '\0')
    return NULL;
  g_auto(GStrv) parts = g_strsplit(v, ":", 2);
  return g_strdup(parts[0]);
}

static void
resolve_dirs(Daemon *d, const Options *o)
{
  if (d->mode == DAEMON_MODE_SYSTEM) {
    d->config_dir = o->config_dir ? g_strdup(o->config_dir) : first_dir("CONFIGURATION_DIRECTORY");
    if (d->config_dir == NULL)
      d->config_dir = g_strdup(SHIFTD_SYSCONFDIR);
    d->state_dir = o->state_dir ? g_strdup(o->state_dir) : first_dir("STATE_DIRECTORY");
    if (d->state_dir == NULL)
      d->state_dir = g_strdup(SHIFTD_LOCALSTATEDIR);
  } else {
    d->config_dir = o->config_dir ? g_strdup(o->config_dir) : g_build_filename(g_get_user_config_dir(), "shiftd", NULL);
    d->state_dir = o->state_dir ? g_strdup(o->state_dir) : g_build_filename(g_get_user_state_dir(), "shiftd", NULL);
  }
  /* Workers and their sandboxes see these from elsewhere (bubblewrap binds
   * them, units name them): a relative path would mean something else there. */
  char **dirs[] = { &d->config_dir, &d->state_dir };
  for (guint i = 0; i < G_N_ELEMENTS(dirs); i++)
    if (!g_path_is_absolute(*dirs[i])) {
      char *relative = *dirs[i];
      *dirs[i] = g_canonicalize_filename(relative, NULL);
      g_free(relative);
    }
}

/* SHIFTD_WORKER_PATH, else beside the build's other outputs, else installed. */
static char *
find_worker(void)
{
  const char *env = g_getenv("SHIFTD_WORKER_PATH");
  if (env && *env)
    return g_strdup(env);
  g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
  if (exe) {
    g_autofree char *dir = g_path_get_dirname(exe);
    g_autofree char *sibling = g_build_filename(dir, "..", "worker", "shiftd-worker", NULL);
    if (g_file_test(sibling, G_FILE_TEST_IS_EXECUTABLE))
      return g_canonicalize_filename(sibling, NULL);
  }
  return g_build_filename(SHIFTD_LIBEXECDIR, "shiftd-worker", NULL);
}

/* The key file, or a systemd credential; it goes to workers over their socket only. */
static gboolean
read_api_key(Daemon *d, GError **error)
{
  g_autofree char *path = NULL;
  if (d->config->model_api_key_file && d->config->model_api_key_file[0])
    path = g_strdup(d->config->model_api_key_file);
  else if (g_getenv("CREDENTIALS_DIRECTORY")) {
    path = g_build_filename(g_getenv("CREDENTIALS_DIRECTORY"), "model-api-key", NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
      g_clear_pointer(&path, g_free);
  }
  if (path == NULL)
    return TRUE;
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, error)) {
    g_prefix_error(error, "ApiKeyFile: ");
    return FALSE;
  }
  d->api_key = g_strdup(g_strstrip(text));
  shiftd_log_add_secret(d->api_key);
  return TRUE;
}

/* A missing agents.d is no agents; one that is there but cannot be read is
 * a configuration error, not a silent start without the agents. (Bad agent
 * files are reported by the registry and leave the others live.) */
static gboolean
check_agents_dir(Daemon *d, GError **error)
{
  g_autofree char *dir = g_build_filename(d->config_dir, "agents.d", NULL);
  g_autoptr(GError) local = NULL;
  g_autoptr(GDir) gdir = g_dir_open(dir, 0, &local);
  if (gdir || g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return TRUE;
  g_set_error(error, G_FILE_ERROR, local->code, "agents.d: %s", local->message);
  return FALSE;
}

static int
on_stop_grace(sd_event_source *s, uint64_t usec, void *userdata)
{
  Daemon *d = userdata;
  log_warning("%u worker(s) did not stop in time; exiting anyway", d->live_workers);
  shiftd_store_flush(d->store);
  sd_event_exit(d->event, 0);
  return 0;
}

static int
on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
  Daemon *d = userdata;
  if (d->stopping)
    return 0;
  log_info("stopping (signal %s)", sigabbrev_np(si->ssi_signo) ? sigabbrev_np(si->ssi_signo) : "?");
  sd_notify(0, "STOPPING=1");
  d->stopping = TRUE;
  run_retention_stop(d);
  engine_stop_all(d);
  int r = sd_event_add_time_relative(d->event, &d->stop_timer, CLOCK_MONOTONIC, STOP_GRACE_USEC, 0, on_stop_grace,
                                     d);
  /* no grace without a timer: a worker that ignores SIGTERM would keep us for ever */
  if (r < 0)
    log_warning("cannot arm the stop timer (%s); not waiting for workers", g_strerror(-r));
  if (r < 0 && d->live_workers > 0)
    return on_stop_grace(NULL, 0, d);
  daemon_check_stopped(d);
  return 0;
}

static int
on_reload_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
  Daemon *d = userdata;
  sd_notify(0, "RELOADING=1");
  g_autoptr(GPtrArray) problems = agent_registry_reload(d);
  for (guint i = 0; i < problems->len; i++)
    log_warning("%s", (char *)g_ptr_array_index(problems, i));
  sd_notify(0, "READY=1");
  return 0;
}

static int
on_store_ready(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
  Daemon *d = userdata;
  shiftd_store_dispatch(d->store);
  return 0;
}

/* systemd whenever a manager answers on our bus (or when asked), else embedded. */
static gboolean
choose_backend(Daemon *d, const char *wanted, GError **error)
{
  gboolean available = !g_str_equal(wanted, "embedded") && backend_systemd_available(d);
  if (g_str_equal(wanted, "systemd") && !available) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                "--backend=systemd: no systemd manager (org.freedesktop.systemd1) answers on this bus");
    return FALSE;
  }
  if (available) {
    d->backend = backend_systemd_new(d, error);
    return d->backend != NULL;
  }
  d->backend = backend_embedded_new(d);
  return TRUE;
}

static int
connect_bus(Daemon *d, const Options *o)
{
  _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
  int r;
  if (o->address) {
    r = sd_bus_new(&bus);
    if (r < 0)
      return r;
    r = sd_bus_set_address(bus, o->address);
    if (r < 0)
      return r;
    r = sd_bus_set_bus_client(bus, 1);
    if (r < 0)
      return r;
    r = sd_bus_start(bus);
  } else if (d->mode == DAEMON_MODE_SYSTEM) {
    r = sd_bus_open_system(&bus);
  } else {
    r = sd_bus_open_user(&bus);
  }
  if (r < 0)
    return r;
  r = sd_bus_attach_event(bus, d->event, SD_EVENT_PRIORITY_NORMAL);
  if (r < 0)
    return r;
  r = sd_bus_set_exit_on_disconnect(bus, 1);
  if (r < 0)
    return r;
  d->bus = sd_bus_ref(bus);
  return 0;
}

static void
daemon_free(Daemon *d)
{
  if (d->store)
    shiftd_store_flush(d->store);
  for (GList *l = d->live_runs.head; l; l = l->next) {
    Run *run = l->data;
    if (run->worker)
      worker_unref(g_steal_pointer(&run->worker));
  }
  run_retention_stop(d);
  agent_tokens_stop(d);
  sd_event_source_disable_unref(d->store_source);
  sd_event_source_disable_unref(d->launch_source);
  sd_event_source_disable_unref(d->stop_timer);
  machine_state_stop();
  wake_holds_free(d);
  if (d->bus) {
    sd_bus_flush(d->bus);
    sd_bus_close_unref(d->bus);
  }
  caller_cache_free(d);
  access_free();
  launch_spec_forget();
  delegation_forget();
  shiftd_store_close(d->store);
  run_table_free(d);
  agent_registry_free(d);
  slot_limiter_free(d->slots);
  backend_free(d->backend);
  sd_event_unref(d->event);
  shiftd_config_free(d->config);
  g_free(d->api_key);
  g_free(d->config_dir);
  g_free(d->state_dir);
  g_free(d->worker_path);
  if (d->rand)
    g_rand_free(d->rand);
}

/* systemd tells dbus-daemon that an activation failed only when it cannot
 * even queue the start job (systemd#28877), not when the service then exits,
 * so a caller that activated us would wait for its own timeout (25 s). So a
 * daemon that cannot start takes the name for a moment, answers every call
 * already waiting for it with the reason, and exits. (On the system bus the
 * reason stays in the journal: only its kind goes to callers, who may be
 * any user.) The units are Type=notify, so that moment is not a start: the
 * job fails with our exit status, which the units do not restart on. */
typedef struct {
  const char *text;
  guint answered;
} FailedStartAnswer;

static int
on_call_while_failing(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  FailedStartAnswer *a = userdata;
  if (!sd_bus_message_is_method_call(m, NULL, NULL))
    return 0;
  /* the name dbus-daemon itself gives an activated service that exited */
  (void)sd_bus_reply_method_errorf(m, "org.freedesktop.DBus.Error.Spawn.ChildExited", "%s", a->text);
  a->answered++;
  return 1;
}

static const char *
failure_kind(int status)
{
  switch (status) {
  case EXIT_CONFIG: return "configuration error";
  case EXIT_STORE_REFUSED: return "its store is damaged or incomplete";
  case EXIT_STATE_BUSY: return "another shiftd is using its state directory";
  default: return "start-up failure";
  }
}

/* Returns the connection that holds the name, to be closed just before the
 * exit: when the name goes first, systemd stops the unit and SIGTERMs us. */
static sd_bus *
answer_waiting_callers(Daemon *d, const Options *o)
{
  if (start_failure.status == 0 || start_failure.bus_unreachable)
    return NULL;
  /* A stop that races our exit must not change its status. */
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, NULL);

  _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = d->bus ? sd_bus_ref(d->bus) : NULL;
  int r = 0;
  if (bus == NULL) {
    if (o->address) {
      r = sd_bus_new(&bus);
      if (r >= 0)
        r = sd_bus_set_address(bus, o->address);
      if (r >= 0)
        r = sd_bus_set_bus_client(bus, 1);
      if (r >= 0)
        r = sd_bus_start(bus);
    } else
      r = d->mode == DAEMON_MODE_SYSTEM ? sd_bus_open_system(&bus) : sd_bus_open_user(&bus);
    if (r < 0)
      return NULL;
  }
  (void)sd_bus_set_method_call_timeout(bus, FAILED_START_ANSWER_USEC);
  /* no queueing, no replacing: a running shiftd keeps its name */
  if (sd_bus_request_name(bus, SHIFTD_BUS_NAME, 0) < 0)
    return NULL;

  gboolean system = d->mode == DAEMON_MODE_SYSTEM;
  const char *journal = !g_getenv("INVOCATION_ID") ? "see shiftd's log"
                        : system                     ? "see journalctl -u shiftd"
                                                     : "see journalctl --user -u shiftd";
  g_autofree char *text =
    system ? g_strdup_printf("shiftd failed to start (%s; exit status %d); %s", failure_kind(start_failure.status),
                             start_failure.status, journal)
           : g_strdup_printf("shiftd failed to start: %s (exit status %d); %s", start_failure.reason,
                             start_failure.status, journal);
  FailedStartAnswer answer = { text, 0 };
  if (sd_bus_add_filter(bus, NULL, on_call_while_failing, &answer) < 0)
    return NULL;
  /* The bus hands over the calls queued for the name as it grants it, so a
   * round trip to the bus after that has them all in our queue. */
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  (void)sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId",
                           NULL, &reply, NULL);
  guint64 end = shiftd_now_monotonic_usec() + FAILED_START_ANSWER_USEC;
  while (sd_bus_process(bus, NULL) > 0 && shiftd_now_monotonic_usec() < end)
    ;
  (void)sd_bus_flush(bus);
  if (answer.answered > 0)
    log_debug("told %u waiting caller(s) that shiftd failed to start", answer.answered);
  /* Not released: the name goes with the connection as we exit. (Under a
   * Type=dbus unit, releasing it first would look like a clean stop.) */
  return g_steal_pointer(&bus);
}

static int
run_daemon(Daemon *d, const Options *o)
{
  g_autoptr(GError) error = NULL;
  int r;

  if (!check_option_values(o, &error))
    return start_failed(EXIT_CONFIG, "bad command line: %s", error->message);
  d->config = shiftd_config_new();
  g_autofree char *conf = g_build_filename(d->config_dir, "shiftd.conf", NULL);
  if (!shiftd_config_load(d->config, conf, &error))
    return start_failed(EXIT_CONFIG, "bad configuration: %s", error->message);
  const char *url = g_getenv("SHIFTD_MODEL_URL");
  if (url && *url) {
    g_autofree char *why = NULL;
    if (!shiftd_config_check_base_url(url, &why))
      return start_failed(EXIT_CONFIG, "bad configuration: SHIFTD_MODEL_URL=%s: %s", url, why);
    shiftd_set_string(&d->config->model_base_url, url);
  }
  if (!read_api_key(d, &error))
    return start_failed(EXIT_CONFIG, "bad configuration: %s", error->message);
  if (!check_agents_dir(d, &error))
    return start_failed(EXIT_CONFIG, "bad configuration: %s", error->message);
  d->worker_path = find_worker();
  if (!g_file_test(d->worker_path, G_FILE_TEST_IS_EXECUTABLE))
    log_warning("worker %s is not there; runs will fail until it is", d->worker_path);

  /* Before any thread exists: signals come through sd-event, children too. */
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  signal(SIGPIPE, SIG_IGN);

  /* One daemon per store: the lock comes before anything reads the store. */
  if (!shiftd_state_dir_prepare(d->state_dir, &error))
    return start_failed(g_error_matches(error, SHIFTD_STORE_REFUSED, SHIFTD_STORE_REFUSED_UNSAFE) ? EXIT_STORE_REFUSED
                                                                                                   : EXIT_FAILURE_OTHER,
                        "refusing the state directory: %s", error->message);
  state_lock = shiftd_state_lock_take(d->state_dir, NULL, &error);
  if (state_lock == NULL)
    return start_failed(error->domain == SHIFTD_STATE_LOCK_ERROR ? EXIT_STATE_BUSY : EXIT_FAILURE_OTHER, "%s",
                        error->message);

  d->store = shiftd_store_open(d->state_dir, &error);
  if (d->store == NULL) {
    if (error->domain == SHIFTD_STORE_REFUSED)
      return start_failed(EXIT_STORE_REFUSED, "refusing the store: %s", error->message);
    return start_failed(EXIT_FAILURE_OTHER, "cannot open the store: %s", error->message);
  }
  d->observer = &daemon_bus_observer;
  run_table_init(d);
  d->rand = g_rand_new();
  if (!run_table_load(d, &error))
    return start_failed(EXIT_STORE_REFUSED, "refusing the store: cannot read its runs: %s", error->message);
  agent_registry_init(d);
  wake_holds_init(d);

  r = sd_event_default(&d->event);
  if (r < 0)
    return start_failed(EXIT_FAILURE_OTHER, "cannot create the event loop: %s", g_strerror(-r));
  /* without them SIGTERM would go unheard (the signals are blocked) */
  r = sd_event_add_signal(d->event, NULL, SIGTERM, on_stop_signal, d);
  if (r >= 0)
    r = sd_event_add_signal(d->event, NULL, SIGINT, on_stop_signal, d);
  if (r >= 0)
    r = sd_event_add_signal(d->event, NULL, SIGHUP, on_reload_signal, d);
  if (r < 0)
    return start_failed(EXIT_FAILURE_OTHER, "cannot watch for signals: %s", g_strerror(-r));
  /* WATCHDOG=1 pings whenever the service manager asks for them */
  sd_event_set_watchdog(d->event, TRUE);
  r = sd_event_add_io(d->event, &d->store_source, shiftd_store_get_notify_fd(d->store), EPOLLIN, on_store_ready, d);
  if (r < 0)
    return start_failed(EXIT_FAILURE_OTHER, "cannot watch the store: %s", g_strerror(-r));
  /* Durable changes carry replies and announcements: send them before reading more. */
  sd_event_source_set_priority(d->store_source, SD_EVENT_PRIORITY_IMPORTANT);

  d->slots = slot_limiter_new(d->config->model_slots, engine_slot_granted, engine_slots_changed, d);

  shiftd_bus_errors_register();
  r = connect_bus(d, o);
  if (r < 0) {
    start_failure.bus_unreachable = TRUE;
    return start_failed(EXIT_FAILURE_OTHER, "cannot connect to the %s bus: %s",
                        o->address ? o->address : d->mode == DAEMON_MODE_SYSTEM ? "system" : "session",
                        g_strerror(-r));
  }
  /* --backend=systemd where no manager answers: the setting cannot be met here */
  if (!choose_backend(d, o->backend ? o->backend : "auto", &error))
    return start_failed(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ? EXIT_CONFIG : EXIT_FAILURE_OTHER,
                        "%s", error->message);
  r = caller_cache_init(d);
  if (r >= 0)
    r = manager_bus_register(d);
  if (r >= 0)
    r = run_bus_register(d);
  if (r >= 0)
    r = agent_bus_register(d);
  if (r < 0)
    return start_failed(EXIT_FAILURE_OTHER, "cannot publish objects: %s", g_strerror(-r));

  /* the system bus's services, for wakes that wait for power and network */
  r = machine_state_start(d);
  if (r < 0)
    return start_failed(EXIT_FAILURE_OTHER, "cannot follow the machine's state: %s", g_strerror(-r));
  agent_registry_publish(d);
  engine_recover(d);
  r = agent_tokens_start(d);
  if (r < 0)
    return start_failed(EXIT_FAILURE_OTHER, "cannot arm the midnight timer: %s", g_strerror(-r));
  agent_schedule_start(d);
  r = run_retention_start(d);
  if (r < 0)
    return start_failed(EXIT_FAILURE_OTHER, "cannot arm pruning: %s", g_strerror(-r));

  r = sd_bus_request_name(d->bus, SHIFTD_BUS_NAME, 0);
  if (r < 0) {
    start_failure.bus_unreachable = TRUE; /* the name is someone else's: nobody waits on us */
    if (r == -EEXIST)
      return start_failed(EXIT_FAILURE_OTHER, "another shiftd already owns %s on this bus", SHIFTD_BUS_NAME);
    return start_failed(EXIT_FAILURE_OTHER, "cannot own %s: %s", SHIFTD_BUS_NAME, g_strerror(-r));
  }
  log_info("ready: %s mode, %s backend, %u live run(s), store %s, model %s", d->mode == DAEMON_MODE_SYSTEM ? "system" : "user",
           d->backend->name, d->live_runs.length, shiftd_store_get_path(d->store), d->config->model_base_url);
  sd_notify(0, "READY=1");

  r = sd_event_loop(d->event);
  if (r < 0) {
    log_error("event loop failed: %s", g_strerror(-r));
    return EXIT_FAILURE_OTHER;
  }
  /* sd-bus ends the loop with a failure when the bus drops us: that is
   * not a clean stop, and Restart=on-failure must see it */
  if (!d->stopping) {
    log_error("lost the bus connection; exiting to be restarted");
    return EXIT_FAILURE_OTHER;
  }
  log_info("stopped");
  return 0;
}

int
main(int argc, char **argv)
{
  Options o = { 0 };
  g_autoptr(GError) error = NULL;
  /* Nothing the daemon makes is for anyone else: the store, its WAL, the
   * lock. (The state directory is made 0711 on purpose, see store-file.h.) */
  umask(0077);
  shiftd_log_init("shiftd");
  if (!parse_options(&argc, &argv, &o, &error)) {
    /* Under a unit the command line is configuration, so EX_CONFIG too:
     * no restart loop on a typo in ExecStart=. The bus is not known yet, so
     * nobody waiting on activation can be told. */
    fprintf(stderr, "shiftd: bad command line: %s\n", error->message);
    return EXIT_CONFIG;
  }
  if (o.version) {
    printf("shiftd %s\n", PACKAGE_VERSION);
    return 0;
  }
  if (o.debug)
    shiftd_log_set_debug(TRUE);

  Daemon d = { 0 };
  d.mode = default_mode(&o);
  resolve_dirs(&d, &o);
  int ret = run_daemon(&d, &o);
  sd_bus *told = ret != 0 ? answer_waiting_callers(&d, &o) : NULL;
  daemon_free(&d);
  shiftd_state_lock_free(state_lock);
  sd_bus_flush_close_unref(told);
  g_free(start_failure.reason);
  g_free(o.address);
  g_free(o.backend);
  g_free(o.config_dir);
  g_free(o.state_dir);
  return ret;
}
