/* systemd/GKeyFile-style "[Group]" + "Key=Value" files that remember where each
 * key was written, so every complaint can say file, line and reason. */
#pragma once

#include <glib.h>

typedef struct {
  char *group;
  char *key;
  char *value; /* unescaped: \n \t \s \\ as GKeyFile does */
  guint line;
} ShiftdIniEntry;

typedef struct {
  char *path;
  GPtrArray *entries; /* ShiftdIniEntry*, in file order */
} ShiftdIniFile;

typedef struct {
  const char *group;
  const char *key;
} ShiftdIniKey;

#define SHIFTD_INI_ERROR (shiftd_ini_error_quark())
GQuark shiftd_ini_error_quark(void);
enum { SHIFTD_INI_ERROR_SYNTAX, SHIFTD_INI_ERROR_UNKNOWN_KEY, SHIFTD_INI_ERROR_BAD_VALUE };

/* Configuration files are small: larger ones are refused. */
#define SHIFTD_INI_FILE_MAX (1024 * 1024)

/* Reads a regular file of at most max bytes (a FIFO, a device or /dev/zero
 * in its place is an error, not a hang or an endless read). G_FILE_ERROR. */
gboolean shiftd_ini_read_file(const char *path, gsize max, char **text, gsize *length, GError **error);
ShiftdIniFile *shiftd_ini_file_load(const char *path, GError **error);
ShiftdIniFile *shiftd_ini_file_parse(const char *path, const char *text, gsize length, GError **error);
void shiftd_ini_file_free(ShiftdIniFile *ini);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdIniFile, shiftd_ini_file_free)

/* Each key at most once: a second line silently winning over the first is
 * how a pasted block goes unnoticed. */
gboolean shiftd_ini_file_check_unique(ShiftdIniFile *ini, GError **error);
/* "  # text" or "  ; text" after the value of these keys (NULL: of every
 * key) is refused: comments live on lines of their own, so the text would
 * silently become part of the value. Keep free text (a task, a shell
 * command) out of the list. */
gboolean shiftd_ini_file_check_no_comments(ShiftdIniFile *ini, const ShiftdIniKey *keys, GError **error);
/* Where such a comment starts in value, or NULL. */
const char *shiftd_ini_trailing_comment(const char *value);
/* Every key must be one of `known` (terminated by {NULL, NULL}). */
gboolean shiftd_ini_file_check_keys(ShiftdIniFile *ini, const ShiftdIniKey *known, GError **error);
/* The last assignment of group/key, or NULL. */
const ShiftdIniEntry *shiftd_ini_file_lookup(ShiftdIniFile *ini, const char *group, const char *key);

/* Typed getters: absent leaves *out alone and returns TRUE; a bad value is an
 * error naming file, line and reason. */
gboolean shiftd_ini_get_string(ShiftdIniFile *ini, const char *group, const char *key, char **out, GError **error);
gboolean shiftd_ini_get_uint(ShiftdIniFile *ini, const char *group, const char *key,
                             guint min, guint max, guint *out, GError **error);
gboolean shiftd_ini_get_bool(ShiftdIniFile *ini, const char *group, const char *key, gboolean *out, GError **error);
gboolean shiftd_ini_get_time_span(ShiftdIniFile *ini, const char *group, const char *key,
                                  guint64 min_usec, guint64 *out, GError **error);
/* A complaint about one entry, "FILE:LINE: Key=Value: reason". */
void shiftd_ini_set_entry_error(GError **error, ShiftdIniFile *ini, const ShiftdIniEntry *entry,
                                const char *fmt, ...) G_GNUC_PRINTF(4, 5);
