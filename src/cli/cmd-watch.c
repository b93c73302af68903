/* watch: a live view that redraws in place, like top. What shiftd says is
 * read again whenever it sends a signal (a run or agent changed, a run
 * started, finished or asks), at most every REFRESH_MIN_MSEC, and every
 * REFETCH_SEC in any case; the frame is redrawn every second for the
 * relative times and on a resize. Not on a terminal it prints one frame and
 * exits; with --json it prints the view as one JSON line per change. */
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bus-error.h"
#include "cli-context.h"
#include "output.h"
#include "props.h"
#include "run-api.h"
#include "run-row.h"
#include "shiftd-names.h"
#include "watch-view.h"

#define REFRESH_MIN_MSEC 150
#define REFETCH_SEC 10
/* recent finished runs asked for (live runs are asked for by state, all of them) */
#define RECENT_RUNS 100

#define ALT_SCREEN_ON "\033[?1049h\033[?25l"
#define ALT_SCREEN_OFF "\033[?25h\033[?1049l"

typedef struct {
  CliContext *ctx;
  GMainLoop *loop;
  gboolean live;      /* redraw in place on a terminal */
  gboolean dirty;     /* shiftd said something since the last fetch */
  guint refresh_id;   /* a pending fetch */
  WatchModel *model;
  char *last_json;
  gboolean lost; /* the connection closed: the view ended with it */
} Watch;

static void
add_runs(Watch *w, GHashTable *seen, const char *state, guint32 limit, GError **error)
{
  g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
  if (state)
    g_variant_builder_add(&b, "{sv}", "state", g_variant_new_string(state));
  if (limit)
    g_variant_builder_add(&b, "{sv}", "limit", g_variant_new_uint32(limit));
  g_autoptr(GVariant) reply =
    cli_bus_call(&w->ctx->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "ListRuns",
                 g_variant_new("(@a{sv})", g_variant_builder_end(&b)), G_VARIANT_TYPE("(a(ssssto))"), error);
  if (reply == NULL)
    return;
  g_autoptr(GVariant) runs = g_variant_get_child_value(reply, 0);
  GVariantIter iter;
  const char *name, *agent, *run_state, *summary, *path;
  guint64 created;
  g_variant_iter_init(&iter, runs);
  while (g_variant_iter_next(&iter, "(&s&s&s&st&o)", &name, &agent, &run_state, &summary, &created, &path)) {
    if (!g_hash_table_add(seen, g_strdup(name)))
      continue;
    g_ptr_array_add(w->model->runs, watch_run_new(name, agent, run_state, summary, created));
    if (!g_str_equal(run_state, SHIFTD_STATE_WAITING))
      continue;
    g_autoptr(GVariant) props = cli_get_all(&w->ctx->bus, path, SHIFTD_RUN_IFACE, NULL);
    g_auto(GStrv) choices = cli_props_strv(props, "Choices");
    g_ptr_array_add(w->model->decisions,
                    watch_decision_new(name, cli_props_str(props, "Question"), (const char *const *)choices,
                                       cli_props_u64(props, "DecisionDeadline")));
  }
}

