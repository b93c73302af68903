#include "store-file.h"

#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(shiftd-store-refused-quark, shiftd_store_refused)
G_DEFINE_QUARK(shiftd-state-lock-error-quark, shiftd_state_lock_error)

#define STATE_DIR_MODE 0711
#define FILE_MODE 0600
/* How long a lock's new holder may take to write its pid there. */
#define HOLDER_PID_WAIT_USEC (200 * 1000)
#define HOLDER_CMDLINE_MAX 200
#define QUICK_CHECK_LINE_MAX 200

static gboolean
set_errno_error(GError **error, int e, const char *what, const char *path)
{
  g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "%s %s: %s", what, path, g_strerror(e));
  return FALSE;
}

/* Ours, and the kind of file it should be. */
static gboolean
check_owned(const char *path, const struct stat *st, gboolean directory, GError **error)
{
  if (directory ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
    g_set_error(error, SHIFTD_STORE_REFUSED, SHIFTD_STORE_REFUSED_UNSAFE, "%s is not a %s", path,
                directory ? "directory" : "regular file");
    return FALSE;
  }
  if (st->st_uid != geteuid()) {
    g_set_error(error, SHIFTD_STORE_REFUSED, SHIFTD_STORE_REFUSED_UNSAFE,
                "%s belongs to uid %u, not to this shiftd (uid %u)", path, (unsigned)st->st_uid,
                (unsigned)geteuid());
    return FALSE;
  }
  return TRUE;
}

gboolean
shiftd_state_dir_prepare(const char *dir, GError **error)
{
  if (g_mkdir_with_parents(dir, 0700) < 0)
    return set_errno_error(error, errno, "cannot create", dir);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    return set_errno_error(error, e, "cannot open", dir);
  }
  gboolean ok = check_owned(dir, &st, TRUE, error);
  /* 0711: workers run as other uids and their sandboxes pass through here
   * to reach their own directories, but may neither list nor change it. */
  if (ok && (st.st_mode & 07777) != STATE_DIR_MODE && fchmod(fd, STATE_DIR_MODE) < 0)
    ok = set_errno_error(error, errno, "cannot make 0711:", dir);
  close(fd);
  return ok;
}

/* --- the lock --- */

struct ShiftdStateLock {
  int fd;
};

void
shiftd_state_lock_free(ShiftdStateLock *lock)
{
  if (lock == NULL)
    return;
  close(lock->fd); /* releases the flock */
  g_free(lock);
}

/* The pid the holder wrote. It writes it just after it got the lock, so an
 * empty file is given a moment; 0 if it stays unknown. */
static pid_t
read_holder_pid(int fd)
{
  gint64 end = g_get_monotonic_time() + HOLDER_PID_WAIT_USEC;
  for (;;) {
    char buf[32] = { 0 };
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    guint64 pid = 0;
    if (n > 0) {
      buf[n] = '\0';
      g_strchomp(buf);
      if (g_ascii_string_to_unsigned(buf, 10, 1, G_MAXINT32, &pid, NULL))
        return (pid_t)pid;
    }
    if (g_get_monotonic_time() > end)
      return 0;
    g_usleep(2000);
  }
}

/* "/usr/libexec/shiftd --system", printable and short, or NULL. */
static char *
read_cmdline(pid_t pid)
{
  g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
  g_autofree char *raw = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &raw, &len, NULL) || len == 0)
    return NULL;
  GString *s = g_string_new(NULL);
  for (gsize i = 0; i < len && s->len < HOLDER_CMDLINE_MAX; i++) {
    guchar c = (guchar)raw[i];
    if (c == '\0')
      g_string_append_c(s, ' ');
    else if (c < 0x20 || c == 0x7f)
      g_string_append_printf(s, "\\x%02x", c);
    else
      g_string_append_c(s, (char)c);
  }
  if (s->len >= HOLDER_CMDLINE_MAX)
    g_string_append(s, "…");
  g_strchomp(s->str);
  s->len = strlen(s->str);
  return g_string_free(s, s->len == 0);
}

