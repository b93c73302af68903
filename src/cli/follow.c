#include "follow.h"

#include <glib/gi18n.h>

#include "bus-error.h"
#include "event-seq.h"
#include "props.h"
#include "run-api.h"
#include "run-print.h"
#include "run-row.h"
#include "shiftd-names.h"

typedef struct {
  CliContext *ctx;
  const char *path;
  gboolean print_events;
  CliEventSeq *seq;
  GVariant *props;     /* the last GetAll */
  char *state;         /* the latest State seen */
  guint32 event_count; /* the highest EventCount (or seq) seen */
  GMainLoop *loop;
  GError *error;
  gboolean ended;
} Follower;

static gboolean
is_resting(const char *state)
{
  return shiftd_run_state_is_final(state) || g_strcmp0(state, SHIFTD_STATE_WAITING) == 0;
}

static gboolean
stopped(Follower *f)
{
  return f->ended || f->error != NULL;
}

/* Ends the loop, with error (taken) or as a normal end. */
static void
stop(Follower *f, GError *error)
{
  if (stopped(f)) {
    g_clear_error(&error);
    return;
  }
  if (error != NULL)
    f->error = error;
  else
    f->ended = TRUE;
  g_main_loop_quit(f->loop);
}

/* Hands on every event that is next in line; TRUE if there was one. */
static gboolean
drain(Follower *f)
{
  gboolean any = FALSE;
  CliEvent *event;
  while ((event = cli_event_seq_pop(f->seq)) != NULL) {
    if (f->print_events)
      cli_print_event(f->ctx, event);
    f->event_count = MAX(f->event_count, event->seq);
    cli_event_free(event);
    any = TRUE;
  }
  return any;
}

/* Reads history in pages from the next seq on, up to seq upto (0: until a page
 * comes back empty). */
static gboolean
fetch(Follower *f, guint32 upto, GError **error)
{
  for (;;) {
    guint32 from = cli_event_seq_next(f->seq);
    if (upto != 0 && from > upto)
      return TRUE;
    guint32 max = upto != 0 ? MIN(CLI_EVENTS_PAGE, upto - from + 1) : CLI_EVENTS_PAGE;
    g_autoptr(GPtrArray) page = cli_run_get_events(&f->ctx->bus, f->path, from, max, error);
    if (page == NULL)
      return FALSE;
    if (page->len == 0)
      return TRUE;
    gsize n = 0;
    g_autofree CliEvent **events = (CliEvent **)g_ptr_array_steal(page, &n);
    for (gsize i = 0; i < n; i++)
      cli_event_seq_offer(f->seq, events[i]);
    /* a page that does not start at from would have us ask again forever */
    if (!drain(f)) {
      g_set_error(error, CLI_ERROR, CLI_ERROR_PROTOCOL,
                  _("shiftd answered GetEvents(%u, %u) without event %u"), from, max, from);
      return FALSE;
    }
  }
}

static gboolean
refresh(Follower *f, GError **error)
{
  GVariant *props = cli_get_all(&f->ctx->bus, f->path, SHIFTD_RUN_IFACE, error);
  if (props == NULL)
    return FALSE;
  g_clear_pointer(&f->props, g_variant_unref);
  f->props = props;
  g_free(f->state);
  f->state = g_strdup(cli_props_str(props, "State"));
  f->event_count = MAX(f->event_count, cli_props_u32(props, "EventCount"));
  return TRUE;
}

/* Once the run rests (final or waiting), catch up to EventCount and end. */
static void
settle(Follower *f)
{
  if (stopped(f) || !is_resting(f->state))
    return;
  GError *error = NULL;
  if (cli_event_seq_next(f->seq) <= f->event_count && !fetch(f, f->event_count, &error)) {
    stop(f, error);
    return;
  }
  /* still short: the missing events come as signals, and we settle again then */
  if (cli_event_seq_next(f->seq) > f->event_count)
    stop(f, NULL);
}

static void
on_event(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
         const char *signal, GVariant *params, gpointer data)
{
  Follower *f = data;
  if (stopped(f) || !g_variant_is_of_type(params, G_VARIANT_TYPE("(utss)")))
    return;
  CliEvent *event = cli_event_new_from_variant(params);
  f->event_count = MAX(f->event_count, event->seq);
  /* On the system bus the signal only says that event N exists; its content
   * comes from GetEvents, which checks that we may read it. */
  if (g_strcmp0(event->json, CLI_EVENT_REDACTED) == 0) {
    guint32 seq = event->seq;
    cli_event_free(event);
    GError *error = NULL;
    if (!fetch(f, seq, &error)) {
      stop(f, error);
      return;
    }
    settle(f);
    return;
  }
  cli_event_seq_offer(f->seq, event);
  drain(f);

  guint32 from, count;
  GError *error = NULL;
  if (cli_event_seq_gap(f->seq, &from, &count) && !fetch(f, from + count - 1, &error)) {
    stop(f, error);
    return;
  }
  settle(f);
}

