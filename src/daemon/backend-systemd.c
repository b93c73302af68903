/* The systemd backend: each attempt is a sandboxed transient service started
 * with StartTransientUnit (the socketpair as its stdin/stdout), followed
 * through the manager's PropertiesChanged signals; standing agents wake from
 * transient timers whose service calls Scheduler.Wake, and from transient path
 * units whose service calls Scheduler.PathChanged. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "agent-schedule.h"
#include "agent.h"
#include "backend.h"
#include "log.h"
#include "object-path.h"
#include "run.h"
#include "sd-glue.h"
#include "shiftd-names.h"
#include "time-span.h"
#include "systemd-timers.h"
#include "systemd-watches.h"
#include "unit-properties.h"
#include "worker-unit.h"
#include "worker.h"

#define SYSTEMD_UNIT_PREFIX "/org/freedesktop/systemd1/unit"
#define RUN_UNIT_PREFIX "shiftd-run-"
/* systemd sends SIGKILL this long after SIGTERM */
#define STOP_TIMEOUT_USEC (1500 * 1000)

typedef struct {
  Backend base;
  sd_bus *manager; /* where org.freedesktop.systemd1 answers: our bus, or its own socket */
  gboolean direct; /* a connection to the manager itself: no bus, no senders */
  SystemdTimers *timers;
  SystemdWatches *path_units;
  gboolean journal;
  GHashTable *watches; /* unit object path -> UnitWatch* */
  GHashTable *leftovers; /* run units an earlier shiftd left, stopped at start */
  sd_bus_slot *service_match;
  sd_bus_slot *unit_match;
} SystemdBackend;

/* What the manager has told us about one attempt's unit. */
typedef struct {
  Worker *worker;
  char *unit;
  char *path;
  char *active_state;
  char *sub_state;
  char *result;
  gint32 exec_main_code;
  gint32 exec_main_status;
  gboolean started;
  gboolean stopped_outside;
  gboolean ended;
  guint64 memory_max;
  guint64 runtime_max;
} UnitWatch;

static void
unit_watch_free(UnitWatch *uw)
{
  g_free(uw->unit);
  g_free(uw->path);
  g_free(uw->active_state);
  g_free(uw->sub_state);
  g_free(uw->result);
  if (uw->worker)
    worker_unref(uw->worker);
  g_free(uw);
}

static char *
format_bytes(guint64 bytes)
{
  if (bytes >= (1ULL << 30) && bytes % (1ULL << 30) == 0)
    return g_strdup_printf("%" G_GUINT64_FORMAT "G", bytes >> 30);
  if (bytes >= (1ULL << 20) && bytes % (1ULL << 20) == 0)
    return g_strdup_printf("%" G_GUINT64_FORMAT "M", bytes >> 20);
  return g_strdup_printf("%" G_GUINT64_FORMAT, bytes);
}

