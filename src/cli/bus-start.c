/* The first call of a command, and how a shiftd that cannot start is heard
 * at once instead of after the call's 25 s timeout.
 *
 * - shiftd on the bus: the call goes straight to it, nothing watched.
 * - shiftd not on the bus and not activatable: the call is not even made;
 *   "not running", at once.
 * - activatable: the call itself starts shiftd (so it is answered by the
 *   daemon it started), and while it waits:
 *   - a shiftd that cannot start takes the name for a moment and answers
 *     every waiting call with Spawn.ChildExited and the reason (see
 *     answer_waiting_callers in src/daemon/main.c);
 *   - dbus-daemon running Exec= itself answers Spawn.ChildExited when the
 *     process exits;
 *   - under systemd (SystemdService=shiftd.service), dbus-daemon is told
 *     of a failed start only when the job cannot even be queued
 *     (systemd#28877): a shiftd.service that fails before it takes the
 *     name (a crash, a missing binary, a bus it may not own a name on)
 *     would leave the call waiting 25 s (and dbus-daemon then queues later
 *     callers onto that dead activation too). So the unit is watched on the
 *     same bus: when it has failed (or stopped, or waits to be restarted)
 *     since the call went out, or is down with no start job a moment after
 *     it, the call is given up at once with what systemd says (exit status
 *     or signal).
 *   A start that is merely slow (the unit is activating) is waited for, up
 *   to the call's timeout.
 */
#include <glib/gi18n.h>
#include <string.h>

#include "bus-error.h"
#include "bus.h"
#include "shiftd-names.h"

#define SYSTEMD_NAME "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
/* how often the unit is looked at while the call waits */
#define UNIT_POLL_MSEC 100
/* how long a start job may take to appear once the call went out */
#define UNIT_SETTLE_MSEC 1000
/* a failure seen in the unit: how long the daemon's own answer may still be on its way */
#define LATE_ANSWER_MSEC 300
#define BUS_QUERY_MSEC 5000

static GVariant *
ask_bus(GDBusConnection *conn, const char *method, GVariant *params, const GVariantType *type, GError **error)
{
  return g_dbus_connection_call_sync(conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     method, params, type, G_DBUS_CALL_FLAGS_NONE, BUS_QUERY_MSEC, NULL, error);
}

static gboolean
name_has_owner(GDBusConnection *conn)
{
  g_autoptr(GVariant) r =
    ask_bus(conn, "NameHasOwner", g_variant_new("(s)", SHIFTD_BUS_NAME), G_VARIANT_TYPE("(b)"), NULL);
  gboolean owned = FALSE;
  if (r != NULL)
    g_variant_get(r, "(b)", &owned);
  return owned;
}

static gboolean
is_activatable(GDBusConnection *conn)
{
  g_autoptr(GVariant) r = ask_bus(conn, "ListActivatableNames", NULL, G_VARIANT_TYPE("(as)"), NULL);
  if (r == NULL)
    return TRUE; /* cannot tell: let the call find out */
  g_autofree const char **names = NULL;
  g_variant_get(r, "(^a&s)", &names);
  return g_strv_contains(names, SHIFTD_BUS_NAME);
}

static GVariant *
ask_systemd(GDBusConnection *conn, const char *path, const char *iface, const char *method, GVariant *params,
            const GVariantType *type, GError **error)
{
  /* never started by asking: a bus without systemd just has no answer */
  return g_dbus_connection_call_sync(conn, SYSTEMD_NAME, path, iface, method, params, type,
                                     G_DBUS_CALL_FLAGS_NO_AUTO_START, BUS_QUERY_MSEC, NULL, error);
}

static gboolean
no_systemd_here(const GError *error)
{
  return g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
         g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
         g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED);
}

static GVariant *
unit_props(GDBusConnection *conn, const char *unit_path, const char *iface)
{
  g_autoptr(GVariant) r = ask_systemd(conn, unit_path, "org.freedesktop.DBus.Properties", "GetAll",
                                      g_variant_new("(s)", iface), G_VARIANT_TYPE("(a{sv})"), NULL);
  return r ? g_variant_get_child_value(r, 0) : NULL;
}

/* What systemd says of a start that failed: "exited with status 1",
 * "was killed by signal SEGV", or its Result. */