ShiftdStateLock *
shiftd_state_lock_take(const char *dir, pid_t *out_holder, GError **error)
{
  if (out_holder)
    *out_holder = 0;
  g_autofree char *path = g_build_filename(dir, SHIFTD_STORE_LOCK_NAME, NULL);
  /* close-on-exec: a worker must never hold the store's lock */
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, FILE_MODE);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    set_errno_error(error, e, "cannot open", path);
    return NULL;
  }
  if (!check_owned(path, &st, FALSE, error)) {
    close(fd);
    return NULL;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    int e = errno;
    if (e != EWOULDBLOCK) {
      close(fd);
      set_errno_error(error, e, "cannot lock", path);
      return NULL;
    }
    pid_t pid = read_holder_pid(fd);
    close(fd);
    if (out_holder)
      *out_holder = pid;
    g_autofree char *cmdline = pid > 0 ? read_cmdline(pid) : NULL;
    g_autofree char *who = pid <= 0 ? g_strdup("pid unknown")
                           : cmdline ? g_strdup_printf("pid %d: %s", (int)pid, cmdline)
                                     : g_strdup_printf("pid %d", (int)pid);
    g_set_error(error, SHIFTD_STATE_LOCK_ERROR, SHIFTD_STATE_LOCK_ERROR_HELD,
                "another shiftd (%s) is using %s; not starting a second one", who, dir);
    return NULL;
  }
  char pid_text[32];
  int n = g_snprintf(pid_text, sizeof pid_text, "%d\n", (int)getpid());
  if (((st.st_mode & 07777) != FILE_MODE && fchmod(fd, FILE_MODE) < 0) || ftruncate(fd, 0) < 0 ||
      pwrite(fd, pid_text, (size_t)n, 0) != n) {
    int e = errno;
    close(fd);
    set_errno_error(error, e, "cannot write", path);
    return NULL;
  }
  ShiftdStateLock *lock = g_new0(ShiftdStateLock, 1);
  lock->fd = fd;
  return lock;
}

/* --- the database file --- */

static const char *const side_suffixes[] = { "-wal", "-shm", "-journal", NULL };

static gboolean
exists(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0;
}

static gboolean
refuse(GError **error, ShiftdStoreRefused code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
refuse(GError **error, ShiftdStoreRefused code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, SHIFTD_STORE_REFUSED, code, text);
  return FALSE;
}

static gboolean
read_head(const char *path, void *buf, size_t len, GError **error)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return set_errno_error(error, errno, "cannot open", path);
  ssize_t n = pread(fd, buf, len, 0);
  int e = errno;
  close(fd);
  if (n < 0)
    return set_errno_error(error, e, "cannot read", path);
  if ((size_t)n != len)
    return refuse(error, SHIFTD_STORE_REFUSED_NOT_SQLITE, "%s is cut short", path);
  return TRUE;
}

/* The files themselves, before SQLite sees them: SQLite would take a 0-byte
 * file for a new empty database, and a WAL whose header is not one for no WAL. */
static gboolean
check_files(const char *db, const struct stat *st, GError **error)
{
  if (!check_owned(db, st, FALSE, error))
    return FALSE;
  if (st->st_size == 0)
    return refuse(error, SHIFTD_STORE_REFUSED_EMPTY,
                  "%s is empty (0 bytes): the runs it held are gone; refusing to start with an empty store", db);
  /* An SQLite database is at least one page of at least 512 bytes. */
  char head[16];
  if (st->st_size < 512 || !read_head(db, head, sizeof head, NULL) || memcmp(head, "SQLite format 3", 16) != 0)
    return refuse(error, SHIFTD_STORE_REFUSED_NOT_SQLITE, "%s is not an SQLite database", db);

  g_autofree char *wal = g_strconcat(db, "-wal", NULL);
  struct stat wst;
  if (lstat(wal, &wst) == 0) {
    if (!check_owned(wal, &wst, FALSE, error))
      return FALSE;
    guchar magic[4];
    /* 32-byte header, magic 0x377f0682 or 0x377f0683; an empty WAL is normal */
    if (wst.st_size > 0 && (wst.st_size < 32 || !read_head(wal, magic, sizeof magic, NULL) || magic[0] != 0x37 ||
                            magic[1] != 0x7f || magic[2] != 0x06 || (magic[3] != 0x82 && magic[3] != 0x83)))
      return refuse(error, SHIFTD_STORE_REFUSED_NOT_SQLITE,
                    "%s is not an SQLite WAL file: the changes it should hold are lost", wal);
  }
  g_autofree char *shm = g_strconcat(db, "-shm", NULL);
  struct stat sst;
  if (lstat(shm, &sst) == 0 && !check_owned(shm, &sst, FALSE, error))
    return FALSE;
  return TRUE;
}

