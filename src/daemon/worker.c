#include "worker.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <glib-unix.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "protocol.h"
#include "run-engine.h"
#include "run.h"

/* A worker that has closed its socket but lingers is stopped after this long. */
#define WORKER_LINGER_USEC (5 * G_USEC_PER_SEC)
/* What one worker may cost the daemon (DESIGN.md: hostile input is bounded).
 * Reading stops after this much per wake-up, so other work goes on... */
#define READ_PER_WAKEUP (256 * 1024)
/* ...and while this many of its changes wait for the store (resuming at half). */
#define IN_FLIGHT_MAX 256
/* A worker sends a few messages a step; this many in one second is a flood. */
#define FLOOD_MESSAGES_PER_SEC 5000
/* Output it does not read: a hello (which may carry a whole checkpoint) and
 * a margin; more means it stopped reading. */
#define UNREAD_OUTPUT_MAX (SHIFTD_PROTOCOL_MAX_LINE + 1024 * 1024)

static int on_worker_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);

Worker *
worker_new(Daemon *d, Run *run, guint32 attempt, int *child_fd, GError **error)
{
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "socketpair: %s", g_strerror(e));
    return NULL;
  }
  g_unix_set_fd_nonblocking(pair[0], TRUE, NULL);

  Worker *w = g_new0(Worker, 1);
  w->refs = 1;
  w->daemon = d;
  w->run = run_ref(run);
  w->attempt = attempt;
  w->fd = pair[0];
  w->reader = shiftd_line_reader_new(SHIFTD_PROTOCOL_MAX_LINE);
  w->out = g_string_new(NULL);
  w->started_mono = (guint64)g_get_monotonic_time();
  w->unit = g_strdup("");

  int r = sd_event_add_io(d->event, &w->io_source, w->fd, EPOLLIN, on_worker_io, w);
  if (r < 0) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot watch the worker socket: %s", g_strerror(-r));
    close(pair[1]);
    worker_unref(w);
    return NULL;
  }
  *child_fd = pair[1];
  return w;
}

Worker *
worker_ref(Worker *w)
{
  w->refs++;
  return w;
}

static void
close_socket(Worker *w)
{
  w->io_source = sd_event_source_disable_unref(w->io_source);
  if (w->fd >= 0) {
    close(w->fd);
    w->fd = -1;
  }
}

void
worker_unref(Worker *w)
{
  if (w == NULL || --w->refs > 0)
    return;
  close_socket(w);
  sd_event_source_disable_unref(w->linger_timer);
  shiftd_line_reader_free(w->reader);
  g_string_free(w->out, TRUE);
  g_free(w->unit);
  run_unref(w->run);
  g_free(w);
}

static void
update_events(Worker *w)
{
  if (w->io_source == NULL)
    return;
  uint32_t events = (w->reading_paused ? 0 : EPOLLIN) | (w->out->len ? EPOLLOUT : 0);
  /* a paused worker that hung up would wake us without end (EPOLLHUP cannot be masked) */
  if (events == 0) {
    sd_event_source_set_enabled(w->io_source, SD_EVENT_OFF);
    return;
  }
  sd_event_source_set_io_events(w->io_source, events);
  sd_event_source_set_enabled(w->io_source, SD_EVENT_ON);
}

static void
flush_out(Worker *w)
{
  while (w->out->len > 0 && w->fd >= 0) {
    ssize_t n = send(w->fd, w->out->str, w->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN)
        g_string_truncate(w->out, 0); /* the worker is gone; its exit tells the rest */
      break;
    }
    g_string_erase(w->out, 0, n);
  }
  update_events(w);
}

void
worker_send(Worker *w, JsonObject *message)
{
  g_autofree char *line = shiftd_protocol_serialize(message);
  json_object_unref(message);
  if (w->fd < 0)
    return;
  g_string_append(w->out, line);
  flush_out(w);
  if (w->out->len > UNREAD_OUTPUT_MAX) {
    g_string_truncate(w->out, 0);
    g_autofree char *why = g_strdup_printf("worker protocol error: the worker left more than %u MiB unread on its "
                                           "socket; it was stopped", UNREAD_OUTPUT_MAX / (1024 * 1024));
    engine_worker_protocol_error(w, why);
  }
}

/* FALSE (and the attempt ended) when the worker floods its socket. */
static gboolean
count_message(Worker *w)
{
  guint64 now = (guint64)g_get_monotonic_time();
  if (now - w->window_start_mono >= G_USEC_PER_SEC) {
    w->window_start_mono = now;
    w->window_messages = 0;
  }
  if (++w->window_messages <= FLOOD_MESSAGES_PER_SEC)
    return TRUE;
  g_autofree char *why = g_strdup_printf("worker protocol error: the worker flooded its socket (more than %u "
                                         "messages in one second); it was stopped", FLOOD_MESSAGES_PER_SEC);
  engine_worker_protocol_error(w, why);
  return FALSE;
}

