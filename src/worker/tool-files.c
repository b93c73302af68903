#include "tool-files.h"

#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static gboolean
refuse(GError **error, GIOErrorEnum code, const char *format, ...) G_GNUC_PRINTF(3, 4);

static gboolean
refuse(GError **error, GIOErrorEnum code, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *message = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_set_error_literal(error, G_IO_ERROR, code, message);
  return FALSE;
}

/* "a/./b/../c" -> "a/c" on an absolute path; FALSE when ".." climbs above "/". */
static gboolean
normalize(const char *absolute, char **out)
{
  g_auto(GStrv) parts = g_strsplit(absolute, "/", -1);
  g_autoptr(GPtrArray) kept = g_ptr_array_new();
  for (char **p = parts; *p; p++) {
    if (**p == '\0' || g_str_equal(*p, "."))
      continue;
    if (g_str_equal(*p, "..")) {
      if (kept->len == 0)
        return FALSE;
      g_ptr_array_remove_index(kept, kept->len - 1);
      continue;
    }
    g_ptr_array_add(kept, *p);
  }
  g_ptr_array_add(kept, NULL);
  g_autofree char *joined = g_strjoinv("/", (char **)kept->pdata);
  *out = g_strconcat("/", joined, NULL);
  return TRUE;
}

static gboolean
is_within(const char *path, const char *dir)
{
  if (g_str_equal(dir, "/"))
    return TRUE;
  gsize n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* realpath() of the deepest part of path that exists. */
static char *
real_existing_prefix(const char *path)
{
  g_autofree char *probe = g_strdup(path);
  for (;;) {
    char *real = realpath(probe, NULL);
    if (real != NULL) {
      g_autofree char *tmp = real;
      return g_strdup(tmp);
    }
    char *slash = strrchr(probe, '/');
    if (slash == NULL || slash == probe)
      return g_strdup("/");
    *slash = '\0';
  }
}

char *
shiftd_workspace_resolve(const char *workspace, const char *path, GError **error)
{
  if (workspace == NULL || *workspace == '\0') {
    refuse(error, G_IO_ERROR_PERMISSION_DENIED, "this agent has no workspace, so it cannot use files");
    return NULL;
  }
  if (path == NULL || *path == '\0') {
    refuse(error, G_IO_ERROR_INVALID_ARGUMENT, "the path is empty");
    return NULL;
  }
  g_autofree char *ws = NULL;
  g_autofree char *cwd = g_get_current_dir();
  g_autofree char *ws_abs = g_path_is_absolute(workspace) ? g_strdup(workspace)
                                                          : g_build_filename(cwd, workspace, NULL);
  if (!normalize(ws_abs, &ws)) {
    refuse(error, G_IO_ERROR_INVALID_ARGUMENT, "the workspace path %s is not valid", workspace);
    return NULL;
  }
  g_autofree char *joined = g_path_is_absolute(path) ? g_strdup(path) : g_strconcat(ws, "/", path, NULL);
  g_autofree char *target = NULL;
  if (!normalize(joined, &target) || !is_within(target, ws)) {
    if (g_path_is_absolute(path))
      refuse(error, G_IO_ERROR_PERMISSION_DENIED, "%s is outside the workspace %s", path, ws);
    else
      refuse(error, G_IO_ERROR_PERMISSION_DENIED, "%s leads outside the workspace %s (\"..\" escapes it)", path, ws);
    return NULL;
  }
  /* A symlink inside the workspace may point out of it: check where it really goes. */
  g_autofree char *ws_real = real_existing_prefix(ws);
  g_autofree char *target_real = real_existing_prefix(target);
  if (!is_within(target_real, ws_real)) {
    refuse(error, G_IO_ERROR_PERMISSION_DENIED, "%s leads outside the workspace %s through a symbolic link",
           path, ws);
    return NULL;
  }
  return g_steal_pointer(&target);
}

char *
shiftd_read_text_capped(const char *file, gsize cap, GError **error)
{
  int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    refuse(error, g_io_error_from_errno(errno), "cannot open %s: %s", file, g_strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    refuse(error, G_IO_ERROR_NOT_REGULAR_FILE, "%s is not a regular file", file);
    return NULL;
  }
  GString *s = g_string_sized_new(MIN((gsize)st.st_size, cap) + 1);
  char buf[65536];
  gsize total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      g_string_free(s, TRUE);
      refuse(error, g_io_error_from_errno(e), "cannot read %s: %s", file, g_strerror(e));
      return NULL;
    }
    if (n == 0)
      break;
    total += (gsize)n;
    if (s->len < cap)
      g_string_append_len(s, buf, (gssize)MIN((gsize)n, cap - s->len));
    if (s->len >= cap && total > cap)
      break;
  }
  close(fd);
  for (gsize i = 0; i < s->len; i++)
    if (s->str[i] == '\0')
      s->str[i] = '?';
  char *text = g_utf8_make_valid(s->str, (gssize)s->len);
  gsize kept = s->len;
  g_string_free(s, TRUE);
  if ((gsize)st.st_size > kept || total > kept) {
    gsize size = MAX((gsize)st.st_size, total);
    g_autofree char *cut = text;
    return g_strdup_printf("%s\n[truncated: showing %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes]", cut, kept,
                           size);
  }
  return text;
}

char *
shiftd_tool_read_file(const char *workspace, const char *path, gsize cap, GError **error)
{
  g_autofree char *file = shiftd_workspace_resolve(workspace, path, error);
  if (file == NULL)
    return NULL;
  return shiftd_read_text_capped(file, cap, error);
}

char *
shiftd_tool_write_file(const char *workspace, const char *path, const char *content, GError **error)
{
  g_autofree char *file = shiftd_workspace_resolve(workspace, path, error);
  if (file == NULL)
    return NULL;
  g_autofree char *dir = g_path_get_dirname(file);
  if (g_mkdir_with_parents(dir, 0755) < 0) {
    refuse(error, g_io_error_from_errno(errno), "cannot create %s: %s", dir, g_strerror(errno));
    return NULL;
  }
  /* mkdir may have followed a symlink made meanwhile: check again. */
  g_autofree char *again = shiftd_workspace_resolve(workspace, path, error);
  if (again == NULL)
    return NULL;
  if (g_file_test(file, G_FILE_TEST_IS_DIR)) {
    refuse(error, G_IO_ERROR_IS_DIRECTORY, "%s is a directory", path);
    return NULL;
  }
  gsize len = strlen(content);
  if (!g_file_set_contents_full(file, content, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    return NULL;
  return g_strdup_printf("wrote %" G_GSIZE_FORMAT " bytes to %s", len, path);
}
