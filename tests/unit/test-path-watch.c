/* The embedded backend's inotify watch on real files in a temporary
 * directory: what counts as a change of a directory and of a file, a path
 * that appears later (also a whole tree moved in above it), and a file
 * replaced by a rename (an editor's save) still followed afterwards. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "path-watch.h"

#define WAIT_USEC (5 * G_USEC_PER_SEC)
/* how long "nothing happens" is watched for: the kernel queues an event at once */
#define QUIET_USEC (200 * 1000)

typedef struct {
  sd_event *event;
  guint changes;
  char *last;
} Fixture;

static void
on_changed(const char *path, gpointer user_data)
{
  Fixture *f = user_data;
  f->changes++;
  g_free(f->last);
  f->last = g_strdup(path);
}

/* Runs the loop until `changes` reaches n, at most WAIT_USEC. */
static void
wait_changes(Fixture *f, guint n, const char *what)
{
  gint64 end = g_get_monotonic_time() + WAIT_USEC;
  while (f->changes < n && g_get_monotonic_time() < end)
    g_assert_cmpint(sd_event_run(f->event, 100 * 1000), >=, 0);
  if (f->changes < n)
    g_error("no change seen after %s (%u changes so far)", what, f->changes);
}

/* Runs the loop a short while and checks nothing was seen. */
static void
assert_quiet(Fixture *f, guint n, const char *what)
{
  gint64 end = g_get_monotonic_time() + QUIET_USEC;
  while (g_get_monotonic_time() < end)
    g_assert_cmpint(sd_event_run(f->event, 20 * 1000), >=, 0);
  if (f->changes != n)
    g_error("%s was taken for a change", what);
}

static void
write_file(const char *path, const char *text)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error));
}

static void
fixture_setup(Fixture *f)
{
  g_assert_cmpint(sd_event_new(&f->event), >=, 0);
}

static void
fixture_clear(Fixture *f)
{
  sd_event_unref(f->event);
  g_free(f->last);
}

static void
test_directory(void)
{
  Fixture f = { 0 };
  fixture_setup(&f);
  g_autofree char *root = g_dir_make_tmp("path-watch-XXXXXX", NULL);
  g_autofree char *inbox = g_build_filename(root, "inbox", NULL);
  g_assert_cmpint(g_mkdir(inbox, 0755), ==, 0);
  g_autofree char *msg = g_build_filename(inbox, "msg", NULL);
  write_file(msg, "hello");
  const char *paths[] = { inbox, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(PathWatch) w = path_watch_new(f.event, paths, on_changed, &f, &error);
  g_assert_no_error(error);
  assert_quiet(&f, 0, "watching");

  /* reading is no change */
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(msg, &text, NULL, NULL));
  assert_quiet(&f, 0, "reading a file in it");

  g_autofree char *other = g_build_filename(inbox, "other", NULL);
  write_file(other, "new");
  wait_changes(&f, 1, "a file created in it");
  g_assert_cmpstr(f.last, ==, inbox);
  guint n = f.changes;
  g_assert_cmpint(g_unlink(msg), ==, 0);
  wait_changes(&f, n + 1, "a file deleted from it");

  /* the directory itself goes and comes back: both are changes, and the new one is watched */
  g_assert_cmpint(g_unlink(other), ==, 0);
  wait_changes(&f, n + 2, "the last file deleted");
  n = f.changes;
  g_assert_cmpint(g_rmdir(inbox), ==, 0);
  wait_changes(&f, n + 1, "the directory removed");
  n = f.changes;
  g_assert_cmpint(g_mkdir(inbox, 0755), ==, 0);
  wait_changes(&f, n + 1, "the directory made again");
  n = f.changes;
  write_file(msg, "again");
  wait_changes(&f, n + 1, "a file created in the new directory");

  g_clear_pointer(&w, path_watch_free);
  g_assert_cmpint(g_unlink(msg), ==, 0);
  g_assert_cmpint(g_rmdir(inbox), ==, 0);
  g_assert_cmpint(g_rmdir(root), ==, 0);
  fixture_clear(&f);
}

