#include "notifier.h"

#include "answer.h"
#include "daemon-link.h"
#include "decision.h"
#include "finished.h"
#include "log.h"
#include "shiftd-names.h"
#include "terminal.h"

struct _Notifier {
  gboolean notify_finished;
  char **shiftctl_options;
  DecisionHandlers handlers;
  DaemonLink *link;
  GDBusConnection *conn; /* the link's, while connected */
  guint decision_sub;
  guint finished_sub;
  GHashTable *runs;  /* name → Pending: runs read or shown, each once */
  guint64 next_seq;
  GCancellable *listing;
  guint64 listing_seq; /* runs known before the listing was asked for have seq below it */
};

/* A waiting run we know of: being read (decision NULL), or shown. */
typedef struct {
  Notifier *notifier;
  char *name;
  char *path;
  guint64 seq;
  guint changed_sub;     /* PropertiesChanged at the run's path */
  GCancellable *reading; /* GetAll in flight */
  Decision *decision;
} Pending;

static void
pending_unsubscribe(Pending *p)
{
  if (p->changed_sub != 0 && p->notifier->conn != NULL)
    g_dbus_connection_signal_unsubscribe(p->notifier->conn, p->changed_sub);
  p->changed_sub = 0;
}

static void
pending_free(Pending *p)
{
  pending_unsubscribe(p);
  if (p->reading != NULL) {
    g_cancellable_cancel(p->reading);
    g_clear_object(&p->reading);
  }
  if (p->decision != NULL)
    decision_withdraw(p->decision, "shiftd-notify is stopping");
  g_free(p->name);
  g_free(p->path);
  g_free(p);
}

static void
forget(Notifier *n, Pending *p)
{
  g_hash_table_remove(n->runs, p->name);
}

static void
withdraw(Notifier *n, Pending *p, const char *why)
{
  if (p->decision != NULL)
    decision_withdraw(g_steal_pointer(&p->decision), why);
  forget(n, p);
}

/* --- one run --- */

static void
on_run_changed(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
               const char *member, GVariant *params, gpointer data)
{
  Pending *p = data;
  const char *changed_iface = NULL;
  g_autoptr(GVariant) changed = NULL;
  g_autoptr(GVariant) invalidated = NULL;
  if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
    return;
  g_variant_get(params, "(&s@a{sv}@as)", &changed_iface, &changed, &invalidated);
  if (!g_str_equal(changed_iface, SHIFTD_RUN_IFACE))
    return;
  const char *state = NULL;
  if (g_variant_lookup(changed, "State", "&s", &state) && !g_str_equal(state, SHIFTD_STATE_WAITING)) {
    g_autofree char *why = g_strdup_printf("it is %s now", state);
    withdraw(p->notifier, p, why);
    return;
  }
  guint64 deadline;
  if (p->decision != NULL && g_variant_lookup(changed, "DecisionDeadline", "t", &deadline))
    decision_set_deadline(p->decision, deadline);
}

static void
pending_subscribe(Pending *p)
{
  Notifier *n = p->notifier;
  if (n->conn == NULL || p->changed_sub != 0)
    return;
  p->changed_sub = g_dbus_connection_signal_subscribe(n->conn, SHIFTD_BUS_NAME, "org.freedesktop.DBus.Properties",
                                                      "PropertiesChanged", p->path, SHIFTD_RUN_IFACE,
                                                      G_DBUS_SIGNAL_FLAGS_NONE, on_run_changed, p, NULL);
}