static char *
describe_unit_failure(GDBusConnection *conn, const char *unit_path, const char *active_state)
{
  g_autoptr(GVariant) service = unit_props(conn, unit_path, "org.freedesktop.systemd1.Service");
  const char *result = "";
  gint32 code = 0, status = 0;
  if (service != NULL) {
    g_variant_lookup(service, "Result", "&s", &result);
    g_variant_lookup(service, "ExecMainCode", "i", &code);
    g_variant_lookup(service, "ExecMainStatus", "i", &status);
  }
  /* CLD_EXITED 1, CLD_KILLED 2, CLD_DUMPED 3 */
  if (code == 1)
    return g_strdup_printf(_("shiftd failed to start: %s exited with status %d before it was ready (%s)"),
                           CLI_SHIFTD_UNIT, status, result);
  if (code == 2 || code == 3) {
    const char *sig = sigabbrev_np(status);
    return g_strdup_printf(_("shiftd failed to start: %s was killed by signal %s before it was ready (%s)"),
                           CLI_SHIFTD_UNIT, sig ? sig : "?", result);
  }
  return g_strdup_printf(_("shiftd failed to start: %s is %s (%s)"), CLI_SHIFTD_UNIT, active_state,
                         result[0] ? result : "?");
}

typedef struct {
  CliBus *bus;
  GMainLoop *loop;
  gint64 sent_at; /* CLOCK_MONOTONIC µs, as systemd's *TimestampMonotonic */
  GVariant *reply;
  GError *error;
  gboolean answered;
  char *unit_path;
  gboolean watching; /* FALSE once there is no systemd to ask */
  char *failure;     /* what systemd says went wrong */
} Starting;

/* One look at shiftd.service: TRUE (and s->failure) if it failed since the call went out. */
static gboolean
unit_failed(Starting *s)
{
  GDBusConnection *conn = s->bus->conn;
  g_autoptr(GError) error = NULL;
  if (s->unit_path == NULL) {
    g_autoptr(GVariant) r = ask_systemd(conn, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnit",
                                        g_variant_new("(s)", CLI_SHIFTD_UNIT), G_VARIANT_TYPE("(o)"), &error);
    if (r == NULL) {
      /* NoSuchUnit: not loaded yet, the start job will load it */
      if (no_systemd_here(error))
        s->watching = FALSE;
      return FALSE;
    }
    g_variant_get(r, "(o)", &s->unit_path);
  }
  g_autoptr(GVariant) unit = unit_props(conn, s->unit_path, "org.freedesktop.systemd1.Unit");
  if (unit == NULL)
    return FALSE;
  const char *active = "", *sub = "";
  guint32 job = 0;
  const char *job_path = NULL;
  guint64 changed = 0;
  g_variant_lookup(unit, "ActiveState", "&s", &active);
  g_variant_lookup(unit, "SubState", "&s", &sub);
  g_variant_lookup(unit, "Job", "(u&o)", &job, &job_path);
  g_variant_lookup(unit, "StateChangeTimestampMonotonic", "t", &changed);
  gboolean down = g_str_equal(active, "failed") || g_str_equal(sub, "auto-restart") ||
                  (g_str_equal(active, "inactive") && job == 0);
  /* Down since our call went out: this start failed. Down from before, with
   * no job even a moment later: no start is coming for this call (dbus-daemon
   * keeps an activation that systemd failed pending for its own timeout, and
   * queues later callers onto it); the moment covers the job's way there. */
  gboolean fresh = changed >= (guint64)s->sent_at;
  gboolean settled = job == 0 && g_get_monotonic_time() - s->sent_at >= UNIT_SETTLE_MSEC * 1000;
  if (!down || !(fresh || settled))
    return FALSE;
  s->failure = describe_unit_failure(conn, s->unit_path, active);
  return TRUE;
}

static gboolean
on_poll(gpointer data)
{
  Starting *s = data;
  if (s->answered || !s->watching)
    return G_SOURCE_REMOVE;
  if (!unit_failed(s))
    return s->watching ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
  g_main_loop_quit(s->loop);
  return G_SOURCE_REMOVE;
}

static void
on_reply(GObject *source, GAsyncResult *res, gpointer data)
{
  Starting *s = data;
  s->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &s->error);
  s->answered = TRUE;
  g_main_loop_quit(s->loop);
}

static gboolean
on_late(gpointer data)
{
  g_main_loop_quit(data);
  return G_SOURCE_REMOVE;
}

/* Errors that come from the bus or systemd rather than from shiftd. */
static gboolean
from_the_bus(const GError *error)
{
  g_autofree char *name = g_dbus_error_get_remote_error(error);
  return name == NULL || g_str_has_prefix(name, "org.freedesktop.DBus.Error.") ||
         g_str_has_prefix(name, "org.freedesktop.systemd1.");
}

