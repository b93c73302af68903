#include "caller.h"

#include "access.h"

#include <errno.h>
#include <unistd.h>

#include "shiftd-names.h"

typedef struct {
  sd_bus_message *m;
  CallerReady ready;
  gpointer user_data;
} Waiter;

typedef struct {
  char *sender;
  CallerCreds creds;
  gboolean known;
  gboolean gone;         /* left the bus while the question was out */
  sd_bus_slot *query;    /* GetConnectionCredentials, while it is out */
  GQueue waiters;        /* Waiter*, in arrival order */
  GPtrArray *requeued;   /* calls the filter let through, not seen back yet */
} Entry;

/* unique name -> Entry* */
static GHashTable *cache;

static Entry *
entry_new(const char *sender)
{
  Entry *e = g_new0(Entry, 1);
  e->sender = g_strdup(sender);
  e->creds.gids = g_array_new(FALSE, FALSE, sizeof(gid_t));
  g_queue_init(&e->waiters);
  e->requeued = g_ptr_array_new_with_free_func((GDestroyNotify)sd_bus_message_unref);
  return e;
}

static void
waiter_free(gpointer data)
{
  Waiter *w = data;
  sd_bus_message_unref(w->m);
  g_free(w);
}

static void
entry_free(gpointer data)
{
  Entry *e = data;
  sd_bus_slot_unref(e->query);
  g_queue_clear_full(&e->waiters, waiter_free);
  g_ptr_array_unref(e->requeued);
  g_array_unref(e->creds.gids);
  g_free(e->sender);
  g_free(e);
}

static int
on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  const char *name = NULL, *old_owner = NULL, *new_owner = NULL;
  if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
    return 0;
  if (name[0] == ':' && new_owner[0] == '\0') {
    Entry *e = cache ? g_hash_table_lookup(cache, name) : NULL;
    if (e && e->query)
      e->gone = TRUE; /* its answer (an error, most likely) is on its way */
    else if (e)
      g_hash_table_remove(cache, name);
    access_forget_sender(name);
  }
  return 0;
}

/* a{sv}: UnixUserID u, UnixGroupIDs au (dbus-daemon and dbus-broker give
 * both), and more that is skipped. */
static int
read_creds(sd_bus_message *reply, CallerCreds *creds)
{
  gboolean have_uid = FALSE;
  int r = sd_bus_message_enter_container(reply, 'a', "{sv}");
  if (r < 0)
    return r;
  while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
    const char *key = NULL;
    r = sd_bus_message_read(reply, "s", &key);
    if (r < 0)
      return r;
    if (g_str_equal(key, "UnixUserID")) {
      uint32_t uid = 0;
      r = sd_bus_message_read(reply, "v", "u", &uid);
      creds->uid = (uid_t)uid;
      have_uid = TRUE;
    } else if (g_str_equal(key, "UnixGroupIDs")) {
      const uint32_t *gids = NULL;
      size_t size = 0;
      r = sd_bus_message_enter_container(reply, 'v', "au");
      if (r >= 0)
        r = sd_bus_message_read_array(reply, 'u', (const void **)&gids, &size);
      for (size_t i = 0; r >= 0 && i < size / sizeof *gids; i++) {
        gid_t gid = (gid_t)gids[i];
        g_array_append_val(creds->gids, gid);
      }
      if (r >= 0)
        r = sd_bus_message_exit_container(reply);
    } else {
      r = sd_bus_message_skip(reply, "v");
    }
    if (r < 0)
      return r;
    r = sd_bus_message_exit_container(reply);
    if (r < 0)
      return r;
  }
  if (r < 0)
    return r;
  return have_uid ? 0 : -ENODATA;
}

static int
on_creds(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  Entry *e = userdata;
  e->query = sd_bus_slot_unref(e->query);
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  const sd_bus_error *reply_error = sd_bus_message_get_error(reply);
  int r;
  if (reply_error)
    sd_bus_error_copy(&error, reply_error);
  else if ((r = read_creds(reply, &e->creds)) < 0)
    sd_bus_error_set_errnof(&error, r, "the bus gave credentials that cannot be read: %s", g_strerror(-r));
  else
    e->known = TRUE;
  /* Kept only for a connection still there; a failure is not remembered. */
  gboolean keep = e->known && !e->gone;
  if (!keep)
    g_hash_table_steal(cache, e->sender);
  Waiter *w;
  while ((w = g_queue_pop_head(&e->waiters)) != NULL) {
    w->ready(w->m, e->known ? &e->creds : NULL, e->known ? NULL : &error, w->user_data);
    waiter_free(w);
  }
  if (!keep)
    entry_free(e);
  return 0;
}

