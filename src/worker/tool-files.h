/* read_file / write_file, confined to the agent's workspace. */
#pragma once

#include <glib.h>

/* The absolute path `path` names inside workspace, or an error saying why it
 * is refused: no workspace, an absolute path outside it, a ".." escape, or a
 * symlink that leads out. */
char *shiftd_workspace_resolve(const char *workspace, const char *path, GError **error);

/* The file's text, at most cap bytes (a note says when it was cut). */
char *shiftd_tool_read_file(const char *workspace, const char *path, gsize cap, GError **error);
/* Replaces the file atomically, making parent directories; returns a summary. */
char *shiftd_tool_write_file(const char *workspace, const char *path, const char *content, GError **error);

/* Reads at most cap bytes of a file as valid UTF-8 text; shared with notes. */
char *shiftd_read_text_capped(const char *file, gsize cap, GError **error);
