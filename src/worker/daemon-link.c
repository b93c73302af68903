#include "daemon-link.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "json-util.h"
#include "log.h"
#include "protocol.h"
#include "time-span.h"
#include "worker-error.h"

struct ShiftdLink {
  int in_fd;
  int out_fd;
  ShiftdLineReader *reader;
  GPtrArray *secrets; /* char*, masked in every line sent */
  gint64 next_id;
  GHashTable *acked;   /* ids acked so far */
  GHashTable *replies; /* id -> JsonObject: `reply` messages not yet taken */
  guint slots_wanted;  /* want_slot sent, slot not yet seen */
  guint slots_granted; /* slot seen, not yet taken */
  gboolean holding;
  gboolean seen_hello;
  JsonObject *hello;
  GError *failure; /* sticky: cancel, EOF, or a bad line */
};

static void
set_nonblocking(int fd)
{
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0 && !(flags & O_NONBLOCK))
    (void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

ShiftdLink *
shiftd_link_new(int in_fd, int out_fd)
{
  ShiftdLink *link = g_new0(ShiftdLink, 1);
  link->in_fd = in_fd;
  link->out_fd = out_fd;
  link->reader = shiftd_line_reader_new(SHIFTD_PROTOCOL_MAX_LINE);
  link->next_id = 1;
  link->acked = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  link->secrets = g_ptr_array_new_with_free_func(g_free);
  link->replies = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)json_object_unref);
  /* Non-blocking both ways: a long write must not stop us reading (and the
   * daemon's acks must never wait on us). */
  set_nonblocking(in_fd);
  set_nonblocking(out_fd);
  return link;
}

void
shiftd_link_free(ShiftdLink *link)
{
  if (link == NULL)
    return;
  shiftd_line_reader_free(link->reader);
  g_hash_table_unref(link->acked);
  for (guint i = 0; i < link->secrets->len; i++) {
    char *secret = g_ptr_array_index(link->secrets, i);
    memset(secret, 0, strlen(secret));
  }
  g_ptr_array_unref(link->secrets);
  g_hash_table_unref(link->replies);
  if (link->hello)
    json_object_unref(link->hello);
  g_clear_error(&link->failure);
  g_free(link);
}

/* Masking a very short "key" would mangle the JSON around it; real keys are long. */
#define MIN_SECRET_LEN 8

void
shiftd_link_set_secret(ShiftdLink *link, const char *secret)
{
  if (secret && strlen(secret) >= MIN_SECRET_LEN)
    g_ptr_array_add(link->secrets, g_strdup(secret));
}

int
shiftd_link_fd(ShiftdLink *link)
{
  return link->in_fd;
}

static gboolean
check(ShiftdLink *link, GError **error)
{
  if (link->failure == NULL)
    return TRUE;
  if (error)
    *error = g_error_copy(link->failure);
  return FALSE;
}

static gboolean
fail(ShiftdLink *link, GError **error, ShiftdWorkerError code, const char *format, ...) G_GNUC_PRINTF(4, 5);

/* Cancel and EOF are sticky: every later call fails the same way. A bad line
 * is not: the worker must still be able to send its `error` ending. */
static gboolean
fail(ShiftdLink *link, GError **error, ShiftdWorkerError code, const char *format, ...)
{
  if (link->failure != NULL)
    return check(link, error);
  va_list ap;
  va_start(ap, format);
  g_autofree char *message = g_strdup_vprintf(format, ap);
  va_end(ap);
  GError *failure = g_error_new_literal(SHIFTD_WORKER_ERROR, code, message);
  if (code == SHIFTD_WORKER_ERROR_PROTOCOL) {
    g_propagate_error(error, failure);
    return FALSE;
  }
  link->failure = failure;
  return check(link, error);
}

/* Reads what is there into the line buffer; no dispatch. */
static gboolean
read_available(ShiftdLink *link, GError **error)
{
  char buf[65536];
  for (;;) {
    ssize_t n = read(link->in_fd, buf, sizeof buf);
    if (n > 0) {
      g_autoptr(GError) local = NULL;
      if (!shiftd_line_reader_feed(link->reader, buf, (gsize)n, &local))
        return fail(link, error, SHIFTD_WORKER_ERROR_PROTOCOL, "the daemon sent a bad line: %s", local->message);
      if ((gsize)n < sizeof buf)
        return TRUE;
      continue;
    }
    if (n == 0)
      return fail(link, error, SHIFTD_WORKER_ERROR_CLOSED, "the daemon closed the socket");
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return TRUE;
    return fail(link, error, SHIFTD_WORKER_ERROR_CLOSED, "reading from the daemon: %s", g_strerror(errno));
  }
}

