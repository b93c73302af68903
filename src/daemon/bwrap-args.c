#include "bwrap-args.h"

#include <stdlib.h>
#include <string.h>

static void
add(GStrvBuilder *b, const char *first, ...) G_GNUC_NULL_TERMINATED;

static void
add(GStrvBuilder *b, const char *first, ...)
{
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a; a = va_arg(ap, const char *))
    g_strv_builder_add(b, a);
  va_end(ap);
}

static gboolean
under(const char *path, const char *dir)
{
  gsize n = strlen(dir);
  return strncmp(path, dir, n) == 0 && path[n] == '/';
}

GStrv
bwrap_worker_argv(const char *bwrap, const LaunchSpec *spec, const char *worker_path)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  add(b, bwrap,
      /* its own user namespace (mapping only its uid), and no more of them */
      "--unshare-user", "--disable-userns",
      "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
      "--die-with-parent", "--new-session", "--cap-drop", "ALL",
      "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
      "--tmpfs", "/tmp", "--tmpfs", "/var/tmp", NULL);

  add(b, "--perms", "0711", "--tmpfs", spec->hide_state_dir, NULL);
  if (spec->workspace)
    add(b, "--bind", spec->workspace, spec->workspace, NULL);
  if (spec->notes_dir)
    add(b, "--bind", spec->notes_dir, spec->notes_dir, NULL);
  add(b, "--remount-ro", spec->hide_state_dir, NULL);
  for (guint i = 0; i < spec->hide_dirs->len; i++) {
    const char *path = g_ptr_array_index(spec->hide_dirs, i);
    add(b, "--perms", "0000", "--tmpfs", path, "--remount-ro", path, NULL);
  }
  for (guint i = 0; i < spec->hide_files->len; i++)
    add(b, "--ro-bind", spec->hidden_node, g_ptr_array_index(spec->hide_files, i), NULL);
  for (char **p = spec->config->read_write_paths; p && *p; p++) {
    gboolean optional = (*p)[0] == '-';
    const char *path = optional ? *p + 1 : *p;
    add(b, optional ? "--bind-try" : "--bind", path, path, NULL);
  }
  /* a worker living where the sandbox puts empty dirs (a build tree under /tmp) */
  g_autofree char *worker = realpath(worker_path, NULL);
  if (worker && (under(worker, "/tmp") || under(worker, "/var/tmp") || under(worker, spec->hide_state_dir)))
    add(b, "--ro-bind", worker, worker, NULL);

  /* run by the name it was given: a link's name may mean something to it */
  add(b, "--seccomp", "3", "--chdir", spec->workspace ? spec->workspace : "/", "--", worker_path, NULL);
  return g_strv_builder_end(b);
}