/* quick_check's findings, as one short line for the log. */
static char *
one_line(const char *text)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  GString *s = g_string_new(NULL);
  for (char **l = lines; *l; l++) {
    g_strstrip(*l);
    if (**l == '\0' || g_str_has_prefix(*l, "*** in database"))
      continue;
    if (s->len > QUICK_CHECK_LINE_MAX) {
      g_string_append(s, "; …");
      break;
    }
    g_string_append_printf(s, "%s%s", s->len ? "; " : "", *l);
  }
  return g_string_free(s, FALSE);
}

typedef enum {
  CHECK_COMPLETE,
  CHECK_UNFINISHED, /* a store an older shiftd began and never finished: no data, no version */
  CHECK_OLDER,      /* complete, of an older schema version: to be migrated */
} CheckResult;

static gboolean
table_is_empty(sqlite3 *h, const char *table)
{
  g_autofree char *sql = g_strdup_printf("SELECT 1 FROM \"%s\" LIMIT 1", table);
  sqlite3_stmt *st = NULL;
  gboolean empty = FALSE;
  if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK)
    empty = sqlite3_step(st) == SQLITE_DONE;
  sqlite3_finalize(st);
  return empty;
}

/* A connection of its own to the database file; `what` says what it was
 * for in the error ("open", "create"). NULL with the error when it fails. */
static sqlite3 *
open_handle(const char *db, gboolean create, const char *what, GError **error)
{
  sqlite3 *h = NULL;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(db, &h, flags, NULL);
  if (rc != SQLITE_OK) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot %s %s: %s", what, db,
                h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
    sqlite3_close(h);
    return NULL;
  }
  return h;
}

/* What SQLite says of the database: it passes its own check and has the
 * schema. Runs on a connection of its own that never checkpoints, so a
 * refused store keeps its files as they were. */
