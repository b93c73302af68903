#include "path-watch.h"

#include <gio/gio.h>

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"

/* systemd's PathChanged= mask, so both backends wake on the same things */
#define SELF_MASK                                                                                                     \
  (IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_MOVED_FROM | IN_MOVED_TO)
/* an ancestor: only whether the next name toward the path comes or goes */
#define ANCESTOR_MASK (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define GONE_MASK (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)

/* One path, on an inotify descriptor of its own: set up afresh whenever the
 * way to it changes, so no stale watch descriptor is ever read. */
typedef struct {
  PathWatch *owner;
  char *path;
  sd_event_source *io; /* owns the inotify descriptor */
  int wd_self;         /* the path itself; -1 while it is not there */
  int wd_ancestor;     /* its nearest existing ancestor (its parent while it is there) */
  char *next_name;     /* the name in that ancestor that leads to the path */
  gboolean at_parent;  /* that ancestor is the path's own directory */
  gboolean denied;     /* EACCES was logged once already */
} Target;

struct PathWatch {
  sd_event *event;
  PathWatchChanged changed;
  gpointer user_data;
  GPtrArray *targets; /* Target* */
  char **paths;
};

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static void
target_free(Target *t)
{
  sd_event_source_disable_unref(t->io);
  g_free(t->path);
  g_free(t->next_name);
  g_free(t);
}

static void
note_denied(Target *t, const char *where, int e)
{
  if (t->denied)
    return;
  t->denied = TRUE;
  log_warning("WatchPath=%s: cannot watch %s: %s", t->path, where, g_strerror(e));
}

/* Watches the path, or failing that waits for it from the nearest ancestor
 * that is there. FALSE only when inotify itself fails. */
static gboolean
target_setup(Target *t, GError **error)
{
  t->io = sd_event_source_disable_unref(t->io);
  t->wd_self = t->wd_ancestor = -1;
  g_clear_pointer(&t->next_name, g_free);
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "inotify: %s", g_strerror(e));
    return FALSE;
  }
  int r = sd_event_add_io(t->owner->event, &t->io, fd, EPOLLIN, on_inotify, t);
  if (r < 0) {
    close(fd);
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), "cannot follow inotify: %s", g_strerror(-r));
    return FALSE;
  }
  r = sd_event_source_set_io_fd_own(t->io, 1);
  if (r < 0) {
    t->io = sd_event_source_disable_unref(t->io);
    close(fd);
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), "cannot follow inotify: %s", g_strerror(-r));
    return FALSE;
  }
  t->wd_self = inotify_add_watch(fd, t->path, SELF_MASK);
  if (t->wd_self < 0 && errno != ENOENT && errno != ENOTDIR)
    note_denied(t, t->path, errno);
  if (g_str_equal(t->path, "/"))
    return TRUE;
  g_autofree char *dir = g_path_get_dirname(t->path);
  g_autofree char *name = g_path_get_basename(t->path);
  t->at_parent = TRUE;
  for (;;) {
    t->wd_ancestor = inotify_add_watch(fd, dir, ANCESTOR_MASK);
    if (t->wd_ancestor >= 0) {
      t->next_name = g_steal_pointer(&name);
      break;
    }
    if ((errno != ENOENT && errno != ENOTDIR) || g_str_equal(dir, "/")) {
      note_denied(t, dir, errno);
      break;
    }
    g_free(name);
    name = g_path_get_basename(dir);
    char *up = g_path_get_dirname(dir);
    g_free(dir);
    dir = up;
    t->at_parent = FALSE;
  }
  return TRUE;
}

static int
on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
  Target *t = userdata;
  gboolean changed = FALSE, again = FALSE;
  union {
    struct inotify_event event;
    char bytes[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)];
  } buf;
  for (;;) {
    ssize_t n = read(fd, &buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN)
        log_warning("WatchPath=%s: reading inotify: %s", t->path, g_strerror(errno));
      break;
    }
    for (char *p = buf.bytes; p < buf.bytes + n;) {
      const struct inotify_event *e = (const struct inotify_event *)p;
      p += sizeof(*e) + e->len;
      if (e->mask & IN_Q_OVERFLOW) {
        /* events were lost: assume the worst */
        changed = again = TRUE;
      } else if (e->wd == t->wd_self) {
        changed = TRUE;
        if (e->mask & GONE_MASK)
          again = TRUE;
      } else if (e->wd == t->wd_ancestor) {
        if (e->mask & GONE_MASK) {
          again = TRUE;
        } else if (e->len && t->next_name && g_str_equal(e->name, t->next_name)) {
          again = TRUE;
          if (t->at_parent)
            changed = TRUE; /* the path itself came, went or was replaced */
        }
      }
    }
  }
  if (again) {
    gboolean was_there = t->wd_self >= 0;
    g_autoptr(GError) error = NULL;
    /* frees this source (sd-event lets a source go from its own callback) */
    if (!target_setup(t, &error))
      log_warning("WatchPath=%s: no longer watched: %s", t->path, error->message);
    if ((t->wd_self >= 0) != was_there)
      changed = TRUE; /* it appeared, say by a directory moved in above it */
  }
  if (changed)
    t->owner->changed(t->path, t->owner->user_data);
  return 0;
}

PathWatch *
path_watch_new(sd_event *event, const char *const *paths, PathWatchChanged changed, gpointer user_data,
               GError **error)
{
  g_autoptr(PathWatch) w = g_new0(PathWatch, 1);
  w->event = sd_event_ref(event);
  w->changed = changed;
  w->user_data = user_data;
  w->targets = g_ptr_array_new_with_free_func((GDestroyNotify)target_free);
  w->paths = g_strdupv((char **)paths);
  for (const char *const *p = paths; *p; p++) {
    Target *t = g_new0(Target, 1);
    t->owner = w;
    t->path = g_strdup(*p);
    t->wd_self = t->wd_ancestor = -1;
    g_ptr_array_add(w->targets, t);
    if (!target_setup(t, error)) {
      g_prefix_error(error, "WatchPath=%s: ", *p);
      return NULL;
    }
  }
  return g_steal_pointer(&w);
}

void
path_watch_free(PathWatch *w)
{
  if (w == NULL)
    return;
  g_clear_pointer(&w->targets, g_ptr_array_unref);
  g_strfreev(w->paths);
  sd_event_unref(w->event);
  g_free(w);
}

const char *const *
path_watch_paths(PathWatch *w)
{
  return (const char *const *)w->paths;
}