/* Why the unit ended, in the words of the run's Error (NULL: a clean exit). */
static char *
end_reason(UnitWatch *uw)
{
  const char *result = uw->result ? uw->result : "";
  int status = uw->exec_main_status;
  if (g_str_equal(result, "oom-kill")) {
    g_autofree char *max = format_bytes(uw->memory_max);
    return g_strdup_printf("killed: memory limit (MemoryMax=%s)", max);
  }
  if (g_str_equal(result, "timeout")) {
    g_autofree char *span = shiftd_time_span_format(uw->runtime_max);
    return uw->runtime_max ? g_strdup_printf("runtime limit reached (RuntimeMaxSec=%s)", span)
                           : g_strdup("the worker's unit timed out");
  }
  if (uw->stopped_outside)
    return g_strdup_printf("the worker's unit %s was stopped from outside shiftd", uw->unit);
  if (uw->exec_main_code == CLD_EXITED || g_str_equal(result, "exit-code")) {
    if (status == 0)
      return NULL;
    if (status >= 200 && status <= 243)
      return g_strdup_printf("cannot start a worker: systemd could not set up its unit (status %d%s)", status,
                             status == 203 ? "/EXEC" : status == 217 ? "/USER" : status == 226 ? "/NAMESPACE" : "");
    return g_strdup_printf("worker exited with status %d", status);
  }
  if (uw->exec_main_code == CLD_KILLED || uw->exec_main_code == CLD_DUMPED || g_str_equal(result, "signal") ||
      g_str_equal(result, "core-dump")) {
    /* On the legacy cgroup hierarchy an OOM kill shows up only as SIGKILL. */
    if (status == SIGKILL && uw->memory_max && !uw->worker->stopping) {
      g_autofree char *max = format_bytes(uw->memory_max);
      return g_strdup_printf("killed: memory limit (SIGKILL under MemoryMax=%s)", max);
    }
    const char *sig = sigabbrev_np(status);
    return g_strdup_printf("worker killed by signal %s%s", sig ? sig : "?",
                           uw->exec_main_code == CLD_DUMPED ? " (core dumped)" : "");
  }
  if (result[0] && !g_str_equal(result, "success"))
    return g_strdup_printf("the worker's unit failed (%s)", result);
  return NULL;
}

/* Hands the end to the worker; the watch goes with it. */
static void
unit_ended(SystemdBackend *sb, UnitWatch *uw, const char *reason_override)
{
  g_autofree char *reason = reason_override ? g_strdup(reason_override) : end_reason(uw);
  Worker *w = worker_ref(uw->worker);
  g_hash_table_remove(sb->watches, uw->path);
  worker_process_exited(w, reason);
  worker_unref(w);
}

static void
read_service_props(UnitWatch *uw, sd_bus_message *m)
{
  int r = sd_bus_message_enter_container(m, 'a', "{sv}");
  if (r < 0)
    return;
  while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
    const char *key = NULL;
    if (sd_bus_message_read(m, "s", &key) < 0)
      return;
    const char *contents = NULL;
    sd_bus_message_peek_type(m, NULL, &contents);
    if (g_str_equal(key, "Result") && g_str_equal(contents, "s")) {
      const char *v = NULL;
      sd_bus_message_read(m, "v", "s", &v);
      shiftd_set_string(&uw->result, v);
    } else if (g_str_equal(key, "ExecMainCode") && g_str_equal(contents, "i")) {
      sd_bus_message_read(m, "v", "i", &uw->exec_main_code);
    } else if (g_str_equal(key, "ExecMainStatus") && g_str_equal(contents, "i")) {
      sd_bus_message_read(m, "v", "i", &uw->exec_main_status);
    } else if (g_str_equal(key, "ActiveState") && g_str_equal(contents, "s")) {
      const char *v = NULL;
      sd_bus_message_read(m, "v", "s", &v);
      shiftd_set_string(&uw->active_state, v);
    } else if (g_str_equal(key, "SubState") && g_str_equal(contents, "s")) {
      const char *v = NULL;
      sd_bus_message_read(m, "v", "s", &v);
      shiftd_set_string(&uw->sub_state, v);
    } else {
      sd_bus_message_skip(m, "v");
    }
    sd_bus_message_exit_container(m);
  }
  sd_bus_message_exit_container(m);
}

static int
on_unit_properties(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  SystemdBackend *sb = userdata;
  UnitWatch *uw = g_hash_table_lookup(sb->watches, sd_bus_message_get_path(m));
  const char *iface = NULL;
  if (uw == NULL || sd_bus_message_read(m, "s", &iface) < 0)
    return 0;
  read_service_props(uw, m);
  if (uw->active_state == NULL)
    return 0;
  if (g_str_equal(uw->active_state, "active") || g_str_equal(uw->active_state, "activating") ||
      g_str_equal(uw->active_state, "deactivating"))
    uw->started = TRUE;
  if (uw->sub_state && g_str_equal(uw->sub_state, "stop-sigterm") && !uw->worker->stopping &&
      uw->exec_main_code == 0)
    uw->stopped_outside = TRUE;
  if (uw->started && (g_str_equal(uw->active_state, "inactive") || g_str_equal(uw->active_state, "failed")))
    unit_ended(sb, uw, NULL);
  return 0;
}