static void
on_read(GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
  if (reply == NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* the Pending is gone */

  Pending *p = data;
  Notifier *n = p->notifier;
  g_clear_object(&p->reading);
  if (reply == NULL) {
    log_run(LOG_WARNING, p->name, NULL, "cannot read the waiting run: %s", error->message);
    forget(n, p);
    return;
  }

  g_autoptr(GVariant) props = g_variant_get_child_value(reply, 0);
  const char *state = "", *agent = "", *question = "";
  g_autofree const char **choices = NULL;
  guint64 deadline = 0;
  g_variant_lookup(props, "State", "&s", &state);
  g_variant_lookup(props, "Agent", "&s", &agent);
  g_variant_lookup(props, "Question", "&s", &question);
  g_variant_lookup(props, "Choices", "^a&s", &choices);
  g_variant_lookup(props, "DecisionDeadline", "t", &deadline);
  if (!g_str_equal(state, SHIFTD_STATE_WAITING)) {
    log_run(LOG_DEBUG, p->name, agent, "no longer waiting (%s)", state);
    forget(n, p);
    return;
  }
  /* shiftd hides a question from those who may not answer it. */
  if (question[0] == '\0') {
    log_run(LOG_DEBUG, p->name, agent, "its question is not ours to read");
    forget(n, p);
    return;
  }

  DecisionInfo info = {
    .name = p->name,
    .path = p->path,
    .agent = agent,
    .question = question,
    .choices = (const char *const *)choices,
    .deadline = deadline,
  };
  g_autoptr(GError) shown_error = NULL;
  p->decision = decision_show(&info, &n->handlers, &shown_error);
  if (p->decision == NULL) {
    log_run(LOG_WARNING, p->name, agent, "cannot show a notification: %s", shown_error->message);
    forget(n, p);
  }
}

/* A run that waits: read it and show it, unless it is known already. */
static void
consider(Notifier *n, const char *name, const char *path)
{
  if (n->conn == NULL || g_hash_table_contains(n->runs, name))
    return;
  Pending *p = g_new0(Pending, 1);
  p->notifier = n;
  p->name = g_strdup(name);
  p->path = g_strdup(path);
  p->seq = n->next_seq++;
  g_hash_table_insert(n->runs, p->name, p);
  /* Subscribed before reading: a change after the read is not missed. */
  pending_subscribe(p);
  p->reading = g_cancellable_new();
  g_dbus_connection_call(n->conn, SHIFTD_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                         g_variant_new("(s)", SHIFTD_RUN_IFACE), G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE,
                         -1, p->reading, on_read, p);
}

/* Runs still being read when the daemon or its bus goes: asked again on return. */
static void
forget_unshown(Notifier *n)
{
  GHashTableIter iter;
  Pending *p;
  g_hash_table_iter_init(&iter, n->runs);
  while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&p))
    if (p->decision == NULL)
      g_hash_table_iter_remove(&iter);
}

/* --- the daemon's signals and list --- */

static void
on_decision_requested(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                      const char *member, GVariant *params, gpointer data)
{
  const char *name, *run_path;
  if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sosas)")))
    return;
  g_variant_get(params, "(&s&o&s@as)", &name, &run_path, NULL, NULL);
  consider(data, name, run_path);
}

static void
on_run_finished(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
                const char *member, GVariant *params, gpointer data)
{
  Notifier *n = data;
  const char *name, *run_path, *state;
  if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sos)")))
    return;
  g_variant_get(params, "(&s&o&s)", &name, &run_path, &state);
  Pending *p = g_hash_table_lookup(n->runs, name);
  if (p != NULL) {
    g_autofree char *why = g_strdup_printf("it ended %s", state);
    withdraw(n, p, why);
  }
  if (n->notify_finished)
    finished_announce(conn, name, run_path, state);
}

static void
on_listed(GObject *source, GAsyncResult *res, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
  if (reply == NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  Notifier *n = data;
  g_clear_object(&n->listing);
  if (reply == NULL) {
    log_warning("cannot list the waiting runs: %s", error->message);
    return;
  }

  g_autoptr(GHashTable) listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GVariantIter) rows = NULL;
  const char *name, *path;
  g_variant_get(reply, "(a(ssssto))", &rows);
  while (g_variant_iter_next(rows, "(&s&s&s&st&o)", &name, NULL, NULL, NULL, NULL, &path)) {
    g_hash_table_add(listed, g_strdup(name));
    consider(n, name, path);
  }

  /* Shown before the list was asked for, yet not in it: decided while we
   * were away. Runs met since then are left to their own signals. */
  g_autoptr(GPtrArray) gone = g_ptr_array_new();
  GHashTableIter iter;
  Pending *p;
  g_hash_table_iter_init(&iter, n->runs);
  while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&p))
    if (p->seq < n->listing_seq && !g_hash_table_contains(listed, p->name))
      g_ptr_array_add(gone, p);
  for (guint i = 0; i < gone->len; i++)
    withdraw(n, gone->pdata[i], "it is no longer waiting");
}