void
caller_lookup(sd_bus_message *m, CallerReady ready, gpointer user_data)
{
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  const char *sender = sd_bus_message_get_sender(m);
  if (cache == NULL || sender == NULL || sender[0] != ':') {
    sd_bus_error_set(&error, SD_BUS_ERROR_FAILED, "the call names no sender on the bus");
    ready(m, NULL, &error, user_data);
    return;
  }
  Entry *e = g_hash_table_lookup(cache, sender);
  if (e && e->known) {
    ready(m, &e->creds, NULL, user_data);
    return;
  }
  if (e == NULL) {
    e = entry_new(sender);
    int r = sd_bus_call_method_async(sd_bus_message_get_bus(m), &e->query, "org.freedesktop.DBus",
                                     "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionCredentials",
                                     on_creds, e, "s", sender);
    if (r < 0) {
      entry_free(e);
      sd_bus_error_set_errnof(&error, r, "cannot ask the bus who is calling: %s", g_strerror(-r));
      ready(m, NULL, &error, user_data);
      return;
    }
    g_hash_table_insert(cache, e->sender, e);
  }
  Waiter *w = g_new0(Waiter, 1);
  w->m = sd_bus_message_ref(m);
  w->ready = ready;
  w->user_data = user_data;
  g_queue_push_tail(&e->waiters, w);
}

/* Puts m back on the bus's read queue, where it is dispatched again (behind
 * what is there), and remembers it so the filter lets it pass. */
static void
requeue(Entry *e, sd_bus_message *m)
{
  int r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(m), m);
  if (r < 0) {
    sd_bus_reply_method_errorf(m, SD_BUS_ERROR_FAILED, "cannot take the call: %s", g_strerror(-r));
    return;
  }
  if (e)
    g_ptr_array_add(e->requeued, sd_bus_message_ref(m));
}

static void
let_through(sd_bus_message *m, const CallerCreds *creds, const sd_bus_error *error, gpointer user_data)
{
  if (creds == NULL) {
    sd_bus_reply_method_errorf(m, SHIFTD_ERROR_ACCESS_DENIED, "cannot tell who is calling: %s",
                               error && error->message ? error->message : "the bus did not say");
    return;
  }
  /* no entry: the caller has left since, and the next pass says so */
  requeue(g_hash_table_lookup(cache, sd_bus_message_get_sender(m)), m);
}

static int
on_incoming(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  if (!sd_bus_message_is_method_call(m, NULL, NULL))
    return 0;
  const char *sender = sd_bus_message_get_sender(m);
  if (sender == NULL || sender[0] != ':')
    return 0;
  Entry *e = g_hash_table_lookup(cache, sender);
  if (e && e->known) {
    if (e->requeued->len == 0 || g_ptr_array_remove(e->requeued, m))
      return 0;
    /* a later call read before the held ones came back goes behind them */
    requeue(e, m);
    return 1;
  }
  caller_lookup(m, let_through, NULL);
  return 1;
}

int
caller_cache_init(Daemon *d)
{
  /* the key is the entry's own sender string */
  cache = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, entry_free);
  int r = sd_bus_match_signal_async(d->bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed, NULL, d);
  if (r < 0)
    return r;
  return sd_bus_add_filter(d->bus, NULL, on_incoming, d);
}

void
caller_cache_free(Daemon *d)
{
  g_clear_pointer(&cache, g_hash_table_unref);
}

const CallerCreds *
caller_get(sd_bus_message *m)
{
  const char *sender = m ? sd_bus_message_get_sender(m) : NULL;
  Entry *e = cache && sender ? g_hash_table_lookup(cache, sender) : NULL;
  return e && e->known ? &e->creds : NULL;
}

int
caller_get_uid(sd_bus_message *m, uid_t *ret_uid)
{
  const CallerCreds *creds = caller_get(m);
  if (creds == NULL)
    return -ENODATA;
  *ret_uid = creds->uid;
  return 0;
}