typedef struct {
  SystemdBackend *backend;
  char *path;
} StartCall;

static void
start_call_free(void *userdata)
{
  StartCall *sc = userdata;
  g_free(sc->path);
  g_free(sc);
}

static int
on_start_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  StartCall *sc = userdata;
  const sd_bus_error *e = sd_bus_message_get_error(reply);
  UnitWatch *uw = g_hash_table_lookup(sc->backend->watches, sc->path);
  if (e && uw) {
    g_autofree char *reason = g_strdup_printf("systemd refused the worker's unit: %s", e->message);
    unit_ended(sc->backend, uw, reason);
  }
  return 0;
}

static int
append_worker_properties(SystemdBackend *sb, sd_bus_message *m, Worker *w, int child_fd, const LaunchSpec *spec,
                         UnitWatch *uw)
{
  Daemon *d = sb->base.daemon;
  Run *run = w->run;
  const AgentConfig *c = spec->config;
  g_autofree char *description = g_strdup_printf("shiftd run %s (agent %s, attempt %u)", run->pending->name,
                                                 run->pending->agent, w->attempt);
  int r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)",
                                "Description", "s", description,
                                "Type", "s", "exec",
                                "StandardInputFileDescriptor", "h", child_fd,
                                "StandardOutputFileDescriptor", "h", child_fd,
                                "CollectMode", "s", "inactive-or-failed",
                                "KillMode", "s", "control-group",
                                "TimeoutStopUSec", "t", (uint64_t)STOP_TIMEOUT_USEC,
                                "WorkingDirectory", "s", spec->workspace ? spec->workspace : "/");
  if (r < 0)
    return r;
  if (sb->journal)
    r = sd_bus_message_append(m, "(sv)", "StandardError", "s", "journal");
  else
    r = sd_bus_message_append(m, "(sv)", "StandardErrorFileDescriptor", "h", STDERR_FILENO);
  if (r < 0)
    return r;
  const char *argv[] = { d->worker_path, NULL };
  r = unit_append_exec(m, "ExecStart", argv);
  if (r < 0)
    return r;

  g_autoptr(GStrvBuilder) env = g_strv_builder_new();
  g_autofree char *run_env = g_strdup_printf("SHIFTD_RUN=%s", run->pending->name);
  g_strv_builder_add(env, run_env);
  if (g_getenv("SHIFTD_DEBUG"))
    g_strv_builder_add(env, "SHIFTD_DEBUG=1");
  /* the way out to the model, as the daemon was told it */
  static const char *const proxies[] = { "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                                         "NO_PROXY", NULL };
  for (const char *const *name = proxies; *name; name++) {
    if (g_getenv(*name)) {
      g_autofree char *entry = g_strdup_printf("%s=%s", *name, g_getenv(*name));
      g_strv_builder_add(env, entry);
    }
  }
  g_auto(GStrv) envv = g_strv_builder_end(env);
  r = unit_append_strv(m, "Environment", envv);
  if (r < 0)
    return r;
  r = worker_unit_append_sandbox(m, spec, d->worker_path);
  if (r < 0)
    return r;

  if (c->memory_max) {
    uw->memory_max = c->memory_max;
    r = sd_bus_message_append(m, "(sv)", "MemoryMax", "t", (uint64_t)c->memory_max);
    /* no swap to hide in: the limit is the limit */
    if (r >= 0 && c->memory_max != G_MAXUINT64)
      r = sd_bus_message_append(m, "(sv)", "MemorySwapMax", "t", (uint64_t)0);
  }
  if (r >= 0 && c->cpu_quota_permille)
    r = sd_bus_message_append(m, "(sv)", "CPUQuotaPerSecUSec", "t", (uint64_t)c->cpu_quota_permille * 1000);
  if (r >= 0 && c->tasks_max)
    r = sd_bus_message_append(m, "(sv)", "TasksMax", "t", (uint64_t)c->tasks_max);
  if (r >= 0 && c->runtime_max) {
    uw->runtime_max = c->runtime_max;
    r = sd_bus_message_append(m, "(sv)", "RuntimeMaxUSec", "t", (uint64_t)c->runtime_max);
  }
  /* PrivateNetwork= is not a unit property here: the worker must reach the
   * model; the worker cuts each tool command off the network itself. */
  return r;
}