static void
add_agents(Watch *w, GError **error)
{
  g_autoptr(GVariant) reply = cli_bus_call(&w->ctx->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "ListAgents",
                                           NULL, G_VARIANT_TYPE("(a(sssto))"), error);
  if (reply == NULL)
    return;
  g_autoptr(GVariant) agents = g_variant_get_child_value(reply, 0);
  GVariantIter iter;
  const char *name, *schedule, *path;
  guint64 next_wake;
  g_variant_iter_init(&iter, agents);
  while (g_variant_iter_next(&iter, "(&s&s&st&o)", &name, NULL, &schedule, &next_wake, &path)) {
    g_autoptr(GVariant) props = cli_get_all(&w->ctx->bus, path, SHIFTD_AGENT_IFACE, NULL);
    gboolean enabled = TRUE;
    if (props)
      g_variant_lookup(props, "Enabled", "b", &enabled);
    g_autofree char *last_state = NULL;
    const char *last = cli_props_str(props, "LastRun");
    if (last[0] != '\0' && !g_str_equal(last, "/")) {
      g_autoptr(GVariant) state =
        cli_bus_call(&w->ctx->bus, last, "org.freedesktop.DBus.Properties", "Get",
                     g_variant_new("(ss)", SHIFTD_RUN_IFACE, "State"), G_VARIANT_TYPE("(v)"), NULL);
      g_autoptr(GVariant) value = NULL;
      if (state != NULL)
        g_variant_get(state, "(v)", &value);
      if (value != NULL && g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
        last_state = g_variant_dup_string(value, NULL);
    }
    g_ptr_array_add(w->model->agents, watch_agent_new(name, schedule, next_wake, enabled, last_state));
  }
}

/* Reads everything afresh into a new model; a failure is shown, not fatal. */
static void
fetch(Watch *w)
{
  g_autoptr(WatchModel) m = watch_model_new();
  g_free(m->where);
  m->where = cli_bus_describe(&w->ctx->bus);
  WatchModel *old = w->model;
  w->model = m;

  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) manager = cli_get_all(&w->ctx->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, &error);
  if (manager != NULL) {
    g_free(m->version);
    m->version = g_strdup(cli_props_str(manager, "Version"));
    m->active = cli_props_u32(manager, "ActiveRuns");
    m->slots = cli_props_u32(manager, "ModelSlots");
    m->slots_in_use = cli_props_u32(manager, "ModelSlotsInUse");
    m->queue_length = cli_props_u32(manager, "ModelQueueLength");
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    static const char *const live[] = { SHIFTD_STATE_WAITING, SHIFTD_STATE_RUNNING, SHIFTD_STATE_QUEUED };
    for (gsize i = 0; i < G_N_ELEMENTS(live) && error == NULL; i++)
      add_runs(w, seen, live[i], 0, &error);
    if (error == NULL)
      add_runs(w, seen, NULL, RECENT_RUNS, &error);
    if (error == NULL)
      add_agents(w, &error);
  }
  if (error != NULL) {
    CliFailure failure;
    cli_failure_init(&failure, error, m->where);
    m->problem = g_strdup(failure.message);
    cli_failure_clear(&failure);
    /* what was seen before stays in view under the problem */
    if (old != NULL) {
      g_free(m->version);
      m->version = g_strdup(old->version);
    }
  }
  w->model = g_steal_pointer(&m);
  watch_model_free(old);
  w->dirty = FALSE;
}

static void
screen_size(guint *width, guint *height)
{
  struct winsize ws;
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
    *width = ws.ws_col;
    *height = ws.ws_row;
  } else {
    *width = 80;
    *height = 24;
  }
}

static void
draw(Watch *w)
{
  CliContext *ctx = w->ctx;
  if (ctx->json) {
    g_autofree char *json = watch_to_json(w->model);
    if (g_strcmp0(json, w->last_json) != 0) {
      printf("%s\n", json);
      fflush(stdout);
      g_free(w->last_json);
      w->last_json = g_steal_pointer(&json);
    }
    return;
  }
  g_autofree char *flags = cli_bus_flags(&ctx->bus);
  WatchScreen screen = {
    .now = w->live ? (guint64)g_get_real_time() : ctx->now,
    .tz = ctx->tz,
    .width = ctx->width,
    .color = ctx->color,
    .answer_flags = flags,
  };
  if (!w->live) {
    g_autofree char *frame = watch_render(w->model, &screen);
    fputs(frame, stdout);
    return;
  }
  screen_size(&screen.width, &screen.height);
  g_autofree char *frame = watch_render(w->model, &screen);
  /* home, each line cleared to its end, then everything below: no flicker */
  GString *out = g_string_new("\033[H");
  g_auto(GStrv) lines = g_strsplit(frame, "\n", -1);
  guint n = g_strv_length(lines);
  for (guint i = 0; i + 1 < n && i < screen.height; i++) {
    g_string_append(out, lines[i]);
    g_string_append(out, "\033[K");
    if (i + 1 < screen.height && i + 2 < n)
      g_string_append(out, "\r\n");
  }
  g_string_append(out, "\033[J");
  fwrite(out->str, 1, out->len, stdout);
  fflush(stdout);
  g_string_free(out, TRUE);
}