static void
test_file_made_later(void)
{
  Fixture f = { 0 };
  fixture_setup(&f);
  g_autofree char *root = g_dir_make_tmp("path-watch-XXXXXX", NULL);
  g_autofree char *a = g_build_filename(root, "a", NULL);
  g_autofree char *b = g_build_filename(a, "b", NULL);
  g_autofree char *target = g_build_filename(b, "status.json", NULL);
  g_autofree char *sibling = g_build_filename(b, "other.json", NULL);
  const char *paths[] = { target, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(PathWatch) w = path_watch_new(f.event, paths, on_changed, &f, &error);
  g_assert_no_error(error);

  /* the way to it is made: not yet a change of it */
  g_assert_cmpint(g_mkdir(a, 0755), ==, 0);
  assert_quiet(&f, 0, "its grandparent made");
  g_assert_cmpint(g_mkdir(b, 0755), ==, 0);
  assert_quiet(&f, 0, "its parent made");
  write_file(sibling, "{}");
  assert_quiet(&f, 0, "another file beside it");

  /* it appears */
  int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  g_assert_cmpint(fd, >=, 0);
  wait_changes(&f, 1, "the file created");
  g_assert_cmpstr(f.last, ==, target);
  guint n = f.changes;
  g_assert_cmpint(write(fd, "{}", 2), ==, 2);
  g_assert_cmpint(close(fd), ==, 0);
  wait_changes(&f, n + 1, "the file written and closed");

  /* replaced by a rename, as editors save; then the new file is followed */
  g_autofree char *tmp = g_build_filename(b, ".status.json.tmp", NULL);
  write_file(tmp, "{\"v\": 2}");
  n = f.changes;
  g_assert_cmpint(g_rename(tmp, target), ==, 0);
  wait_changes(&f, n + 1, "the file replaced by a rename");
  n = f.changes;
  write_file(target, "{\"v\": 3}");
  wait_changes(&f, n + 1, "the replacing file written");
  n = f.changes;
  g_assert_cmpint(g_unlink(target), ==, 0);
  wait_changes(&f, n + 1, "the file deleted");

  g_clear_pointer(&w, path_watch_free);
  g_assert_cmpint(g_unlink(sibling), ==, 0);
  g_assert_cmpint(g_rmdir(b), ==, 0);
  g_assert_cmpint(g_rmdir(a), ==, 0);
  g_assert_cmpint(g_rmdir(root), ==, 0);
  fixture_clear(&f);
}

static void
test_tree_moved_in(void)
{
  Fixture f = { 0 };
  fixture_setup(&f);
  g_autofree char *root = g_dir_make_tmp("path-watch-XXXXXX", NULL);
  g_autofree char *target = g_build_filename(root, "x", "y", "drop", NULL);
  g_autofree char *staged = g_build_filename(root, "staging", "y", "drop", NULL);
  g_assert_cmpint(g_mkdir_with_parents(staged, 0755), ==, 0);
  const char *paths[] = { target, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(PathWatch) w = path_watch_new(f.event, paths, on_changed, &f, &error);
  g_assert_no_error(error);
  assert_quiet(&f, 0, "watching");
  /* a whole tree moved in above it: the path is there at once */
  g_autofree char *staging = g_build_filename(root, "staging", NULL);
  g_autofree char *x = g_build_filename(root, "x", NULL);
  g_assert_cmpint(g_rename(staging, x), ==, 0);
  wait_changes(&f, 1, "the tree moved in");
  guint n = f.changes;
  g_autofree char *file = g_build_filename(target, "item", NULL);
  write_file(file, "1");
  wait_changes(&f, n + 1, "a file created in the moved-in directory");

  g_clear_pointer(&w, path_watch_free);
  g_assert_cmpint(g_unlink(file), ==, 0);
  g_autofree char *y = g_build_filename(x, "y", NULL);
  g_assert_cmpint(g_rmdir(target), ==, 0);
  g_assert_cmpint(g_rmdir(y), ==, 0);
  g_assert_cmpint(g_rmdir(x), ==, 0);
  g_assert_cmpint(g_rmdir(root), ==, 0);
  fixture_clear(&f);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/path-watch/directory", test_directory);
  g_test_add_func("/path-watch/file-made-later", test_file_made_later);
  g_test_add_func("/path-watch/tree-moved-in", test_tree_moved_in);
  return g_test_run();
}