static gboolean
systemd_launch(Backend *b, Worker *w, int child_fd, const LaunchSpec *spec, GError **error)
{
  SystemdBackend *sb = (SystemdBackend *)b;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
  g_autofree char *unit = NULL;
  /* An attempt an earlier shiftd started but did not record has its unit
   * name, and that unit may still be on its way out: the next number. */
  for (;; w->attempt++) {
    g_free(unit);
    unit = g_strdup_printf(RUN_UNIT_PREFIX "%s-%u.service", w->run->pending->name, w->attempt);
    if (!g_hash_table_contains(sb->leftovers, unit))
      break;
  }
  g_autofree char *path = shiftd_object_path(SYSTEMD_UNIT_PREFIX, unit);

  UnitWatch *uw = g_new0(UnitWatch, 1);
  uw->worker = worker_ref(w);
  uw->unit = g_strdup(unit);
  uw->path = g_strdup(path);

  int r = sd_bus_message_new_method_call(sb->manager, &m, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                         "StartTransientUnit");
  if (r >= 0)
    r = sd_bus_message_append(m, "ss", unit, "fail");
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'a', "(sv)");
  if (r >= 0)
    r = append_worker_properties(sb, m, w, child_fd, spec, uw);
  if (r >= 0)
    r = sd_bus_message_close_container(m);
  if (r >= 0)
    r = sd_bus_message_append(m, "a(sa(sv))", 0);
  StartCall *sc = g_new0(StartCall, 1);
  sc->backend = sb;
  sc->path = g_strdup(path);
  sd_bus_slot *slot = NULL;
  if (r >= 0)
    r = sd_bus_call_async(sb->manager, &slot, m, on_start_reply, sc, 30 * G_USEC_PER_SEC);
  close(child_fd); /* the message holds its own copy */
  if (r < 0) {
    start_call_free(sc);
    unit_watch_free(uw);
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), "cannot ask systemd for a unit: %s", g_strerror(-r));
    return FALSE;
  }
  sd_bus_slot_set_destroy_callback(slot, start_call_free);
  sd_bus_slot_set_floating(slot, 1);
  sd_bus_slot_unref(slot);
  g_hash_table_insert(sb->watches, uw->path, uw);
  g_free(w->unit);
  w->unit = g_strdup(unit);
  return TRUE;
}

static void
systemd_stop(Backend *b, Worker *w)
{
  if (w->exited || w->unit[0] == '\0')
    return;
  int r = sd_bus_call_method_async(((SystemdBackend *)b)->manager, NULL, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                   "StopUnit",
                                   NULL, NULL, "ss", w->unit, "replace");
  if (r < 0)
    log_run(LOG_WARNING, w->run->pending->name, NULL, "cannot stop %s: %s", w->unit, g_strerror(-r));
}

/* --- wake-ups: systemd-timers.c --- */

static void
stop_unit(SystemdBackend *sb, const char *unit)
{
  int r = sd_bus_call_method_async(sb->manager, NULL, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                   "StopUnit", NULL, NULL, "ss", unit, "replace");
  if (r < 0)
    log_warning("cannot stop %s: %s", unit, g_strerror(-r));
}

