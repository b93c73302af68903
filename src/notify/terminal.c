#include "terminal.h"

#include <gio/gio.h>

/* Keeps the window open after shiftctl prints, or it would flash and vanish. */
#define KEEP_OPEN_SCRIPT "\"$@\"; printf '\\nPress Enter to close. '; read -r _"

/* shiftctl from PATH, else beside us (both land in bindir). */
static char *
find_shiftctl(void)
{
  char *found = g_find_program_in_path("shiftctl");
  if (found != NULL)
    return found;
  g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
  if (self == NULL)
    return NULL;
  g_autofree char *dir = g_path_get_dirname(self);
  g_autofree char *sibling = g_build_filename(dir, "shiftctl", NULL);
  return g_file_test(sibling, G_FILE_TEST_IS_EXECUTABLE) ? g_steal_pointer(&sibling) : NULL;
}

GStrv
terminal_status_argv(const char *const *shiftctl_options, const char *name, GError **error)
{
  const char *run_flag = "-e";
  g_autofree char *term = g_find_program_in_path("x-terminal-emulator");
  if (term == NULL) {
    term = g_find_program_in_path("gnome-terminal");
    run_flag = "--";
  }
  if (term == NULL) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                        "neither x-terminal-emulator nor gnome-terminal is in PATH");
    return NULL;
  }
  g_autofree char *shiftctl = find_shiftctl();
  if (shiftctl == NULL) {
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "shiftctl is not in PATH");
    return NULL;
  }
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  const char *head[] = { term, run_flag, "/bin/sh", "-c", KEEP_OPEN_SCRIPT, "sh", shiftctl, NULL };
  g_strv_builder_addv(b, head);
  g_strv_builder_addv(b, (const char **)shiftctl_options);
  g_strv_builder_add_many(b, "status", name, NULL);
  return g_strv_builder_end(b);
}

gboolean
terminal_open_status(const char *const *shiftctl_options, const char *name, GError **error)
{
  g_auto(GStrv) argv = terminal_status_argv(shiftctl_options, name, error);
  if (argv == NULL)
    return FALSE;
  /* Not reaped by us: GLib's intermediate child leaves no zombie behind. */
  return g_spawn_async(NULL, argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, NULL, error);
}