static void
on_properties_changed(GDBusConnection *conn, const char *sender, const char *path,
                      const char *iface, const char *signal, GVariant *params, gpointer data)
{
  Follower *f = data;
  if (stopped(f) || !g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
    return;
  const char *changed_iface, *state = NULL;
  g_autoptr(GVariant) changed = NULL;
  g_autofree const char **invalidated = NULL;
  g_variant_get(params, "(&s@a{sv}^a&s)", &changed_iface, &changed, &invalidated);
  if (!g_str_equal(changed_iface, SHIFTD_RUN_IFACE))
    return;

  guint32 count;
  if (g_variant_lookup(changed, "EventCount", "u", &count))
    f->event_count = MAX(f->event_count, count);
  gboolean has_state = g_variant_lookup(changed, "State", "&s", &state);
  if (has_state && !is_resting(state)) {
    g_free(f->state);
    f->state = g_strdup(state);
  } else if (has_state || g_strv_contains(invalidated, "State")) {
    /* read everything afresh: EventCount, the result, the question */
    GError *error = NULL;
    if (!refresh(f, &error)) {
      stop(f, error);
      return;
    }
  }
  settle(f);
}

static void
on_name_owner_changed(GDBusConnection *conn, const char *sender, const char *path,
                      const char *iface, const char *signal, GVariant *params, gpointer data)
{
  Follower *f = data;
  const char *name, *old_owner, *new_owner;
  if (stopped(f) || !g_variant_is_of_type(params, G_VARIANT_TYPE("(sss)")))
    return;
  g_variant_get(params, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (!g_str_equal(name, SHIFTD_BUS_NAME) || new_owner[0] != '\0')
    return;
  g_autofree char *where = cli_bus_describe(&f->ctx->bus);
  stop(f, g_error_new(CLI_ERROR, CLI_ERROR_VANISHED,
                      _("shiftd left %s (%s has no owner now) before the run ended"), where,
                      SHIFTD_BUS_NAME));
}

static void
on_closed(GDBusConnection *conn, gboolean remote_peer_vanished, GError *error, gpointer data)
{
  Follower *f = data;
  g_autofree char *where = cli_bus_describe(&f->ctx->bus);
  stop(f, g_error_new(G_IO_ERROR, G_IO_ERROR_CLOSED, _("lost the connection to %s"), where));
}

gboolean
cli_follow_run(CliContext *ctx, const char *path, guint32 from, gboolean print_events,
               GVariant **out_props, GError **error)
{
  GDBusConnection *conn = ctx->bus.conn;
  Follower f = {
    .ctx = ctx,
    .path = path,
    .print_events = print_events,
    .seq = cli_event_seq_new(from),
    .loop = g_main_loop_new(NULL, FALSE),
  };

  /* Subscribe before reading anything: the bus handles our AddMatch before
   * our next call, so each event is either in the history we read next or
   * arrives as a signal (often both; the seq sorts that out). */
  guint subs[3];
  subs[0] = g_dbus_connection_signal_subscribe(conn, SHIFTD_BUS_NAME, SHIFTD_RUN_IFACE, "Event", path,
                                               NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_event, &f, NULL);
  subs[1] = g_dbus_connection_signal_subscribe(conn, SHIFTD_BUS_NAME, "org.freedesktop.DBus.Properties",
                                               "PropertiesChanged", path, SHIFTD_RUN_IFACE,
                                               G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed, &f, NULL);
  subs[2] = g_dbus_connection_signal_subscribe(conn, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                               "NameOwnerChanged", "/org/freedesktop/DBus",
                                               SHIFTD_BUS_NAME, G_DBUS_SIGNAL_FLAGS_NONE,
                                               on_name_owner_changed, &f, NULL);
  gulong closed_id = g_signal_connect(conn, "closed", G_CALLBACK(on_closed), &f);

  gboolean ok = refresh(&f, error) && fetch(&f, 0, error);
  if (ok) {
    settle(&f);
    /* quitting a loop that is not running yet would be lost */
    if (!stopped(&f))
      g_main_loop_run(f.loop);
    if (f.error != NULL) {
      g_propagate_error(error, g_steal_pointer(&f.error));
      ok = FALSE;
    }
  }

  for (gsize i = 0; i < G_N_ELEMENTS(subs); i++)
    g_dbus_connection_signal_unsubscribe(conn, subs[i]);
  g_signal_handler_disconnect(conn, closed_id);
  if (ok && out_props != NULL)
    *out_props = g_steal_pointer(&f.props);
  g_clear_pointer(&f.props, g_variant_unref);
  g_free(f.state);
  cli_event_seq_free(f.seq);
  g_main_loop_unref(f.loop);
  return ok;
}