static gboolean
on_refresh(gpointer data)
{
  Watch *w = data;
  w->refresh_id = 0;
  fetch(w);
  draw(w);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh(Watch *w)
{
  w->dirty = TRUE;
  if (w->refresh_id == 0)
    w->refresh_id = g_timeout_add(REFRESH_MIN_MSEC, on_refresh, w);
}

static void
on_signal(GDBusConnection *conn, const char *sender, const char *path, const char *iface, const char *signal,
          GVariant *params, gpointer data)
{
  schedule_refresh(data);
}

static gboolean
on_tick(gpointer data)
{
  Watch *w = data;
  if (!w->ctx->json)
    draw(w);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_refetch(gpointer data)
{
  schedule_refresh(data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_resize(gpointer data)
{
  draw(data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_quit(gpointer data)
{
  Watch *w = data;
  g_main_loop_quit(w->loop);
  return G_SOURCE_CONTINUE;
}

static void
on_closed(GDBusConnection *conn, gboolean remote_peer_vanished, GError *error, gpointer data)
{
  Watch *w = data;
  g_free(w->model->problem);
  g_autofree char *where = cli_bus_describe(&w->ctx->bus);
  w->model->problem = g_strdup_printf(_("lost the connection to %s"), where);
  w->lost = TRUE;
  draw(w);
  g_main_loop_quit(w->loop);
}

int
cli_cmd_watch(CliContext *ctx, const CliArgs *args)
{
  Watch w = {
    .ctx = ctx,
    .live = ctx->json || isatty(STDOUT_FILENO),
  };
  fetch(&w);
  /* started (or found) once; if it goes, the view says so and waits for it */
  ctx->bus.reached = TRUE;
  if (!w.live) {
    /* one frame, for a pipe or a file; not being able to ask is an error then */
    draw(&w);
    int status = CLI_EXIT_OK;
    if (w.model->problem != NULL) {
      fprintf(stderr, "shiftctl: %s\n", w.model->problem);
      status = CLI_EXIT_FAILURE;
    }
    watch_model_free(w.model);
    return status;
  }

  GDBusConnection *conn = ctx->bus.conn;
  w.loop = g_main_loop_new(NULL, FALSE);
  guint subs[2];
  subs[0] = g_dbus_connection_signal_subscribe(conn, SHIFTD_BUS_NAME, NULL, NULL, NULL, NULL,
                                               G_DBUS_SIGNAL_FLAGS_NONE, on_signal, &w, NULL);
  subs[1] = g_dbus_connection_signal_subscribe(conn, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                               "NameOwnerChanged", "/org/freedesktop/DBus", SHIFTD_BUS_NAME,
                                               G_DBUS_SIGNAL_FLAGS_NONE, on_signal, &w, NULL);
  gulong closed_id = g_signal_connect(conn, "closed", G_CALLBACK(on_closed), &w);
  guint sources[] = {
    g_timeout_add_seconds(1, on_tick, &w),
    g_timeout_add_seconds(REFETCH_SEC, on_refetch, &w),
    g_unix_signal_add(SIGINT, on_quit, &w),
    g_unix_signal_add(SIGTERM, on_quit, &w),
    g_unix_signal_add(SIGHUP, on_quit, &w),
    g_unix_signal_add(SIGWINCH, on_resize, &w),
  };

  if (!ctx->json) {
    fputs(ALT_SCREEN_ON, stdout);
    fflush(stdout);
  }
  draw(&w);
  g_main_loop_run(w.loop);
  if (!ctx->json) {
    fputs(ALT_SCREEN_OFF, stdout);
    fflush(stdout);
  }
  /* the frame that said so went with its screen: say it where it stays */
  int status = CLI_EXIT_OK;
  if (w.lost) {
    fprintf(stderr, "shiftctl: %s\n", w.model->problem);
    status = CLI_EXIT_FAILURE;
  }

  for (gsize i = 0; i < G_N_ELEMENTS(sources); i++)
    g_source_remove(sources[i]);
  if (w.refresh_id)
    g_source_remove(w.refresh_id);
  for (gsize i = 0; i < G_N_ELEMENTS(subs); i++)
    g_dbus_connection_signal_unsubscribe(conn, subs[i]);
  g_signal_handler_disconnect(conn, closed_id);
  g_main_loop_unref(w.loop);
  watch_model_free(w.model);
  g_free(w.last_json);
  return status;
}
