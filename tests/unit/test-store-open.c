/* The store's files on disk: a new store appears whole, a damaged or
 * half-there one is refused and left exactly as it was, and one daemon holds
 * the state directory's lock. */
#include <glib.h>
#include <glib/gstdio.h>

#include <fcntl.h>
#include <poll.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run-store.h"
#include "store-file.h"

static char *
path_in(const char *dir, const char *name)
{
  return g_build_filename(dir, name, NULL);
}

static guint
file_mode(const char *path)
{
  struct stat st;
  g_assert_cmpint(stat(path, &st), ==, 0);
  return st.st_mode & 07777;
}

static int
by_name(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file in dir: name, mode and content. */
static char *
snapshot(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  g_assert_nonnull(d);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *n;
  while ((n = g_dir_read_name(d)))
    g_ptr_array_add(names, g_strdup(n));
  g_ptr_array_sort(names, by_name);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *p = path_in(dir, g_ptr_array_index(names, i));
    g_autofree char *text = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(p, &text, &len, NULL));
    g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, len);
    g_string_append_printf(s, "%s %o %s\n", (char *)g_ptr_array_index(names, i), file_mode(p), sum);
  }
  return g_string_free(s, FALSE);
}

static void
rm_rf(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d))) {
    g_autofree char *p = path_in(dir, n);
    g_unlink(p);
  }
  g_rmdir(dir);
}

static void
commit_done(gpointer user_data, const GError *error)
{
  g_assert_no_error(error);
  *(gboolean *)user_data = TRUE;
}

static void
sql(const char *db, const char *script)
{
  sqlite3 *h = NULL;
  g_assert_cmpint(sqlite3_open(db, &h), ==, SQLITE_OK);
  char *msg = NULL;
  if (sqlite3_exec(h, script, NULL, NULL, &msg) != SQLITE_OK)
    g_error("%s: %s", script, msg);
  g_assert_cmpint(sqlite3_close(h), ==, SQLITE_OK);
}

static int
user_version(const char *db)
{
  sqlite3 *h = NULL;
  sqlite3_stmt *st = NULL;
  g_assert_cmpint(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
  int v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return v;
}

/* A real store with a few hundred rows (several pages), closed cleanly. */
static void
make_store(const char *dir)
{
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  shiftd_store_close(store);
  g_autofree char *db = path_in(dir, "shiftd.db");
  GString *s = g_string_new("BEGIN;");
  for (int i = 0; i < 300; i++)
    g_string_append_printf(s, "INSERT INTO run_tasks VALUES ('run-%d', '%0100d');", i, i);
  g_string_append(s, "COMMIT;");
  sql(db, s->str);
  g_string_free(s, TRUE);
}

static void
test_new_store(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-open-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  g_autofree char *db = path_in(dir, "shiftd.db");
  g_assert_cmpstr(shiftd_store_get_path(store), ==, db);
  shiftd_store_close(store);
  g_assert_cmpuint(file_mode(db), ==, 0600);
  g_assert_cmpint(user_version(db), ==, 3);
  g_autofree char *tmp = path_in(dir, "shiftd.db.new");
  g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
  /* and it opens again, as a complete store */
  store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  shiftd_store_close(store);
  rm_rf(dir);
}

/* A crash while a store was being made leaves only the temporary files:
 * the next start makes the store afresh instead of refusing it. */
static void
test_interrupted_creation(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-open-XXXXXX", NULL);
  g_autofree char *tmp = path_in(dir, "shiftd.db.new");
  g_autofree char *tmp_wal = path_in(dir, "shiftd.db.new-wal");
  g_assert_true(g_file_set_contents(tmp, "half a database", -1, NULL));
  g_assert_true(g_file_set_contents(tmp_wal, "half a WAL", -1, NULL));
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  shiftd_store_close(store);
  g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
  g_assert_false(g_file_test(tmp_wal, G_FILE_TEST_EXISTS));
  g_autofree char *db = path_in(dir, "shiftd.db");
  g_assert_cmpint(user_version(db), ==, 3);
  rm_rf(dir);
}

typedef void (*Damage)(const char *dir);

static void
damage_empty(const char *dir)
{
  g_autofree char *db = path_in(dir, "shiftd.db");
  g_assert_true(g_file_set_contents(db, "", 0, NULL));
}

static void
damage_wal_only(const char *dir)
{
  make_store(dir);
  g_autofree char *db = path_in(dir, "shiftd.db");
  g_autofree char *wal = path_in(dir, "shiftd.db-wal");
  /* any WAL: its database is what is missing */
  g_assert_true(g_file_set_contents(wal, "WAL frames of a lost database", -1, NULL));
  g_unlink(db);
}

static void
damage_shm_only(const char *dir)
{
  make_store(dir);
  g_autofree char *db = path_in(dir, "shiftd.db");
  g_autofree char *shm = path_in(dir, "shiftd.db-shm");
  g_assert_true(g_file_set_contents(shm, "index of a lost WAL", -1, NULL));
  g_unlink(db);
}

static void
damage_not_sqlite(const char *dir)
{
  g_autofree char *db = path_in(dir, "shiftd.db");
  g_autofree char *text = g_strnfill(4096, 'x');
  g_assert_true(g_file_set_contents(db, text, -1, NULL));
}

static void
damage_short(const char *dir)
{
  g_autofree char *db = path_in(dir, "shiftd.db");
  g_assert_true(g_file_set_contents(db, "SQLite format 3", 16, NULL));
}

static void
damage_pages(const char *dir)
{
  make_store(dir);
  g_autofree char *db = path_in(dir, "shiftd.db");
  g_autofree char *text = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(db, &text, &len, NULL));
  /* the tables' and indexes' roots come first; the rows written last are
   * on the last pages */
  g_assert_cmpuint(len, >, 12 * 4096);
  memset(text + len - 2 * 4096 + 100, 0xff, 2000);
  g_assert_true(g_file_set_contents(db, text, (gssize)len, NULL));
}