static gboolean
process_lines(Worker *w)
{
  char *line;
  /* a worker that is gone is heard to the end: its last lines are finite and
   * may hold its ending */
  while (!w->abandoned && (!w->reading_paused || w->exited) && (line = shiftd_line_reader_pop(w->reader))) {
    g_autofree char *owned = line;
    g_autoptr(GError) error = NULL;
    const char *type = NULL;
    g_autoptr(JsonObject) msg = shiftd_protocol_parse(owned, &type, &error);
    if (msg == NULL) {
      g_autofree char *why = g_strdup_printf("worker protocol error: %s", error->message);
      engine_worker_protocol_error(w, why);
      return FALSE;
    }
    if (!count_message(w))
      return FALSE;
    engine_worker_message(w, type, msg);
  }
  return !w->abandoned;
}

/* Reads what is there, up to READ_PER_WAKEUP (unbounded when the worker is
 * gone and its last words are wanted); FALSE at EOF or on a fatal error. */
static gboolean
read_input(Worker *w, gboolean bounded)
{
  char buf[65536];
  gsize total = 0;
  for (;;) {
    if (bounded && (total >= READ_PER_WAKEUP || w->reading_paused))
      return TRUE;
    ssize_t n = read(w->fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN)
        return TRUE;
      return FALSE;
    }
    if (n == 0)
      return FALSE;
    total += (gsize)n;
    if (w->abandoned)
      continue;
    g_autoptr(GError) error = NULL;
    if (!shiftd_line_reader_feed(w->reader, buf, (gsize)n, &error)) {
      g_autofree char *why = g_strdup_printf("worker protocol error: %s", error->message);
      engine_worker_protocol_error(w, why);
      continue;
    }
    if (!process_lines(w))
      continue;
  }
}

static int
on_linger_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
  Worker *w = userdata;
  if (!w->exited)
    worker_stop(w, "closed its socket but did not exit");
  return 0;
}

static int
on_worker_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
  Worker *w = worker_ref(userdata);
  if (revents & EPOLLOUT)
    flush_out(w);
  if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR) && !w->reading_paused) {
    if (!read_input(w, TRUE)) {
      /* EOF: the process's exit will end the attempt; make sure it comes. */
      w->io_source = sd_event_source_disable_unref(w->io_source);
      if (!w->exited && w->linger_timer == NULL &&
          sd_event_add_time_relative(w->daemon->event, &w->linger_timer, CLOCK_MONOTONIC, WORKER_LINGER_USEC, 0,
                                     on_linger_timeout, w) < 0)
        worker_stop(w, "closed its socket (and no timer could wait for its exit)");
    }
  }
  worker_unref(w);
  return 0;
}

void
worker_stop(Worker *w, const char *reason)
{
  if (w->exited || w->stopping)
    return;
  w->stopping = TRUE;
  JsonObject *msg = json_object_new();
  json_object_set_string_member(msg, "type", "cancel");
  json_object_set_string_member(msg, "reason", reason ? reason : "stopped");
  worker_send(w, msg);
  w->daemon->backend->stop(w->daemon->backend, w);
}

void
worker_abandon(Worker *w, const char *reason)
{
  w->abandoned = TRUE;
  worker_stop(w, reason);
}

void
worker_process_exited(Worker *w, const char *reason)
{
  if (w->exited)
    return;
  worker_ref(w);
  w->exited = TRUE;
  w->linger_timer = sd_event_source_disable_unref(w->linger_timer);
  /* Everything it wrote before dying is still in the reader (lines read while
   * paused) or the socket: hear it first, the reader's lines before the rest. */
  if (w->fd >= 0 && w->io_source) {
    w->reading_paused = FALSE;
    process_lines(w);
    read_input(w, FALSE);
  }
  close_socket(w);
  engine_worker_gone(w, reason);
  worker_unref(w);
}

void
worker_commit_started(Worker *w)
{
  if (++w->in_flight >= IN_FLIGHT_MAX && !w->reading_paused) {
    w->reading_paused = TRUE;
    update_events(w);
  }
}

void
worker_commit_done(Worker *w)
{
  if (w->in_flight > 0)
    w->in_flight--;
  if (!w->reading_paused || w->in_flight > IN_FLIGHT_MAX / 2)
    return;
  w->reading_paused = FALSE;
  worker_ref(w);
  /* what was read while paused goes first */
  if (process_lines(w))
    update_events(w);
  worker_unref(w);
}
