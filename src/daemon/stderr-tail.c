#include "stderr-tail.h"

#include <gio/gio.h>
#include <glib-unix.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>


/* A line longer than this is cut: it is a log line, not data. */
#define LINE_MAX_BYTES 4096
#define READ_PER_WAKEUP (64 * 1024)

struct StderrTail {
  int fd;
  sd_event_source *source;
  GString *partial;
  char *last;
};

static void
take_line(StderrTail *t, const char *line)
{
  g_autofree char *valid = g_utf8_make_valid(line, -1);
  g_strstrip(valid);
  if (valid[0] == '\0')
    return;
  /* as the worker wrote it (its own lines carry its name and the run's) */
  g_autofree char *out = g_strconcat(valid, "\n", NULL);
  ssize_t ignored = write(STDERR_FILENO, out, strlen(out));
  (void)ignored;
  g_free(t->last);
  t->last = g_steal_pointer(&valid);
}

static void
split_lines(StderrTail *t, const char *buf, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    if (buf[i] == '\n' || buf[i] == '\0') {
      take_line(t, t->partial->str);
      g_string_truncate(t->partial, 0);
    } else if (t->partial->len < LINE_MAX_BYTES) {
      g_string_append_c(t->partial, buf[i]);
    }
  }
}

/* FALSE at EOF or on an error. */
static gboolean
read_some(StderrTail *t, gsize budget)
{
  char buf[4096];
  gsize total = 0;
  while (total < budget) {
    ssize_t n = read(t->fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return TRUE;
    if (n <= 0)
      return FALSE;
    split_lines(t, buf, (gsize)n);
    total += (gsize)n;
  }
  return TRUE;
}

static void
stop(StderrTail *t)
{
  if (t->partial->len > 0) {
    take_line(t, t->partial->str);
    g_string_truncate(t->partial, 0);
  }
  t->source = sd_event_source_disable_unref(t->source);
  if (t->fd >= 0) {
    close(t->fd);
    t->fd = -1;
  }
}

static int
on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
  StderrTail *t = userdata;
  if (!read_some(t, READ_PER_WAKEUP))
    stop(t);
  return 0;
}

StderrTail *
stderr_tail_new(sd_event *e, int fd, GError **error)
{
  StderrTail *t = g_new0(StderrTail, 1);
  t->fd = fd;
  t->partial = g_string_new(NULL);
  g_unix_set_fd_nonblocking(fd, TRUE, NULL);
  int r = sd_event_add_io(e, &t->source, fd, EPOLLIN, on_readable, t);
  if (r < 0) {
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), "cannot watch the worker's stderr: %s",
                g_strerror(-r));
    stderr_tail_free(t);
    return NULL;
  }
  return t;
}

void
stderr_tail_drain(StderrTail *t)
{
  if (t->fd < 0)
    return;
  /* the writer is gone: what is left is finite (a pipe's worth) */
  read_some(t, G_MAXSIZE);
  stop(t);
}

const char *
stderr_tail_last(StderrTail *t)
{
  return t->last;
}

void
stderr_tail_free(StderrTail *t)
{
  if (t == NULL)
    return;
  stop(t);
  g_string_free(t->partial, TRUE);
  g_free(t->last);
  g_free(t);
}