static void
damage_newer(const char *dir)
{
  make_store(dir);
  g_autofree char *db = path_in(dir, "shiftd.db");
  sql(db, "PRAGMA user_version=99;");
}

static void
damage_foreign(const char *dir)
{
  g_autofree char *db = path_in(dir, "shiftd.db");
  sql(db, "CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT);");
}

static void
damage_missing_table(const char *dir)
{
  make_store(dir);
  g_autofree char *db = path_in(dir, "shiftd.db");
  sql(db, "DROP TABLE runs;");
}

static void
damage_bad_wal(const char *dir)
{
  make_store(dir);
  g_autofree char *wal = path_in(dir, "shiftd.db-wal");
  g_autofree char *text = g_strnfill(4096, 'w');
  g_assert_true(g_file_set_contents(wal, text, -1, NULL));
}

static void
test_refusals(void)
{
  static const struct {
    const char *name;
    Damage damage;
    ShiftdStoreRefused code;
    const char *expect;
  } cases[] = {
    { "empty", damage_empty, SHIFTD_STORE_REFUSED_EMPTY, "shiftd.db is empty (0 bytes)" },
    { "wal-only", damage_wal_only, SHIFTD_STORE_REFUSED_HALF_THERE, "shiftd.db is missing but " },
    { "shm-only", damage_shm_only, SHIFTD_STORE_REFUSED_HALF_THERE, "shiftd.db-shm is there" },
    { "not-sqlite", damage_not_sqlite, SHIFTD_STORE_REFUSED_NOT_SQLITE, "shiftd.db is not an SQLite database" },
    { "short", damage_short, SHIFTD_STORE_REFUSED_NOT_SQLITE, "shiftd.db is not an SQLite database" },
    { "damaged", damage_pages, SHIFTD_STORE_REFUSED_DAMAGED, "shiftd.db is damaged" },
    { "newer", damage_newer, SHIFTD_STORE_REFUSED_NEWER, "written by a newer shiftd (schema 99" },
    { "foreign", damage_foreign, SHIFTD_STORE_REFUSED_FOREIGN, "not a shiftd store" },
    { "missing-table", damage_missing_table, SHIFTD_STORE_REFUSED_DAMAGED, "it has no table \"runs\"" },
    { "bad-wal", damage_bad_wal, SHIFTD_STORE_REFUSED_NOT_SQLITE, "shiftd.db-wal is not an SQLite WAL file" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *dir = g_dir_make_tmp("shiftd-open-XXXXXX", NULL);
    cases[i].damage(dir);
    g_autofree char *before = snapshot(dir);
    g_autoptr(GError) error = NULL;
    ShiftdStore *store = shiftd_store_open(dir, &error);
    if (store != NULL)
      g_error("case %s: the store was opened", cases[i].name);
    g_assert_error(error, SHIFTD_STORE_REFUSED, (gint)cases[i].code);
    if (!strstr(error->message, cases[i].expect) || strchr(error->message, '\n'))
      g_error("case %s: \"%s\" does not say \"%s\" on one line", cases[i].name, error->message, cases[i].expect);
    g_autofree char *after = snapshot(dir);
    if (!g_str_equal(before, after))
      g_error("case %s: the store changed:\n%s---\n%s", cases[i].name, before, after);
    rm_rf(dir);
  }
}

/* A clean stop leaves a stamp that lets the next open skip reading the
 * whole file; the open takes it away, so a crash leaves none. */
static void
test_clean_stop_stamp(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-open-XXXXXX", NULL);
  g_autofree char *db = path_in(dir, "shiftd.db");
  g_autofree char *stamp = g_strconcat(db, SHIFTD_STORE_STAMP_SUFFIX, NULL);
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  g_assert_false(g_file_test(stamp, G_FILE_TEST_EXISTS));
  shiftd_store_close(store);
  g_assert_true(g_file_test(stamp, G_FILE_TEST_EXISTS));
  g_assert_cmpuint(file_mode(stamp), ==, 0600);

  store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  g_assert_false(g_file_test(stamp, G_FILE_TEST_EXISTS));
  shiftd_store_close(store);

  /* What the stamp buys: damage that kept the file's size, inode and
   * mtime goes unseen at open (it shows when those pages are read)... */
  make_store(dir);
  store = shiftd_store_open(dir, &error); /* the full check, then a stamp */
  g_assert_no_error(error);
  shiftd_store_close(store);
  struct stat before;
  g_assert_cmpint(stat(db, &before), ==, 0);
  int fd = open(db, O_RDWR);
  g_assert_cmpint(fd, >=, 0);
  char junk[2000];
  memset(junk, 0xff, sizeof junk);
  g_assert_cmpint(pwrite(fd, junk, sizeof junk, before.st_size - 2 * 4096 + 100), ==, sizeof junk);
  struct timespec times[2] = { before.st_atim, before.st_mtim };
  g_assert_cmpint(futimens(fd, times), ==, 0);
  close(fd);
  store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  shiftd_store_close(store);
  /* ...while without a matching stamp the same file is refused */
  g_assert_cmpint(unlink(stamp), ==, 0);
  store = shiftd_store_open(dir, &error);
  g_assert_null(store);
  g_assert_error(error, SHIFTD_STORE_REFUSED, SHIFTD_STORE_REFUSED_DAMAGED);
  rm_rf(dir);
}

/* An older shiftd set the version after the tables: a store with some of
 * our tables, all empty, and no version is finished, not refused. */
static void
test_unfinished_is_finished(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-open-XXXXXX", NULL);
  g_autofree char *db = path_in(dir, "shiftd.db");
  sql(db, "CREATE TABLE run_tasks (name TEXT PRIMARY KEY NOT NULL, task TEXT NOT NULL) WITHOUT ROWID;");
  g_assert_cmpint(user_version(db), ==, 0);
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  shiftd_store_close(store);
  g_assert_cmpint(user_version(db), ==, 3);
  /* control: the same with a row in it is someone's data, refused */
  g_unlink(db);
  sql(db, "CREATE TABLE run_tasks (name TEXT PRIMARY KEY NOT NULL, task TEXT NOT NULL) WITHOUT ROWID;"
          "INSERT INTO run_tasks VALUES ('a', 'b');");
  store = shiftd_store_open(dir, &error);
  g_assert_null(store);
  g_assert_error(error, SHIFTD_STORE_REFUSED, SHIFTD_STORE_REFUSED_FOREIGN);
  rm_rf(dir);
}

/* A store of schema 1 (before token accounting), as a shiftd of then left
 * it: opened, it is brought to schema 2 with its runs and agents intact and
 * the new columns at 0. */
static void
test_version1_is_migrated(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-open-XXXXXX", NULL);
  g_autofree char *db = path_in(dir, "shiftd.db");
  sql(db, "CREATE TABLE run_tasks (name TEXT PRIMARY KEY NOT NULL, task TEXT NOT NULL) WITHOUT ROWID;"
          "CREATE TABLE runs ("
          " name TEXT PRIMARY KEY NOT NULL, agent TEXT NOT NULL,"
          " trigger TEXT NOT NULL, state TEXT NOT NULL, summary TEXT NOT NULL, result TEXT NOT NULL,"
          " error TEXT NOT NULL, question TEXT NOT NULL, choices TEXT NOT NULL, decision_default TEXT,"
          " decision_deadline INTEGER NOT NULL, step INTEGER NOT NULL, attempt INTEGER NOT NULL,"
          " event_count INTEGER NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER NOT NULL,"
          " updated_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, unit TEXT NOT NULL,"
          " owner INTEGER NOT NULL, model TEXT NOT NULL, max_steps INTEGER NOT NULL,"
          " timeout INTEGER NOT NULL, label TEXT NOT NULL, active_usec INTEGER NOT NULL, answer TEXT) WITHOUT ROWID;"
          "CREATE TABLE events ("
          " run TEXT NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL, kind TEXT NOT NULL,"
          " json TEXT NOT NULL, PRIMARY KEY (run, seq)) WITHOUT ROWID;"
          "CREATE TABLE checkpoints (run TEXT PRIMARY KEY NOT NULL, step INTEGER NOT NULL, messages TEXT NOT NULL);"
          "CREATE TABLE agents ("
          " name TEXT PRIMARY KEY NOT NULL, enabled INTEGER NOT NULL, current_interval INTEGER NOT NULL,"
          " idle_streak INTEGER NOT NULL, next_wake INTEGER NOT NULL, last_run_at INTEGER NOT NULL,"
          " last_run TEXT NOT NULL, last_review_at INTEGER NOT NULL);"
          "INSERT INTO runs VALUES ('default-old', 'default', 'manual', 'done', 'finished', 'the result', '', '',"
          " '[]', NULL, 0, 3, 1, 7, 1000, 1001, 1002, 1003, '', 1000, '', 20, 0, '', 5, NULL);"
          "INSERT INTO run_tasks VALUES ('default-old', 'the task');"
          "INSERT INTO agents VALUES ('watcher', 1, 60000000, 2, 5000, 4000, 'watcher-abcd', 0);"
          "PRAGMA user_version=1;");
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  g_autoptr(ShiftdRunRow) run = shiftd_store_load_run(store, "default-old", &error);
  g_assert_no_error(error);
  g_assert_nonnull(run);
  g_assert_cmpstr(run->result, ==, "the result");
  g_assert_cmpstr(run->task, ==, "the task");
  g_assert_cmpuint(run->step, ==, 3);
  g_assert_cmpuint(run->tokens_in, ==, 0);
  g_assert_cmpuint(run->tokens_out, ==, 0);
  g_autoptr(GPtrArray) agents = shiftd_store_load_agents(store, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(agents->len, ==, 1);
  ShiftdAgentState *a = g_ptr_array_index(agents, 0);
  g_assert_cmpstr(a->last_run, ==, "watcher-abcd");
  g_assert_cmpuint(a->idle_streak, ==, 2);
  g_assert_cmpuint(a->tokens_total, ==, 0);
  shiftd_store_close(store);
  g_assert_cmpint(user_version(db), ==, 3);
  /* and it opens again as a complete store */
  store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  shiftd_store_close(store);
  rm_rf(dir);
}

/* Stores made under a looser umask become 0600 at the next start. */
static void
test_modes_tightened(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-open-XXXXXX", NULL);
  make_store(dir);
  g_autofree char *db = path_in(dir, "shiftd.db");
  g_assert_cmpint(chmod(db, 0644), ==, 0);
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  shiftd_store_close(store);
  g_assert_cmpuint(file_mode(db), ==, 0600);
  rm_rf(dir);
}

static void
test_state_dir(void)
{
  g_autofree char *base = g_dir_make_tmp("shiftd-open-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename(base, "a", "state", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true(shiftd_state_dir_prepare(dir, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(file_mode(dir), ==, 0711);
  g_assert_cmpint(chmod(dir, 0777), ==, 0);
  g_assert_true(shiftd_state_dir_prepare(dir, &error));
  g_assert_cmpuint(file_mode(dir), ==, 0711);
  if (geteuid() == 0) {
    /* someone else's directory is not ours to keep runs in */
    g_assert_cmpint(chown(dir, 65534, 65534), ==, 0);
    g_assert_false(shiftd_state_dir_prepare(dir, &error));
    g_assert_error(error, SHIFTD_STORE_REFUSED, SHIFTD_STORE_REFUSED_UNSAFE);
    g_assert_nonnull(strstr(error->message, "belongs to uid 65534"));
  }
  g_rmdir(dir);
  g_autofree char *parent = g_path_get_dirname(dir);
  g_rmdir(parent);
  g_rmdir(base);
}

static void
test_lock(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-open-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  ShiftdStateLock *first = shiftd_state_lock_take(dir, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(first);
  g_autofree char *lock = path_in(dir, "lock");
  g_assert_cmpuint(file_mode(lock), ==, 0600);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(lock, &text, NULL, NULL));
  g_autofree char *mine = g_strdup_printf("%d\n", (int)getpid());
  g_assert_cmpstr(text, ==, mine);

  /* flock belongs to the open file, so a second open in this process is
   * refused just as another process would be */
  pid_t holder = 0;
  ShiftdStateLock *second = shiftd_state_lock_take(dir, &holder, &error);
  g_assert_null(second);
  g_assert_error(error, SHIFTD_STATE_LOCK_ERROR, SHIFTD_STATE_LOCK_ERROR_HELD);
  g_assert_cmpint(holder, ==, getpid());
  g_autofree char *expect = g_strdup_printf("another shiftd (pid %d: ", (int)getpid());
  g_assert_true(g_str_has_prefix(error->message, expect));
  g_assert_nonnull(strstr(error->message, "test-store-open"));
  g_autofree char *tail = g_strdup_printf(") is using %s; not starting a second one", dir);
  g_assert_true(g_str_has_suffix(error->message, tail));
  g_clear_error(&error);

  shiftd_state_lock_free(first);
  second = shiftd_state_lock_take(dir, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(second);
  shiftd_state_lock_free(second);
  rm_rf(dir);
}

/* A store from before the run tree's columns (version 2) gets them at the next open,
 * its runs read with none, and new runs keep them; a second open adds
 * nothing twice. */
static void
test_older_columns(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-open-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  ShiftdStore *store = shiftd_store_open(dir, &error);
  g_assert_no_error(error);
  shiftd_store_close(store);
  g_autofree char *db = path_in(dir, "shiftd.db");
  sql(db, "INSERT INTO runs (name, agent, trigger, state, summary, result, error, question, choices,"
          " decision_default, decision_deadline, step, attempt, event_count, created_at, started_at, updated_at,"
          " finished_at, unit, owner, model, max_steps, timeout, label, active_usec, answer) VALUES"
          " ('old-2222', 'default', 'manual', 'done', '', 'ok', '', '', '[]', NULL, 0, 1, 1, 0, 5, 5, 5, 6, '',"
          " 1000, '', 20, 0, '', 0, NULL);"
          "ALTER TABLE runs DROP COLUMN parent; ALTER TABLE runs DROP COLUMN depth;"
          "ALTER TABLE runs DROP COLUMN children; ALTER TABLE runs DROP COLUMN wait_child;"
          "PRAGMA user_version=2;");
  for (int round = 0; round < 2; round++) {
    store = shiftd_store_open(dir, &error);
    g_assert_no_error(error);
    g_autoptr(ShiftdRunRow) old = shiftd_store_load_run(store, "old-2222", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(old->parent, ==, "");
    g_assert_cmpuint(old->depth, ==, 0);
    g_assert_cmpuint(g_strv_length(old->children), ==, 0);
    g_assert_cmpstr(old->wait_child, ==, "");
    if (round == 0) {
      g_autoptr(ShiftdRunRow) row = shiftd_run_row_new();
      shiftd_set_string(&row->name, "child-3333");
      shiftd_set_string(&row->parent, "old-2222");
      row->depth = 1;
      g_strfreev(row->children);
      row->children = g_strsplit("a-2222 b-3333", " ", -1);
      shiftd_set_string(&row->wait_child, "b-3333");
      ShiftdStoreTxn *txn = shiftd_store_txn_new();
      shiftd_store_txn_put_run(txn, row, FALSE);
      shiftd_store_txn_put_task(txn, row->name, "x");
      gboolean done = FALSE;
      shiftd_store_commit(store, txn, commit_done, &done);
      gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
      while (!done) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        struct pollfd p = { .fd = shiftd_store_get_notify_fd(store), .events = POLLIN };
        poll(&p, 1, 100);
        shiftd_store_dispatch(store);
      }
    } else {
      g_autoptr(ShiftdRunRow) row = shiftd_store_load_run(store, "child-3333", &error);
      g_assert_no_error(error);
      g_assert_cmpstr(row->parent, ==, "old-2222");
      g_assert_cmpuint(row->depth, ==, 1);
      const char *const children[] = { "a-2222", "b-3333", NULL };
      g_assert_true(g_strv_equal((const char *const *)row->children, children));
      g_assert_cmpstr(row->wait_child, ==, "b-3333");
    }
    shiftd_store_close(store);
  }
  rm_rf(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/store-open/new", test_new_store);
  g_test_add_func("/store-open/interrupted-creation", test_interrupted_creation);
  g_test_add_func("/store-open/refusals", test_refusals);
  g_test_add_func("/store-open/unfinished-is-finished", test_unfinished_is_finished);
  g_test_add_func("/store-open/version1-is-migrated", test_version1_is_migrated);
  g_test_add_func("/store-open/modes-tightened", test_modes_tightened);
  g_test_add_func("/store-open/state-dir", test_state_dir);
  g_test_add_func("/store-open/clean-stop-stamp", test_clean_stop_stamp);
  g_test_add_func("/store-open/lock", test_lock);
  g_test_add_func("/store-open/older-columns", test_older_columns);
  return g_test_run();
}
