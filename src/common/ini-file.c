#include "ini-file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string.h>

#include "time-span.h"

G_DEFINE_QUARK(shiftd-ini-error-quark, shiftd_ini_error)

static void
entry_free(gpointer p)
{
  ShiftdIniEntry *e = p;
  g_free(e->group);
  g_free(e->key);
  g_free(e->value);
  g_free(e);
}

void
shiftd_ini_file_free(ShiftdIniFile *ini)
{
  if (ini == NULL)
    return;
  g_free(ini->path);
  g_ptr_array_unref(ini->entries);
  g_free(ini);
}

static char *
unescape_value(const char *v)
{
  GString *s = g_string_sized_new(strlen(v));
  for (const char *p = v; *p; p++) {
    if (*p != '\\' || p[1] == '\0') {
      g_string_append_c(s, *p);
      continue;
    }
    p++;
    switch (*p) {
    case 'n': g_string_append_c(s, '\n'); break;
    case 't': g_string_append_c(s, '\t'); break;
    case 'r': g_string_append_c(s, '\r'); break;
    case 's': g_string_append_c(s, ' '); break;
    case '\\': g_string_append_c(s, '\\'); break;
    default:
      g_string_append_c(s, '\\');
      g_string_append_c(s, *p);
      break;
    }
  }
  return g_string_free(s, FALSE);
}

static gboolean
valid_key_name(const char *key)
{
  if (*key == '\0')
    return FALSE;
  for (const char *p = key; *p; p++)
    if (!(g_ascii_isalnum(*p) || *p == '-' || *p == '_'))
      return FALSE;
  return TRUE;
}

ShiftdIniFile *
shiftd_ini_file_parse(const char *path, const char *text, gsize length, GError **error)
{
  if (!g_utf8_validate(text, (gssize)length, NULL)) {
    g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_SYNTAX, "%s: not valid UTF-8", path);
    return NULL;
  }
  if (memchr(text, '\0', length) != NULL) {
    g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_SYNTAX, "%s: contains a NUL byte", path);
    return NULL;
  }

  g_autoptr(ShiftdIniFile) ini = g_new0(ShiftdIniFile, 1);
  ini->path = g_strdup(path);
  ini->entries = g_ptr_array_new_with_free_func(entry_free);

  g_autofree char *copy = g_strndup(text, length);
  g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
  g_autofree char *group = NULL;
  for (guint i = 0; lines[i]; i++) {
    guint lineno = i + 1;
    char *line = g_strstrip(lines[i]);
    if (*line == '\0' || *line == '#' || *line == ';')
      continue;
    if (*line == '[') {
      char *close = strchr(line, ']');
      if (close == NULL || close[1] != '\0' || close == line + 1) {
        g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_SYNTAX,
                    "%s:%u: bad section header \"%s\"", path, lineno, line);
        return NULL;
      }
      g_free(group);
      group = g_strndup(line + 1, close - line - 1);
      continue;
    }
    char *eq = strchr(line, '=');
    if (eq == NULL) {
      g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_SYNTAX,
                  "%s:%u: expected Key=Value, [Section] or a comment, got \"%s\"", path, lineno, line);
      return NULL;
    }
    if (group == NULL) {
      g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_SYNTAX,
                  "%s:%u: assignment outside of any [Section]", path, lineno);
      return NULL;
    }
    *eq = '\0';
    char *key = g_strstrip(line);
    char *value = g_strstrip(eq + 1);
    if (!valid_key_name(key)) {
      g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_SYNTAX,
                  "%s:%u: bad key name \"%s\"", path, lineno, key);
      return NULL;
    }
    ShiftdIniEntry *e = g_new0(ShiftdIniEntry, 1);
    e->group = g_strdup(group);
    e->key = g_strdup(key);
    e->value = unescape_value(value);
    e->line = lineno;
    g_ptr_array_add(ini->entries, e);
  }
  return g_steal_pointer(&ini);
}

gboolean
shiftd_ini_read_file(const char *path, gsize max, char **text, gsize *length, GError **error)
{
  /* O_NONBLOCK: a FIFO in a file's place must not hang the daemon */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path, g_strerror(e));
    return FALSE;
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not a regular file", path);
    return FALSE;
  }
  GString *s = g_string_sized_new(MIN((gsize)st.st_size, max) + 1);
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      g_string_free(s, TRUE);
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path, g_strerror(e));
      return FALSE;
    }
    if (n == 0)
      break;
    if (s->len + (gsize)n > max) {
      close(fd);
      g_string_free(s, TRUE);
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: larger than %" G_GSIZE_FORMAT " bytes", path, max);
      return FALSE;
    }
    g_string_append_len(s, buf, n);
  }
  close(fd);
  *length = s->len;
  *text = g_string_free(s, FALSE);
  return TRUE;
}

ShiftdIniFile *
shiftd_ini_file_load(const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  if (!shiftd_ini_read_file(path, SHIFTD_INI_FILE_MAX, &text, &length, error))
    return NULL;
  return shiftd_ini_file_parse(path, text, length, error);
}

void
shiftd_ini_set_entry_error(GError **error, ShiftdIniFile *ini, const ShiftdIniEntry *entry, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *reason = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_BAD_VALUE, "%s:%u: %s=%s: %s",
              ini->path, entry->line, entry->key, entry->value, reason);
}

