#include "tool-notes.h"

#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool-files.h"

static gboolean
make_parent(const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(path);
  if (g_mkdir_with_parents(dir, 0700) == 0)
    return TRUE;
  int e = errno;
  g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot create %s: %s", dir, g_strerror(e));
  return FALSE;
}

static gboolean
append(const char *path, const char *text, GError **error)
{
  int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot open the notes: %s", g_strerror(e));
    return FALSE;
  }
  /* Each append is its own line, even after a write that left no newline. */
  struct stat st;
  char last = '\n';
  if (fstat(fd, &st) == 0 && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)
    last = '\n';
  g_autofree char *line = g_strconcat(last == '\n' ? "" : "\n", text,
                                      g_str_has_suffix(text, "\n") ? "" : "\n", NULL);
  gsize len = strlen(line);
  const char *p = line;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot write the notes: %s", g_strerror(e));
      return FALSE;
    }
    p += n;
    len -= (gsize)n;
  }
  if (fsync(fd) < 0 || close(fd) < 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot save the notes: %s", g_strerror(e));
    return FALSE;
  }
  return TRUE;
}

char *
shiftd_tool_notes(const char *notes_path, const char *action, const char *text, gsize cap, GError **error)
{
  if (notes_path == NULL || *notes_path == '\0') {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "this agent has no notes file");
    return NULL;
  }
  if (g_strcmp0(action, "read") == 0) {
    if (!g_file_test(notes_path, G_FILE_TEST_EXISTS))
      return g_strdup("(no notes yet)");
    return shiftd_read_text_capped(notes_path, cap, error);
  }
  gboolean write = g_strcmp0(action, "write") == 0;
  if (!write && g_strcmp0(action, "append") != 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "action must be \"read\", \"write\" or \"append\", not \"%s\"", action ? action : "");
    return NULL;
  }
  if (text == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "notes %s needs \"text\"", action);
    return NULL;
  }
  if (!make_parent(notes_path, error))
    return NULL;
  if (write) {
    if (!g_file_set_contents_full(notes_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
      return NULL;
    return g_strdup_printf("notes replaced (%" G_GSIZE_FORMAT " bytes)", strlen(text));
  }
  if (!append(notes_path, text, error))
    return NULL;
  return g_strdup_printf("appended %" G_GSIZE_FORMAT " bytes to the notes", strlen(text));
}
