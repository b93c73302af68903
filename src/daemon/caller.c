#include "caller.h"

#include "access.h"

#include <errno.h>
#include <unistd.h>

/* The cache lives with the bus connection, keyed by unique name. */
static GHashTable *uid_cache;

static int
on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  const char *name = NULL, *old_owner = NULL, *new_owner = NULL;
  if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
    return 0;
  if (name[0] == ':' && new_owner[0] == '\0') {
    if (uid_cache)
      g_hash_table_remove(uid_cache, name);
    access_forget_sender(name);
  }
  return 0;
}

int
caller_cache_init(Daemon *d)
{
  uid_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return sd_bus_match_signal_async(d->bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed, NULL, d);
}

void
caller_cache_free(Daemon *d)
{
  g_clear_pointer(&uid_cache, g_hash_table_unref);
}

int
caller_get_uid(sd_bus_message *m, uid_t *ret_uid)
{
  const char *sender = sd_bus_message_get_sender(m);
  gpointer cached = NULL;
  if (uid_cache && sender && g_hash_table_lookup_extended(uid_cache, sender, NULL, &cached)) {
    *ret_uid = (uid_t)GPOINTER_TO_UINT(cached);
    return 0;
  }
  _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
  int r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID | SD_BUS_CREDS_AUGMENT, &creds);
  if (r < 0)
    return r;
  uid_t uid;
  r = sd_bus_creds_get_euid(creds, &uid);
  if (r < 0)
    r = sd_bus_creds_get_uid(creds, &uid);
  if (r < 0)
    return r;
  if (uid_cache && sender && sender[0] == ':')
    g_hash_table_insert(uid_cache, g_strdup(sender), GUINT_TO_POINTER((guint)uid));
  *ret_uid = uid;
  return 0;
}