GVariant *
cli_bus_call_starting(CliBus *bus, const char *path, const char *iface, const char *method, GVariant *params,
                      const GVariantType *reply_type, GError **error)
{
  int timeout = bus->timeout_msec ? bus->timeout_msec : CLI_CALL_TIMEOUT_MSEC;
  g_autoptr(GVariant) owned_params = params ? g_variant_ref_sink(params) : NULL;

  if (name_has_owner(bus->conn)) {
    /* running: nothing to watch (a unit failed long ago says nothing of this daemon) */
    g_autoptr(GError) local = NULL;
    GVariant *reply = g_dbus_connection_call_sync(bus->conn, SHIFTD_BUS_NAME, path, iface, method, owned_params,
                                                  reply_type, G_DBUS_CALL_FLAGS_NONE, timeout, NULL, &local);
    if (reply != NULL || !from_the_bus(local))
      bus->reached = TRUE;
    if (local != NULL)
      g_propagate_error(error, g_steal_pointer(&local));
    return reply;
  }
  if (!is_activatable(bus->conn)) {
    g_dbus_error_set_dbus_error(error, "org.freedesktop.DBus.Error.ServiceUnknown",
                                "The name " SHIFTD_BUS_NAME " was not provided by any .service files", NULL);
    return NULL;
  }

  g_autoptr(GMainContext) context = g_main_context_new();
  g_autoptr(GCancellable) cancellable = g_cancellable_new();
  g_main_context_push_thread_default(context);
  Starting s = {
    .bus = bus,
    .loop = g_main_loop_new(context, FALSE),
    .sent_at = g_get_monotonic_time(),
    .watching = TRUE,
  };
  g_dbus_connection_call(bus->conn, SHIFTD_BUS_NAME, path, iface, method, owned_params, reply_type,
                         G_DBUS_CALL_FLAGS_NONE, timeout, cancellable, on_reply, &s);
  GSource *poll = g_timeout_source_new(UNIT_POLL_MSEC);
  g_source_set_callback(poll, on_poll, &s, NULL);
  g_source_attach(poll, context);
  g_main_loop_run(s.loop);
  g_source_destroy(poll);
  g_source_unref(poll);

  if (!s.answered) {
    /* systemd saw the start fail; shiftd's own answer, with its reason, may be right behind */
    GSource *late = g_timeout_source_new(LATE_ANSWER_MSEC);
    g_source_set_callback(late, on_late, s.loop, NULL);
    g_source_attach(late, context);
    g_main_loop_run(s.loop);
    g_source_destroy(late);
    g_source_unref(late);
  }
  if (!s.answered) {
    g_set_error_literal(error, CLI_ERROR, CLI_ERROR_NOT_STARTED, s.failure);
    /* its completion goes to a context nobody runs again: on_reply never sees s */
    g_cancellable_cancel(cancellable);
  } else if (s.reply != NULL) {
    bus->reached = TRUE;
  } else {
    if (!from_the_bus(s.error))
      bus->reached = TRUE;
    g_propagate_error(error, g_steal_pointer(&s.error));
  }
  g_main_context_pop_thread_default(context);
  g_main_loop_unref(s.loop);
  g_free(s.unit_path);
  g_free(s.failure);
  return s.reply;
}

char *
cli_bus_status_hint(CliBus *bus)
{
  gboolean system = bus->kind == CLI_BUS_KIND_SYSTEM || bus->system;
  const char *command = system ? "systemctl status shiftd" : "systemctl --user status shiftd";
  if (bus->kind != CLI_BUS_KIND_ADDRESS)
    return g_strdup(command);
  if (bus->conn == NULL)
    return NULL;
  /* a bus by address: only where a systemd on it knows shiftd.service */
  g_autoptr(GVariant) r = ask_systemd(bus->conn, SYSTEMD_PATH, SYSTEMD_MANAGER, "LoadUnit",
                                      g_variant_new("(s)", CLI_SHIFTD_UNIT), G_VARIANT_TYPE("(o)"), NULL);
  if (r == NULL)
    return NULL;
  const char *unit_path;
  g_variant_get(r, "(&o)", &unit_path);
  g_autoptr(GVariant) unit = unit_props(bus->conn, unit_path, "org.freedesktop.systemd1.Unit");
  const char *load = "";
  if (unit == NULL || !g_variant_lookup(unit, "LoadState", "&s", &load) || g_str_equal(load, "not-found"))
    return NULL;
  return g_strdup(command);
}