static void
systemd_arm_wake(Backend *b, const WakeSpec *spec)
{
  systemd_timers_arm(((SystemdBackend *)b)->timers, spec);
}

static void
systemd_disarm_wake(Backend *b, const char *agent)
{
  systemd_timers_disarm(((SystemdBackend *)b)->timers, agent);
}

static const char *
systemd_wake_unit(Backend *b, const char *agent)
{
  return systemd_timers_unit(((SystemdBackend *)b)->timers, agent);
}

static void
systemd_watch_paths(Backend *b, const char *agent, const char *const *paths)
{
  systemd_watches_set(((SystemdBackend *)b)->path_units, agent, paths);
}

static void
on_timer_shown(const char *agent, gpointer user_data)
{
  agent_backend_changed(user_data, agent, "Timer");
}

/* --- set-up --- */

/* Units of ours left from a previous life: their workers lost their sockets;
 * their runs resume from checkpoints, their timers are re-made. */
static void
stop_leftovers(SystemdBackend *sb)
{
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  const char *patterns[] = { RUN_UNIT_PREFIX "*", SYSTEMD_TIMER_PREFIX "*", SYSTEMD_WATCH_PREFIX "*", NULL };
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
  int r = sd_bus_message_new_method_call(sb->manager, &m, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                         "ListUnitsByPatterns");
  if (r >= 0)
    r = sd_bus_message_append_strv(m, NULL);
  if (r >= 0)
    r = sd_bus_message_append_strv(m, (char **)patterns);
  if (r >= 0)
    r = sd_bus_call(sb->manager, m, 5 * G_USEC_PER_SEC, &error, &reply);
  if (r < 0) {
    log_warning("cannot list leftover units: %s", error.message ? error.message : g_strerror(-r));
    return;
  }
  r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
  const char *unit = NULL, *active = NULL;
  while (r >= 0 &&
         sd_bus_message_read(reply, "(ssssssouso)", &unit, NULL, NULL, &active, NULL, NULL, NULL, NULL, NULL, NULL) > 0) {
    if (g_str_equal(active, "inactive"))
      continue;
    log_info("stopping %s, left from an earlier shiftd", unit);
    if (g_str_has_suffix(unit, ".timer")) {
      systemd_timers_stop_leftover(sb->timers, unit); /* its name is wanted again */
    } else if (g_str_has_prefix(unit, SYSTEMD_WATCH_PREFIX)) {
      stop_unit(sb, unit); /* made again once it is gone (systemd-watches.c retries) */
    } else {
      stop_unit(sb, unit);
      g_hash_table_add(sb->leftovers, g_strdup(unit));
    }
  }
}

static void
disconnect_manager(sd_bus *bus, gboolean direct)
{
  if (direct)
    sd_bus_flush_close_unref(bus);
  else
    sd_bus_unref(bus);
}

static void
systemd_free(Backend *b)
{
  SystemdBackend *sb = (SystemdBackend *)b;
  sd_bus_slot_unref(sb->service_match);
  sd_bus_slot_unref(sb->unit_match);
  g_hash_table_unref(sb->watches);
  g_hash_table_unref(sb->leftovers);
  if (sb->manager)
    disconnect_manager(sb->manager, sb->direct);
  systemd_watches_free(sb->path_units);
  systemd_timers_free(sb->timers);
  g_free(sb);
}

/* The manager's own socket when SHIFTD_SYSTEMD_ADDRESS names one (tests put a
 * system-like bus, which other uids can reach, in front of a user manager
 * whose bus they cannot); else our bus. A new reference. */