static gboolean
handle_message(ShiftdLink *link, JsonObject *message, const char *type, GError **error)
{
  if (g_str_equal(type, "cancel")) {
    const char *reason = shiftd_json_get_string(message, "reason", "cancelled");
    return fail(link, error, SHIFTD_WORKER_ERROR_CANCELLED, "%s", reason);
  }
  if (!link->seen_hello) {
    if (!g_str_equal(type, "hello"))
      return fail(link, error, SHIFTD_WORKER_ERROR_PROTOCOL,
                  "the daemon's first message was \"%s\", not \"hello\"", type);
    link->seen_hello = TRUE;
    link->hello = json_object_ref(message);
    return TRUE;
  }
  if (g_str_equal(type, "slot")) {
    if (link->slots_wanted == 0) {
      log_warning("the daemon granted a model slot that was not asked for; ignored");
      return TRUE;
    }
    link->slots_wanted--;
    link->slots_granted++;
  } else if (g_str_equal(type, "ack")) {
    JsonNode *id = json_object_get_member(message, "id");
    if (id == NULL || !JSON_NODE_HOLDS_VALUE(id) || json_node_get_value_type(id) != G_TYPE_INT64)
      return fail(link, error, SHIFTD_WORKER_ERROR_PROTOCOL, "the daemon sent an ack without a numeric id");
    gint64 *key = g_new(gint64, 1);
    *key = json_node_get_int(id);
    g_hash_table_add(link->acked, key);
  } else if (g_str_equal(type, "reply")) {
    JsonNode *id = json_object_get_member(message, "id");
    if (id == NULL || !JSON_NODE_HOLDS_VALUE(id) || json_node_get_value_type(id) != G_TYPE_INT64)
      return fail(link, error, SHIFTD_WORKER_ERROR_PROTOCOL, "the daemon sent a reply without a numeric id");
    gint64 *key = g_new(gint64, 1);
    *key = json_node_get_int(id);
    g_hash_table_replace(link->replies, key, json_object_ref(message));
  } else {
    /* Tolerated so a newer daemon can add messages a worker may skip. */
    log_warning("ignoring a \"%s\" message from the daemon", type);
  }
  return TRUE;
}

static gboolean
dispatch_lines(ShiftdLink *link, GError **error)
{
  for (;;) {
    g_autofree char *line = shiftd_line_reader_pop(link->reader);
    if (line == NULL)
      return TRUE;
    const char *type = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(JsonObject) message = shiftd_protocol_parse(line, &type, &local);
    if (message == NULL)
      return fail(link, error, SHIFTD_WORKER_ERROR_PROTOCOL,
                  "the daemon sent a line that does not parse: %s", local->message);
    if (!handle_message(link, message, type, error))
      return FALSE;
  }
}