gboolean
shiftd_ini_file_check_keys(ShiftdIniFile *ini, const ShiftdIniKey *known, GError **error)
{
  for (guint i = 0; i < ini->entries->len; i++) {
    const ShiftdIniEntry *e = g_ptr_array_index(ini->entries, i);
    gboolean group_known = FALSE, key_known = FALSE;
    for (const ShiftdIniKey *k = known; k->group; k++) {
      if (!g_str_equal(k->group, e->group))
        continue;
      group_known = TRUE;
      if (g_str_equal(k->key, e->key)) {
        key_known = TRUE;
        break;
      }
    }
    if (!key_known) {
      if (group_known)
        g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_UNKNOWN_KEY,
                    "%s:%u: unknown key \"%s\" in [%s]", ini->path, e->line, e->key, e->group);
      else
        g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_UNKNOWN_KEY,
                    "%s:%u: unknown section [%s]", ini->path, e->line, e->group);
      return FALSE;
    }
  }
  return TRUE;
}

const ShiftdIniEntry *
shiftd_ini_file_lookup(ShiftdIniFile *ini, const char *group, const char *key)
{
  for (guint i = ini->entries->len; i > 0; i--) {
    const ShiftdIniEntry *e = g_ptr_array_index(ini->entries, i - 1);
    if (g_str_equal(e->group, group) && g_str_equal(e->key, key))
      return e;
  }
  return NULL;
}

gboolean
shiftd_ini_get_string(ShiftdIniFile *ini, const char *group, const char *key, char **out, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, group, key);
  if (e == NULL)
    return TRUE;
  g_free(*out);
  *out = g_strdup(e->value);
  return TRUE;
}

gboolean
shiftd_ini_get_uint(ShiftdIniFile *ini, const char *group, const char *key,
                    guint min, guint max, guint *out, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, group, key);
  if (e == NULL)
    return TRUE;
  guint64 v = 0;
  g_autoptr(GError) local = NULL;
  if (!g_ascii_string_to_unsigned(e->value, 10, min, max, &v, &local)) {
    shiftd_ini_set_entry_error(error, ini, e, "expected a whole number from %u to %u", min, max);
    return FALSE;
  }
  *out = (guint)v;
  return TRUE;
}

gboolean
shiftd_ini_get_bool(ShiftdIniFile *ini, const char *group, const char *key, gboolean *out, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, group, key);
  if (e == NULL)
    return TRUE;
  static const char *yes[] = { "1", "yes", "true", "on", NULL };
  static const char *no[] = { "0", "no", "false", "off", NULL };
  g_autofree char *v = g_ascii_strdown(e->value, -1);
  if (g_strv_contains(yes, v))
    *out = TRUE;
  else if (g_strv_contains(no, v))
    *out = FALSE;
  else {
    shiftd_ini_set_entry_error(error, ini, e, "expected yes or no");
    return FALSE;
  }
  return TRUE;
}

gboolean
shiftd_ini_get_time_span(ShiftdIniFile *ini, const char *group, const char *key,
                         guint64 min_usec, guint64 *out, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, group, key);
  if (e == NULL)
    return TRUE;
  guint64 v = 0;
  g_autoptr(GError) local = NULL;
  if (!shiftd_time_span_parse(e->value, &v, &local)) {
    shiftd_ini_set_entry_error(error, ini, e, "%s", local->message);
    return FALSE;
  }
  if (v < min_usec) {
    g_autofree char *min = shiftd_time_span_format(min_usec);
    shiftd_ini_set_entry_error(error, ini, e, "must be at least %s", min);
    return FALSE;
  }
  *out = v;
  return TRUE;
}

const char *
shiftd_ini_trailing_comment(const char *value)
{
  for (const char *p = value; *p; p++) {
    if (!g_ascii_isspace(*p))
      continue;
    const char *q = p;
    while (g_ascii_isspace(*q))
      q++;
    if (*q == '#' || *q == ';')
      return q;
    p = q - 1;
  }
  return NULL;
}

static gboolean
listed(const ShiftdIniKey *keys, const ShiftdIniEntry *e)
{
  for (const ShiftdIniKey *k = keys; k->group; k++)
    if (g_str_equal(k->group, e->group) && g_str_equal(k->key, e->key))
      return TRUE;
  return FALSE;
}

gboolean
shiftd_ini_file_check_no_comments(ShiftdIniFile *ini, const ShiftdIniKey *keys, GError **error)
{
  for (guint i = 0; i < ini->entries->len; i++) {
    const ShiftdIniEntry *e = g_ptr_array_index(ini->entries, i);
    const char *comment = keys == NULL || listed(keys, e) ? shiftd_ini_trailing_comment(e->value) : NULL;
    if (comment) {
      shiftd_ini_set_entry_error(error, ini, e, "a comment must be on a line of its own (\"%s\" is not part of the value)",
                                 comment);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
shiftd_ini_file_check_unique(ShiftdIniFile *ini, GError **error)
{
  for (guint i = 0; i < ini->entries->len; i++) {
    const ShiftdIniEntry *e = g_ptr_array_index(ini->entries, i);
    for (guint j = 0; j < i; j++) {
      const ShiftdIniEntry *first = g_ptr_array_index(ini->entries, j);
      if (g_str_equal(first->group, e->group) && g_str_equal(first->key, e->key)) {
        g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_BAD_VALUE, "%s:%u: %s= is set twice in [%s] (first on line %u)",
                    ini->path, e->line, e->key, e->group, first->line);
        return FALSE;
      }
    }
  }
  return TRUE;
}