static gboolean
check_database(const char *db, const ShiftdStoreSchema *schema, gboolean full, CheckResult *result,
               int *out_version, GError **error)
{
  sqlite3 *h = open_handle(db, FALSE, "open", error);
  if (h == NULL)
    return FALSE;
  sqlite3_db_config(h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  sqlite3_busy_timeout(h, 5000);

  gboolean ok = FALSE;
  sqlite3_stmt *st = NULL;
  g_autofree char *verdict = NULL;
  g_autoptr(GPtrArray) tables = g_ptr_array_new_with_free_func(g_free);
  int version = 0;

  /* the whole file, or (see stamp_matches()) the header and schema only */
  int rc = sqlite3_prepare_v2(h, full ? "PRAGMA quick_check" : "SELECT 'ok' FROM sqlite_master LIMIT 1", -1, &st, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
    verdict = g_strdup((const char *)sqlite3_column_text(st, 0));
  else if (!full && rc == SQLITE_DONE)
    verdict = g_strdup("ok");
  sqlite3_finalize(st);
  st = NULL;
  if (verdict == NULL) {
    refuse(error, rc == SQLITE_NOTADB ? SHIFTD_STORE_REFUSED_NOT_SQLITE : SHIFTD_STORE_REFUSED_DAMAGED,
           "%s is damaged: %s", db, sqlite3_errmsg(h));
    goto out;
  }
  if (!g_str_equal(verdict, "ok")) {
    g_autofree char *line = one_line(verdict);
    refuse(error, SHIFTD_STORE_REFUSED_DAMAGED, "%s is damaged (PRAGMA quick_check: %s)", db, line);
    goto out;
  }
  if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  st = NULL;
  if (sqlite3_prepare_v2(h, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &st, NULL) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW)
      g_ptr_array_add(tables, g_strdup((const char *)sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  st = NULL;

  if (version > schema->version) {
    refuse(error, SHIFTD_STORE_REFUSED_NEWER, "%s was written by a newer shiftd (schema %d, this one knows %d)", db,
           version, schema->version);
    goto out;
  }
  *out_version = version;
  if (version > 0) {
    for (const char *const *t = schema->tables; *t; t++)
      if (!g_ptr_array_find_with_equal_func(tables, *t, g_str_equal, NULL)) {
        refuse(error, SHIFTD_STORE_REFUSED_DAMAGED, "%s is damaged: it has no table \"%s\"", db, *t);
        goto out;
      }
    *result = version == schema->version ? CHECK_COMPLETE : CHECK_OLDER;
    ok = TRUE;
    goto out;
  }
  /* Version 0: an older shiftd set the version after the tables, outside a
   * transaction. Only our own tables, all empty, may be finished here. */
  for (guint i = 0; version == 0 && i < tables->len; i++) {
    const char *t = g_ptr_array_index(tables, i);
    if (!g_strv_contains((const char *const *)schema->tables, t) || !table_is_empty(h, t)) {
      version = -1;
      break;
    }
  }
  if (version != 0) {
    refuse(error, SHIFTD_STORE_REFUSED_FOREIGN, "%s is an SQLite database but not a shiftd store", db);
    goto out;
  }
  *result = CHECK_UNFINISHED;
  ok = TRUE;
out:
  sqlite3_close(h);
  return ok;
}

static gboolean
exec_script(sqlite3 *h, const char *db, const char *sql, GError **error)
{
  char *msg = NULL;
  if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create the schema in %s: %s", db,
                msg ? msg : sqlite3_errmsg(h));
    sqlite3_free(msg);
    return FALSE;
  }
  return TRUE;
}

/* The tables and the version in one transaction. */
static gboolean
write_schema(const char *db, const ShiftdStoreSchema *schema, gboolean create, GError **error)
{
  sqlite3 *h = open_handle(db, create, "create", error);
  if (h == NULL)
    return FALSE;
  /* An unfinished store's tables are empty (check_database()) but may be of
   * an older layout: made again. */
  g_autoptr(GString) drop = g_string_new(NULL);
  for (const char *const *t = schema->tables; !create && *t; t++)
    g_string_append_printf(drop, "DROP TABLE IF EXISTS \"%s\";", *t);
  g_autofree char *sql = g_strdup_printf("PRAGMA synchronous=FULL; BEGIN IMMEDIATE; %s %s PRAGMA user_version=%d;"
                                         " COMMIT; PRAGMA journal_mode=WAL;",
                                         drop->str, schema->create_sql, schema->version);
  gboolean ok = exec_script(h, db, sql, error);
  /* The last connection's close checkpoints everything into the file and
   * removes the WAL, so the file alone is the whole store. */
  int rc = sqlite3_close(h);
  if (ok && rc != SQLITE_OK) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot close %s: %s", db, sqlite3_errstr(rc));
    ok = FALSE;
  }
  return ok;
}

/* An older store brought up to this version: its migrations and the new
 * version in one transaction, so a crash leaves it old or new, never between. */
static gboolean
migrate(const char *db, const ShiftdStoreSchema *schema, int from, GError **error)
{
  sqlite3 *h = open_handle(db, FALSE, "open", error);
  if (h == NULL)
    return FALSE;
  sqlite3_busy_timeout(h, 5000);
  g_autoptr(GString) sql = g_string_new("PRAGMA synchronous=FULL; BEGIN IMMEDIATE;");
  for (int v = from; v < schema->version; v++)
    g_string_append(sql, schema->migrations[v - 1]);
  g_string_append_printf(sql, " PRAGMA user_version=%d; COMMIT;", schema->version);
  char *msg = NULL;
  gboolean ok = sqlite3_exec(h, sql->str, NULL, NULL, &msg) == SQLITE_OK;
  if (!ok) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot bring %s from schema %d to %d: %s", db, from,
                schema->version, msg ? msg : sqlite3_errmsg(h));
    sqlite3_free(msg);
    sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
  }
  sqlite3_close(h);
  return ok;
}

static gboolean
fsync_path(const char *path, int flags, GError **error)
{
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0)
    return set_errno_error(error, errno, "cannot open", path);
  int r = (flags & O_DIRECTORY) ? 0 : fchmod(fd, FILE_MODE);
  if (r == 0)
    r = fsync(fd);
  int e = errno;
  close(fd);
  return r == 0 || set_errno_error(error, e, "cannot sync", path);
}

/* A new store appears whole or not at all: it is made and synced under a
 * temporary name, then renamed into place and the directory synced. A crash
 * before the rename leaves only the temporary files, which hold nothing and
 * are replaced at the next start; there is never a shiftd.db that is
 * unfinished (and then refused for ever). */
static gboolean
create_store(const char *dir, const char *db, const ShiftdStoreSchema *schema, GError **error)
{
  g_autofree char *tmp = g_strconcat(db, ".new", NULL);
  if (unlink(tmp) < 0 && errno != ENOENT)
    return set_errno_error(error, errno, "cannot remove", tmp);
  for (const char *const *s = side_suffixes; *s; s++) {
    g_autofree char *side = g_strconcat(tmp, *s, NULL);
    if (unlink(side) < 0 && errno != ENOENT)
      return set_errno_error(error, errno, "cannot remove", side);
  }
  if (!write_schema(tmp, schema, TRUE, error))
    return FALSE;
  for (const char *const *s = side_suffixes; *s; s++) {
    g_autofree char *side = g_strconcat(tmp, *s, NULL);
    if (g_str_equal(*s, "-wal") && exists(side)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: SQLite left its WAL behind", tmp);
      return FALSE;
    }
    (void)unlink(side);
  }
  if (!fsync_path(tmp, O_RDWR, error))
    return FALSE;
  if (rename(tmp, db) < 0)
    return set_errno_error(error, errno, "cannot rename into place:", tmp);
  return fsync_path(dir, O_RDONLY | O_DIRECTORY, error);
}