gboolean
shiftd_link_pump(ShiftdLink *link, int timeout_ms, GError **error)
{
  if (!check(link, error) || !dispatch_lines(link, error))
    return FALSE;
  struct pollfd pfd = { .fd = link->in_fd, .events = POLLIN };
  int r;
  do
    r = poll(&pfd, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return fail(link, error, SHIFTD_WORKER_ERROR_CLOSED, "poll: %s", g_strerror(errno));
  if (r == 0)
    return TRUE;
  if (!read_available(link, error))
    return FALSE;
  return dispatch_lines(link, error);
}

/* Waits for a message; timeout_usec G_MAXUINT64 = forever. FALSE with no error on timeout. */
typedef gboolean (*LinkCondition)(ShiftdLink *link, gconstpointer data);

static gboolean
wait_until(ShiftdLink *link, LinkCondition cond, gconstpointer data, guint64 timeout_usec, GError **error)
{
  guint64 deadline = timeout_usec == G_MAXUINT64 ? G_MAXUINT64 : shiftd_now_monotonic_usec() + timeout_usec;
  for (;;) {
    if (!shiftd_link_pump(link, 0, error))
      return FALSE;
    if (cond(link, data))
      return TRUE;
    int timeout_ms = -1;
    if (deadline != G_MAXUINT64) {
      guint64 now = shiftd_now_monotonic_usec();
      if (now >= deadline)
        return FALSE;
      timeout_ms = (int)MIN((deadline - now + 999) / 1000, (guint64)G_MAXINT);
    }
    if (!shiftd_link_pump(link, timeout_ms, error))
      return FALSE;
    if (cond(link, data))
      return TRUE;
  }
}

static gboolean
has_hello(ShiftdLink *link, gconstpointer data)
{
  return link->hello != NULL;
}

JsonObject *
shiftd_link_read_hello(ShiftdLink *link, GError **error)
{
  if (!wait_until(link, has_hello, NULL, G_MAXUINT64, error))
    return NULL;
  return g_steal_pointer(&link->hello);
}

static char *
mask_secret(ShiftdLink *link, char *line)
{
  for (guint i = 0; i < link->secrets->len; i++) {
    const char *secret = g_ptr_array_index(link->secrets, i);
    if (strstr(line, secret) == NULL)
      continue;
    log_warning("a message to the daemon contained a secret (the API key or an MCP server's environment); masked");
    g_auto(GStrv) parts = g_strsplit(line, secret, -1);
    g_free(line);
    line = g_strjoinv("***", parts);
  }
  return line;
}

static gboolean
write_all(ShiftdLink *link, const char *data, gsize len, GError **error)
{
  while (len > 0) {
    ssize_t n = write(link->out_fd, data, len);
    if (n > 0) {
      data += n;
      len -= (gsize)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return fail(link, error, SHIFTD_WORKER_ERROR_CLOSED, "writing to the daemon: %s", g_strerror(errno));
    /* Full: wait for room, and keep reading meanwhile so neither side stalls. */
    struct pollfd pfd[2] = {
      { .fd = link->out_fd, .events = POLLOUT },
      { .fd = link->in_fd, .events = POLLIN },
    };
    int nfds = link->in_fd == link->out_fd ? 1 : 2;
    if (nfds == 1)
      pfd[0].events |= POLLIN;
    if (poll(pfd, nfds, -1) < 0 && errno != EINTR)
      return fail(link, error, SHIFTD_WORKER_ERROR_CLOSED, "poll: %s", g_strerror(errno));
    gboolean readable = (nfds == 2 ? pfd[1].revents : pfd[0].revents) & (POLLIN | POLLHUP);
    if (readable && !read_available(link, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
shiftd_link_send(ShiftdLink *link, JsonObject *message, gint64 *out_id, GError **error)
{
  if (!check(link, error))
    return FALSE;
  const char *type = json_object_get_string_member(message, "type");
  gboolean numbered = !g_str_equal(type, "want_slot") && !g_str_equal(type, "free_slot");
  gint64 id = 0;
  if (numbered) {
    id = link->next_id++;
    json_object_set_int_member(message, "id", id);
  }
  char *line = mask_secret(link, shiftd_protocol_serialize(message));
  gsize len = strlen(line);
  if (len - 1 > SHIFTD_PROTOCOL_MAX_LINE) {
    /* The daemon would refuse it; say so here, where the reason is known. */
    if (g_str_equal(type, "checkpoint"))
      g_set_error(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_FAILED,
                  "the conversation has grown to %" G_GSIZE_FORMAT " bytes, more than a checkpoint may hold (%d MiB)",
                  len, SHIFTD_PROTOCOL_MAX_LINE >> 20);
    else
      g_set_error(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_FAILED,
                  "a \"%s\" message of %" G_GSIZE_FORMAT " bytes is over the protocol's line limit (%d MiB)", type,
                  len, SHIFTD_PROTOCOL_MAX_LINE >> 20);
    g_free(line);
    if (numbered)
      link->next_id--; /* never sent: keep the ids without gaps */
    return FALSE;
  }
  gboolean ok = write_all(link, line, len, error);
  g_free(line);
  if (ok && out_id)
    *out_id = id;
  return ok;
}

gboolean
shiftd_link_send_event(ShiftdLink *link, const char *kind, JsonObject *data, GError **error)
{
  g_autoptr(JsonObject) message = shiftd_protocol_message_new("event");
  json_object_set_string_member(message, "kind", kind);
  json_object_set_object_member(message, "data", data);
  return shiftd_link_send(link, message, NULL, error);
}

static gboolean
has_slot(ShiftdLink *link, gconstpointer data)
{
  return link->slots_granted > 0;
}

gboolean
shiftd_link_acquire_slot(ShiftdLink *link, GError **error)
{
  g_return_val_if_fail(!link->holding, FALSE);
  g_autoptr(JsonObject) want = shiftd_protocol_message_new("want_slot");
  if (!shiftd_link_send(link, want, NULL, error))
    return FALSE;
  link->slots_wanted++;
  if (!wait_until(link, has_slot, NULL, G_MAXUINT64, error))
    return FALSE;
  link->slots_granted--;
  link->holding = TRUE;
  return TRUE;
}

gboolean
shiftd_link_release_slot(ShiftdLink *link, GError **error)
{
  if (!link->holding)
    return TRUE;
  link->holding = FALSE;
  g_autoptr(JsonObject) free_slot = shiftd_protocol_message_new("free_slot");
  return shiftd_link_send(link, free_slot, NULL, error);
}

gboolean
shiftd_link_holds_slot(ShiftdLink *link)
{
  return link->holding;
}

static gboolean
is_acked(ShiftdLink *link, gconstpointer data)
{
  return g_hash_table_contains(link->acked, data);
}

gboolean
shiftd_link_wait_ack(ShiftdLink *link, gint64 id, guint64 timeout_usec, GError **error)
{
  return wait_until(link, is_acked, &id, timeout_usec, error);
}

static gboolean
has_reply(ShiftdLink *link, gconstpointer data)
{
  return g_hash_table_contains(link->replies, data);
}

JsonObject *
shiftd_link_request(ShiftdLink *link, JsonObject *message, GError **error)
{
  gint64 id = 0;
  if (!shiftd_link_send(link, message, &id, error))
    return NULL;
  /* the daemon always replies; cancel and EOF end the wait */
  if (!wait_until(link, has_reply, &id, G_MAXUINT64, error))
    return NULL;
  gpointer key = NULL, value = NULL;
  g_hash_table_steal_extended(link->replies, &id, &key, &value);
  g_free(key);
  return value;
}

static gboolean
never(ShiftdLink *link, gconstpointer data)
{
  return FALSE;
}

gboolean
shiftd_link_sleep(ShiftdLink *link, guint64 usec, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!wait_until(link, never, NULL, usec, &local) && local != NULL) {
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  return TRUE;
}
