#include "run-as.h"

#include <gio/gio.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#define DYNAMIC_UID_MIN 61184
#define DYNAMIC_UID_MAX 65519
#define NOGROUP_GID 65534
#define USER_NAME_MAX 31

void
run_as_free(RunAs *as)
{
  if (as == NULL)
    return;
  if (as->groups)
    g_array_unref(as->groups);
  g_free(as->user);
  g_free(as->home);
  g_free(as);
}

static RunAs *
run_as_new(RunAsKind kind, const char *home)
{
  RunAs *as = g_new0(RunAs, 1);
  as->kind = kind;
  as->groups = g_array_new(FALSE, FALSE, sizeof(gid_t));
  as->home = g_strdup(home);
  return as;
}

static RunAs *
copy(const RunAs *src, const char *home)
{
  RunAs *as = run_as_new(src->kind, home);
  as->uid = src->uid;
  as->gid = src->gid;
  g_array_append_vals(as->groups, src->groups->data, src->groups->len);
  as->user = g_strdup(src->user);
  as->unnamed = src->unnamed;
  return as;
}

static void
add_groups(RunAs *as, const char *name, gid_t primary)
{
  int n = 64;
  for (int tries = 0; tries < 4; tries++) {
    g_autofree gid_t *list = g_new(gid_t, n);
    int want = n;
    if (getgrouplist(name, primary, list, &want) >= 0) {
      g_array_append_vals(as->groups, list, (guint)want);
      return;
    }
    n = MAX(want, n * 2);
  }
}

static RunAs *
from_passwd(const struct passwd *pw)
{
  RunAs *as = run_as_new(RUN_AS_USER, NULL);
  as->uid = pw->pw_uid;
  as->gid = pw->pw_gid;
  as->user = g_strdup(pw->pw_name);
  add_groups(as, pw->pw_name, pw->pw_gid);
  return as;
}

RunAs *
run_as_lookup_user(const char *name, GError **error)
{
  errno = 0;
  struct passwd *pw = getpwnam(name);
  if (pw == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "User=%s: %s", name,
                errno ? g_strerror(errno) : "no such user");
    return NULL;
  }
  return from_passwd(pw);
}

RunAs *
run_as_lookup_uid(uid_t uid)
{
  struct passwd *pw = getpwuid(uid);
  if (pw != NULL)
    return from_passwd(pw);
  RunAs *as = run_as_new(RUN_AS_USER, NULL);
  as->uid = uid;
  as->gid = NOGROUP_GID;
  as->user = g_strdup_printf("%u", (unsigned)uid);
  as->unnamed = TRUE;
  return as;
}

gboolean
run_as_wants_caller(const AgentConfig *config, guint32 owner)
{
  return geteuid() == 0 && g_str_equal(config->name, "default") && owner != 0;
}

RunAs *
run_as_for(const AgentConfig *config, const RunAs *user, guint32 owner)
{
  return run_as_for_caller(config, user, owner, NULL);
}

RunAs *
run_as_for_caller(const AgentConfig *config, const RunAs *user, guint32 owner, const RunAs *caller)
{
  if (geteuid() != 0) {
    RunAs *as = run_as_new(RUN_AS_DAEMON, config->name);
    as->uid = geteuid();
    as->gid = getegid();
    return as;
  }
  if (run_as_wants_caller(config, owner)) {
    g_autofree char *home = g_strdup_printf("default.%u", owner);
    g_autoptr(RunAs) looked_up = caller && caller->uid == owner ? NULL : run_as_lookup_uid(owner);
    return copy(looked_up ? looked_up : caller, home);
  }
  if (user != NULL)
    return copy(user, config->name);
  RunAs *as = run_as_new(RUN_AS_DYNAMIC, config->name);
  as->user = run_as_dynamic_user_name(config->name);
  return as;
}

char *
run_as_dynamic_user_name(const char *agent)
{
  g_autofree char *name = g_strconcat("shiftd-", agent, NULL);
  if (strlen(name) <= USER_NAME_MAX)
    return g_steal_pointer(&name);
  /* "shiftd-" + 15 + "-" + 8 hex = 31 */
  return g_strdup_printf("shiftd-%.15s-%08x", agent, g_str_hash(agent));
}

static gboolean
uid_is_free(uid_t uid, GHashTable *taken)
{
  if (taken && g_hash_table_contains(taken, GUINT_TO_POINTER(uid)))
    return FALSE;
  return getpwuid(uid) == NULL && getgrgid((gid_t)uid) == NULL;
}

gboolean
run_as_is_dynamic_uid(uid_t uid)
{
  return uid >= DYNAMIC_UID_MIN && uid <= DYNAMIC_UID_MAX;
}

uid_t
run_as_allocate_uid(const char *name, GHashTable *taken, uid_t preferred)
{
  if (run_as_is_dynamic_uid(preferred) && uid_is_free(preferred, taken))
    return preferred;
  const guint span = DYNAMIC_UID_MAX - DYNAMIC_UID_MIN + 1;
  guint start = g_str_hash(name) % span;
  for (guint i = 0; i < span; i++) {
    uid_t uid = DYNAMIC_UID_MIN + (start + i) % span;
    if (uid_is_free(uid, taken))
      return uid;
  }
  return (uid_t)-1;
}
