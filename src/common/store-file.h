/* The store's place on disk: the state directory, the lock that makes one
 * daemon its only user, and the database file, checked before SQLite opens it
 * and created whole or not at all.
 *
 * Why refuse instead of starting afresh: run names are drawn at random and
 * checked against the runs on record, so a store that silently lost its runs
 * (an emptied file, a database moved away from its WAL) could hand out a name
 * that was already issued. Refusing a damaged or half-there store is what
 * keeps "a run name is never reused"; only a directory with no trace of a
 * store gets a new one. */
#pragma once

#include <glib.h>
#include <sys/types.h>

#define SHIFTD_STORE_DB_NAME "shiftd.db"
#define SHIFTD_STORE_LOCK_NAME "lock"

/* The store is there but cannot be trusted: start nothing on it. */
#define SHIFTD_STORE_REFUSED (shiftd_store_refused_quark())
GQuark shiftd_store_refused_quark(void);
typedef enum {
  SHIFTD_STORE_REFUSED_UNSAFE,     /* the directory or a file is not ours, or not a regular file */
  SHIFTD_STORE_REFUSED_EMPTY,      /* a 0-byte database file */
  SHIFTD_STORE_REFUSED_HALF_THERE, /* a WAL or shared-memory file without its database */
  SHIFTD_STORE_REFUSED_NOT_SQLITE, /* the database or WAL file is not what its name says */
  SHIFTD_STORE_REFUSED_DAMAGED,    /* PRAGMA quick_check failed, or tables are missing */
  SHIFTD_STORE_REFUSED_NEWER,      /* written by a newer shiftd */
  SHIFTD_STORE_REFUSED_FOREIGN,    /* an SQLite database, but not a shiftd store */
} ShiftdStoreRefused;

/* Another process holds the state directory's lock. */
#define SHIFTD_STATE_LOCK_ERROR (shiftd_state_lock_error_quark())
GQuark shiftd_state_lock_error_quark(void);
enum { SHIFTD_STATE_LOCK_ERROR_HELD };

/* Makes dir (parents 0700) if missing and leaves it 0711: nobody else may
 * list or write it, workers' sandboxes may pass through it. A directory that
 * belongs to another uid is refused (SHIFTD_STORE_REFUSED_UNSAFE). */
gboolean shiftd_state_dir_prepare(const char *dir, GError **error);

/* An exclusive flock(2) on DIR/lock (0600, close-on-exec), which then holds
 * our pid. Held: SHIFTD_STATE_LOCK_ERROR_HELD naming the holder's pid and, if
 * readable, its command line; *out_holder (may be NULL) gets the pid, 0 if
 * unknown. The lock lasts until shiftd_state_lock_free() or the process ends. */
typedef struct ShiftdStateLock ShiftdStateLock;
ShiftdStateLock *shiftd_state_lock_take(const char *dir, pid_t *out_holder, GError **error);
void shiftd_state_lock_free(ShiftdStateLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdStateLock, shiftd_state_lock_free)

typedef struct {
  const char *create_sql;   /* the tables, as one script */
  int version;              /* PRAGMA user_version of a complete store */
  const char *const *tables; /* every table a complete store has */
  /* migrations[v - 1] brings a store of version v to v + 1 (ALTER TABLE ...
   * ADD COLUMN with defaults); version entries, NULL-terminated */
  const char *const *migrations;
} ShiftdStoreSchema;

/* Checks DIR/shiftd.db (and its WAL) before anything opens it, or, when the
 * directory has no trace of a store, creates it under a temporary name,
 * syncs it and renames it into place. Returns the database path (transfer
 * full); a store it will not use is a SHIFTD_STORE_REFUSED error, and is
 * left as it was found. A store of an older version is brought up to this
 * one first, in one transaction. */
char *shiftd_store_file_prepare(const char *dir, const ShiftdStoreSchema *schema, GError **error);
/* Beside the database: how a clean stop left it (see stamp_matches()). */
#define SHIFTD_STORE_STAMP_SUFFIX ".clean"
/* Call once every connection to db is closed. */
void shiftd_store_file_stopped_cleanly(const char *db);