static int
connect_manager(Daemon *d, sd_bus **ret, gboolean *direct)
{
  const char *address = g_getenv("SHIFTD_SYSTEMD_ADDRESS");
  *direct = address && *address;
  if (!*direct) {
    *ret = sd_bus_ref(d->bus);
    return 0;
  }
  _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
  int r = sd_bus_new(&bus);
  if (r >= 0)
    r = sd_bus_set_address(bus, address);
  if (r >= 0)
    r = sd_bus_start(bus);
  if (r >= 0)
    r = sd_bus_attach_event(bus, d->event, SD_EVENT_PRIORITY_NORMAL);
  if (r < 0)
    return r;
  *ret = g_steal_pointer(&bus);
  return 0;
}

static gboolean
manager_answers(sd_bus *bus)
{
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  char *version = NULL;
  int r = sd_bus_get_property_string(bus, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER, "Version", &error,
                                     &version);
  free(version);
  return r >= 0;
}

gboolean
backend_systemd_available(Daemon *d)
{
  sd_bus *bus = NULL;
  gboolean direct = FALSE;
  if (connect_manager(d, &bus, &direct) < 0)
    return FALSE;
  gboolean answers = manager_answers(bus);
  disconnect_manager(bus, direct);
  return answers;
}

Backend *
backend_systemd_new(Daemon *d, GError **error)
{
  SystemdBackend *sb = g_new0(SystemdBackend, 1);
  sb->base.name = "systemd";
  sb->base.daemon = d;
  /* User=, DynamicUser= and StateDirectory= need a manager that may switch
   * users, which ours may when we are root */
  sb->base.state_directories = geteuid() == 0;
  sb->base.launch = systemd_launch;
  sb->base.stop = systemd_stop;
  sb->base.arm_wake = systemd_arm_wake;
  sb->base.disarm_wake = systemd_disarm_wake;
  sb->base.wake_unit = systemd_wake_unit;
  sb->base.watch_paths = systemd_watch_paths;
  sb->base.free = systemd_free;
  sb->watches = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)unit_watch_free);
  sb->leftovers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  int r = connect_manager(d, &sb->manager, &sb->direct);
  if (r < 0) {
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), "cannot reach the systemd manager: %s",
                g_strerror(-r));
    systemd_free(&sb->base);
    return NULL;
  }
  /* journald there: workers log to it, under their own unit; else to our stderr */
  sb->journal = g_file_test("/run/systemd/journal/stdout", G_FILE_TEST_EXISTS);
  const char *address = NULL;
  r = sd_bus_get_address(d->bus, &address);
  if (r < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot tell the bus address: %s", g_strerror(-r));
    systemd_free(&sb->base);
    return NULL;
  }
  sb->timers = systemd_timers_new(sb->manager, sb->direct, address, on_timer_shown, d, error);
  if (sb->timers == NULL) {
    systemd_free(&sb->base);
    return NULL;
  }
  sb->path_units = systemd_watches_new(sb->manager, address, systemd_timers_part_of(sb->timers));

  /* Every unit change comes here; the path says whether it is ours. (On the
   * manager's own socket messages carry no sender.) */
  const char *sender = sb->direct ? "" : "sender='" SYSTEMD_NAME "',";
  g_autofree char *match_service = g_strdup_printf(
    "type='signal',%sinterface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
    "path_namespace='" SYSTEMD_UNIT_PREFIX "',arg0='org.freedesktop.systemd1.Service'", sender);
  g_autofree char *match_unit = g_strdup_printf(
    "type='signal',%sinterface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
    "path_namespace='" SYSTEMD_UNIT_PREFIX "',arg0='org.freedesktop.systemd1.Unit'", sender);
  r = sd_bus_add_match(sb->manager, &sb->service_match, match_service, on_unit_properties, sb);
  if (r >= 0)
    r = sd_bus_add_match(sb->manager, &sb->unit_match, match_unit, on_unit_properties, sb);
  if (r >= 0)
    r = sd_bus_call_method(sb->manager, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe", NULL, NULL, NULL);
  if (r < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot follow the systemd manager: %s", g_strerror(-r));
    systemd_free(&sb->base);
    return NULL;
  }
  stop_leftovers(sb);
  return &sb->base;
}