/* "dev ino size mtime": the database file as a clean stop left it. */
static char *
stamp_of(const struct stat *st)
{
  return g_strdup_printf("%ju %ju %jd %jd.%09ld\n", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
                         (intmax_t)st->st_size, (intmax_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

/* The full check reads the whole file: with a long history that is most of
 * the start-up. It is skipped when the file is exactly as shiftd itself left
 * it at a clean stop (the stamp matches, and there is no WAL: a crash leaves
 * one); anything else that touched it meanwhile gets the full check. */
static gboolean
stamp_matches(const char *db, const struct stat *st)
{
  g_autofree char *path = g_strconcat(db, SHIFTD_STORE_STAMP_SUFFIX, NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    return FALSE;
  g_autofree char *now = stamp_of(st);
  return g_str_equal(text, now);
}

void
shiftd_store_file_stopped_cleanly(const char *db)
{
  g_autofree char *wal = g_strconcat(db, "-wal", NULL);
  g_autofree char *path = g_strconcat(db, SHIFTD_STORE_STAMP_SUFFIX, NULL);
  struct stat st;
  if (exists(wal) || stat(db, &st) < 0)
    return;
  g_autofree char *text = stamp_of(&st);
  (void)g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, FILE_MODE, NULL);
}

char *
shiftd_store_file_prepare(const char *dir, const ShiftdStoreSchema *schema, GError **error)
{
  g_autofree char *db = g_build_filename(dir, SHIFTD_STORE_DB_NAME, NULL);
  struct stat st;
  if (stat(db, &st) < 0) {
    if (errno != ENOENT) {
      set_errno_error(error, errno, "cannot look at", db);
      return NULL;
    }
    for (const char *const *s = side_suffixes; *s; s++) {
      g_autofree char *side = g_strconcat(db, *s, NULL);
      if (exists(side)) {
        refuse(error, SHIFTD_STORE_REFUSED_HALF_THERE,
               "%s is missing but %s is there: the store is only half there; refusing to start with an empty "
               "store (put " SHIFTD_STORE_DB_NAME " back, or move the store's files away to begin a new one)",
               db, side);
        return NULL;
      }
    }
    if (!create_store(dir, db, schema, error))
      return NULL;
    return g_steal_pointer(&db);
  }

  g_autofree char *wal = g_strconcat(db, "-wal", NULL);
  g_autofree char *shm = g_strconcat(db, "-shm", NULL);
  gboolean had_wal = exists(wal), had_shm = exists(shm);
  gboolean full = had_wal || had_shm || !stamp_matches(db, &st);
  CheckResult result = CHECK_COMPLETE;
  int version = 0;
  if (!check_files(db, &st, error) || !check_database(db, schema, full, &result, &version, error)) {
    /* leave a refused store as it was found: drop what the check's own
     * connection made (an empty WAL, the shared-memory index) */
    if (!had_wal)
      (void)unlink(wal);
    if (!had_shm)
      (void)unlink(shm);
    return NULL;
  }
  /* from here on the file changes: the next start checks it in full unless
   * this daemon stops cleanly */
  g_autofree char *stamp = g_strconcat(db, SHIFTD_STORE_STAMP_SUFFIX, NULL);
  if (unlink(stamp) < 0 && errno != ENOENT) {
    set_errno_error(error, errno, "cannot remove", stamp);
    return NULL;
  }
  if (result == CHECK_UNFINISHED && !write_schema(db, schema, FALSE, error))
    return NULL;
  if (result == CHECK_OLDER && !migrate(db, schema, version, error))
    return NULL;
  /* Stores made before umask 077 were 0644: the runs are nobody else's. */
  const char *files[] = { db, wal, shm };
  for (guint i = 0; i < G_N_ELEMENTS(files); i++)
    if (stat(files[i], &st) == 0 && (st.st_mode & 07777) != FILE_MODE && chmod(files[i], FILE_MODE) < 0) {
      set_errno_error(error, errno, "cannot make 0600:", files[i]);
      return NULL;
    }
  return g_steal_pointer(&db);
}