static void
list_waiting(Notifier *n)
{
  if (n->listing != NULL)
    g_cancellable_cancel(n->listing);
  g_clear_object(&n->listing);
  n->listing = g_cancellable_new();
  n->listing_seq = n->next_seq;
  GVariantBuilder filter;
  g_variant_builder_init(&filter, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add(&filter, "{sv}", "state", g_variant_new_string(SHIFTD_STATE_WAITING));
  g_dbus_connection_call(n->conn, SHIFTD_BUS_NAME, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "ListRuns",
                         g_variant_new("(a{sv})", &filter), G_VARIANT_TYPE("(a(ssssto))"), G_DBUS_CALL_FLAGS_NONE,
                         -1, n->listing, on_listed, n);
}

static void
stop_listing(Notifier *n)
{
  if (n->listing != NULL)
    g_cancellable_cancel(n->listing);
  g_clear_object(&n->listing);
}

/* --- the link --- */

static void
on_link_connected(GDBusConnection *conn, gpointer data)
{
  Notifier *n = data;
  n->conn = conn;
  n->decision_sub = g_dbus_connection_signal_subscribe(conn, SHIFTD_BUS_NAME, SHIFTD_MANAGER_IFACE,
                                                       "DecisionRequested", SHIFTD_MANAGER_PATH, NULL,
                                                       G_DBUS_SIGNAL_FLAGS_NONE, on_decision_requested, n, NULL);
  n->finished_sub = g_dbus_connection_signal_subscribe(conn, SHIFTD_BUS_NAME, SHIFTD_MANAGER_IFACE, "RunFinished",
                                                       SHIFTD_MANAGER_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                       on_run_finished, n, NULL);
  /* Notifications kept across a lost bus listen again on the new one. */
  GHashTableIter iter;
  Pending *p;
  g_hash_table_iter_init(&iter, n->runs);
  while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&p))
    pending_subscribe(p);
}

static void
on_link_disconnected(GDBusConnection *conn, gpointer data)
{
  Notifier *n = data;
  stop_listing(n);
  forget_unshown(n);
  GHashTableIter iter;
  Pending *p;
  g_hash_table_iter_init(&iter, n->runs);
  while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&p))
    pending_unsubscribe(p);
  g_dbus_connection_signal_unsubscribe(conn, n->decision_sub);
  g_dbus_connection_signal_unsubscribe(conn, n->finished_sub);
  n->decision_sub = n->finished_sub = 0;
  n->conn = NULL;
}

static void
on_daemon_appeared(gpointer data)
{
  list_waiting(data);
}

/* The shown notifications stay: a waiting run stays waiting across a daemon
 * restart, so its question is still open, and closing and re-showing would
 * only flash the same question twice. A click meanwhile gets a one-line
 * "shiftd is not running"; the list on its return withdraws what was decided. */
static void
on_daemon_vanished(gpointer data)
{
  Notifier *n = data;
  stop_listing(n);
  forget_unshown(n);
}

/* --- the buttons --- */

static void
on_answer(const char *name, const char *path, const char *choice, gpointer data)
{
  Notifier *n = data;
  log_run(LOG_INFO, name, NULL, "button \"%s\" clicked", choice);
  answer_send(n->conn, name, path, choice);
}

static void
on_open(const char *name, gpointer data)
{
  Notifier *n = data;
  g_autoptr(GError) error = NULL;
  if (terminal_open_status((const char *const *)n->shiftctl_options, name, &error))
    log_run(LOG_INFO, name, NULL, "opened its status in a terminal");
  else
    log_run(LOG_NOTICE, name, NULL, "cannot open its status: %s", error->message);
}

Notifier *
notifier_new(const NotifyArgs *args)
{
  Notifier *n = g_new0(Notifier, 1);
  n->notify_finished = args->notify_finished;
  n->shiftctl_options = notify_args_shiftctl_options(args);
  n->handlers = (DecisionHandlers){
    .shiftctl_options = (const char *const *)n->shiftctl_options,
    .answer = on_answer,
    .open = on_open,
    .user_data = n,
  };
  n->runs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)pending_free);
  static const DaemonLinkHandlers link_handlers = {
    .connected = on_link_connected,
    .disconnected = on_link_disconnected,
    .appeared = on_daemon_appeared,
    .vanished = on_daemon_vanished,
  };
  n->link = daemon_link_new(args, &link_handlers, n);
  return n;
}

void
notifier_start(Notifier *n)
{
  daemon_link_start(n->link);
}

void
notifier_free(Notifier *n)
{
  if (n == NULL)
    return;
  g_clear_pointer(&n->link, daemon_link_free);
  stop_listing(n);
  g_hash_table_destroy(n->runs);
  g_strfreev(n->shiftctl_options);
  g_free(n);
}
