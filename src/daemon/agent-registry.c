#include "agent-registry.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "agent-schedule.h"
#include "agent.h"
#include "log.h"
#include "run-as.h"
#include "run.h"
#include "shiftd-names.h"
#include "wake-hold.h"

static GHashTable *
new_users_table(void)
{
  return g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)run_as_free);
}

static char *
agents_dir(Daemon *d)
{
  return g_build_filename(d->config_dir, "agents.d", NULL);
}

/* User=: resolved now (NSS) rather than whenever a run starts. A daemon that
 * is not root cannot switch users, so there it means nothing. */
static gboolean
resolve_user(Daemon *d, AgentConfig *config, GHashTable *users, GError **error)
{
  if (config->user == NULL)
    return TRUE;
  if (geteuid() != 0) {
    log_run(LOG_WARNING, NULL, config->name, "User=%s has no effect: shiftd is not running as root", config->user);
    return TRUE;
  }
  RunAs *user = run_as_lookup_user(config->user, error);
  if (user == NULL) {
    g_prefix_error(error, "%s: ", config->path);
    return FALSE;
  }
  if (user->uid == 0)
    log_run(LOG_WARNING, NULL, config->name, "runs its workers and tools as root (User=%s)", config->user);
  if (g_str_equal(config->name, "default"))
    log_run(LOG_NOTICE, NULL, config->name, "User=%s applies to root's runs only; everyone else's run as themselves",
            config->user);
  g_hash_table_insert(users, config->name, user);
  return TRUE;
}

/* One user or @group of AnswerBy=/StartBy= in the user database: TRUE with
 * its number, or FALSE with why not. */
static gboolean
lookup_principal(const char *entry, guint32 *ret_id, char **ret_why)
{
  gboolean group = entry[0] == '@';
  const char *name = group ? entry + 1 : entry;
  guint64 n;
  gboolean numeric = g_ascii_string_to_unsigned(name, 10, 0, G_MAXUINT32 - 1, &n, NULL);
  if (numeric && !group) {
    *ret_id = (guint32)n;
    return TRUE;
  }
  int e = 0;
  for (gsize size = 4096; size <= 1024 * 1024; size *= 4) {
    g_autofree char *buf = g_malloc(size);
    if (group) {
      struct group gr, *found = NULL;
      e = getgrnam_r(name, &gr, buf, size, &found);
      if (e == 0 && found) {
        *ret_id = (guint32)found->gr_gid;
        return TRUE;
      }
    } else {
      struct passwd pw, *found = NULL;
      e = getpwnam_r(name, &pw, buf, size, &found);
      if (e == 0 && found) {
        *ret_id = (guint32)found->pw_uid;
        return TRUE;
      }
    }
    if (e != ERANGE)
      break;
  }
  if (group && numeric) { /* @GID */
    *ret_id = (guint32)n;
    return TRUE;
  }
  *ret_why = e && e != ENOENT ? g_strdup(g_strerror(e)) : g_strdup(group ? "no such group" : "no such user");
  return FALSE;
}

/* AnswerBy=/StartBy=: resolved now (NSS), so that access checks compare
 * numbers and never ask the user database while a caller waits. A name it
 * does not know is left out with a warning rather than refusing the file:
 * it only ever grants, so leaving it out grants less, and a directory
 * service that is down at boot must not take the agent's schedule with it.
 * Reload resolves the names again. */
static void
resolve_principals(AgentConfig *config, const char *key, char **entries, AgentPrincipals *ids)
{
  ids->uids = g_array_new(FALSE, FALSE, sizeof(uid_t));
  ids->gids = g_array_new(FALSE, FALSE, sizeof(gid_t));
  for (char **entry = entries; entry && *entry; entry++) {
    guint32 id = 0;
    g_autofree char *why = NULL;
    if (!lookup_principal(*entry, &id, &why)) {
      log_run(LOG_WARNING, NULL, config->name, "%s: %s=%s is left out: %s", config->path, key, *entry, why);
    } else if ((*entry)[0] == '@') {
      gid_t gid = (gid_t)id;
      g_array_append_val(ids->gids, gid);
    } else {
      uid_t uid = (uid_t)id;
      g_array_append_val(ids->uids, uid);
    }
  }
}

/* name -> AgentConfig* for every good file (and in users, name -> RunAs* for
 * those with User=); one line per bad one in problems. */
static GHashTable *
read_agents_dir(Daemon *d, GPtrArray *problems, GHashTable *refused, GHashTable *users)
{
  GHashTable *configs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)agent_config_free);
  g_autofree char *dir = agents_dir(d);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) gdir = g_dir_open(dir, 0, &error);
  if (gdir == NULL) {
    if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      g_ptr_array_add(problems, g_strdup_printf("%s: %s", dir, error->message));
    return configs;
  }
  const char *entry;
  while ((entry = g_dir_read_name(gdir))) {
    if (!g_str_has_suffix(entry, AGENT_FILE_SUFFIX) || entry[0] == '.')
      continue;
    g_autofree char *path = g_build_filename(dir, entry, NULL);
    g_autoptr(GError) local = NULL;
    AgentConfig *config = agent_config_load(path, &local);
    if (config != NULL && (!agent_config_check_mcp(config, d->config->mcp_servers, &local) ||
                           !resolve_user(d, config, users, &local)))
      g_clear_pointer(&config, agent_config_free);
    if (config == NULL) {
      g_ptr_array_add(problems, g_strdup(local->message));
      g_hash_table_add(refused, g_strndup(entry, strlen(entry) - strlen(AGENT_FILE_SUFFIX)));
      continue;
    }
    resolve_principals(config, "AnswerBy", config->answer_by, &config->answer_by_ids);
    resolve_principals(config, "StartBy", config->start_by, &config->start_by_ids);
    g_hash_table_insert(configs, config->name, config);
  }
  return configs;
}

static void
publish(Agent *a)
{
  a->published = TRUE;
  a->daemon->observer->agent_published(a);
}

static void
unpublish(Agent *a)
{
  a->daemon->observer->agent_unpublished(a);
  a->published = FALSE;
}

/* Removed agents are kept (not on the bus, not armed) so pending callbacks stay valid. */
static void
retire(Daemon *d, Agent *a)
{
  agent_schedule_disarm(a);
  if (a->published)
    unpublish(a);
  g_hash_table_remove(d->agents, a->name);
  g_ptr_array_add(d->retired_agents, a);
}

void
agent_registry_init(Daemon *d)
{
  d->agents = g_hash_table_new(g_str_hash, g_str_equal);
  d->retired_agents = g_ptr_array_new_with_free_func((GDestroyNotify)agent_free);

  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) saved = shiftd_store_load_agents(d->store, &error);
  if (saved == NULL)
    log_warning("cannot read saved agent state: %s", error->message);
  g_autoptr(GHashTable) saved_by_name = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; saved && i < saved->len; i++) {
    ShiftdAgentState *s = g_ptr_array_index(saved, i);
    g_hash_table_insert(saved_by_name, s->name, s);
  }

  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GHashTable) refused = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) users = new_users_table();
  g_autoptr(GHashTable) configs = read_agents_dir(d, problems, refused, users);
  for (guint i = 0; i < problems->len; i++)
    log_warning("refused: %s", (char *)g_ptr_array_index(problems, i));

  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, configs);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    AgentConfig *config = value;
    g_hash_table_iter_steal(&it);
    RunAs *user = g_hash_table_lookup(users, config->name);
    g_hash_table_steal(users, config->name);
    Agent *a = agent_new(d, config, user, g_hash_table_lookup(saved_by_name, config->name));
    g_hash_table_insert(d->agents, a->name, a);
  }
  if (!g_hash_table_contains(d->agents, "default")) {
    Agent *def = agent_new_default(d);
    ShiftdAgentState *s = g_hash_table_lookup(saved_by_name, "default");
    if (s) {
      def->state->enabled = s->enabled;
      def->state->tokens_total = s->tokens_total;
      def->state->tokens_today = s->tokens_today;
      def->state->tokens_day = s->tokens_day;
      def->tokens_stored = agent_tokens_of(def->state);
    }
    g_hash_table_insert(d->agents, def->name, def);
  }
  /* LastRun is the newest run of each agent, whatever its front door: one
   * indexed look-up each. */
  GHashTableIter ait;
  gpointer avalue;
  g_hash_table_iter_init(&ait, d->agents);
  while (g_hash_table_iter_next(&ait, NULL, &avalue)) {
    Agent *a = avalue;
    ShiftdRunQuery q = { .agent = a->name, .limit = 1, .reader = SHIFTD_RUN_QUERY_ANYONE };
    g_autoptr(GError) read_error = NULL;
    g_autoptr(GPtrArray) newest = shiftd_store_list_runs(d->store, &q, &read_error);
    if (newest == NULL)
      log_warning("cannot find the last run of agent %s: %s", a->name, read_error->message);
    ShiftdRunRow *row = newest && newest->len ? g_ptr_array_index(newest, 0) : NULL;
    if (row && row->created_at >= a->state->last_run_at) {
      a->state->last_run_at = row->created_at;
      shiftd_set_string(&a->state->last_run, row->name);
    }
  }
  log_info("%u agent(s): %u file(s) refused", g_hash_table_size(d->agents), problems->len);
}

void
agent_registry_publish(Daemon *d)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, d->agents);
  while (g_hash_table_iter_next(&it, NULL, &value))
    ((Agent *)value)->published = TRUE;
}

void
agent_registry_free(Daemon *d)
{
  if (d->agents) {
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, d->agents);
    while (g_hash_table_iter_next(&it, NULL, &value))
      agent_free(value);
    g_clear_pointer(&d->agents, g_hash_table_unref);
  }
  g_clear_pointer(&d->retired_agents, g_ptr_array_unref);
  g_clear_pointer(&d->dynamic_uids, g_hash_table_unref);
}

static int
compare_agents(gconstpointer a, gconstpointer b)
{
  const Agent *x = *(Agent *const *)a;
  const Agent *y = *(Agent *const *)b;
  return g_strcmp0(x->name, y->name);
}

GPtrArray *
agent_registry_sorted(Daemon *d)
{
  GPtrArray *list = g_ptr_array_new();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, d->agents);
  while (g_hash_table_iter_next(&it, NULL, &value))
    g_ptr_array_add(list, value);
  g_ptr_array_sort(list, compare_agents);
  return list;
}

/* An agent whose file comes back keeps the tokens its runs used (its
 * TokensTotal, and TokensToday against TokensPerDay=): from the agent that
 * went, else from its row in the store. */
static void
carry_tokens(Daemon *d, Agent *a)
{
  const ShiftdAgentState *from = NULL;
  for (guint i = d->retired_agents->len; i > 0 && from == NULL; i--) {
    Agent *old = g_ptr_array_index(d->retired_agents, i - 1);
    if (g_str_equal(old->name, a->name))
      from = old->state;
  }
  g_autoptr(GPtrArray) saved = from ? NULL : shiftd_store_load_agents(d->store, NULL);
  for (guint i = 0; saved && i < saved->len && from == NULL; i++) {
    ShiftdAgentState *s = g_ptr_array_index(saved, i);
    if (g_str_equal(s->name, a->name))
      from = s;
  }
  if (from == NULL)
    return;
  a->state->tokens_total = from->tokens_total;
  a->state->tokens_today = from->tokens_today;
  a->state->tokens_day = from->tokens_day;
  a->tokens_stored = agent_tokens_of(a->state);
}

GPtrArray *
agent_registry_reload(Daemon *d)
{
  GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GHashTable) refused = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) users = new_users_table();
  g_autoptr(GHashTable) configs = read_agents_dir(d, problems, refused, users);

  /* Gone files: their agents go (their runs stay). A file that now fails keeps
   * its last good version live. */
  g_autoptr(GPtrArray) agents = agent_registry_sorted(d);
  for (guint i = 0; i < agents->len; i++) {
    Agent *a = g_ptr_array_index(agents, i);
    if (g_hash_table_contains(configs, a->name) || g_hash_table_contains(refused, a->name))
      continue;
    if (g_str_equal(a->name, "default")) {
      if (a->config->path == NULL)
        continue; /* the built-in one */
      agent_update_config(a, agent_default_config(), NULL);
      agent_schedule_arm(a);
      agent_state_changed(a, "Description", "Schedule", "BaseInterval", "CurrentInterval", "MaxInterval",
                          "IdleStreak", "NextWakeAt", "Timer", NULL);
      continue;
    }
    log_run(LOG_INFO, NULL, a->name, "agent removed");
    retire(d, a);
  }

  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, configs);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    AgentConfig *config = value;
    g_hash_table_iter_steal(&it);
    RunAs *user = g_hash_table_lookup(users, config->name);
    g_hash_table_steal(users, config->name);
    Agent *a = daemon_find_agent(d, config->name);
    if (a) {
      gboolean rearm = agent_update_config(a, config, user);
      if (rearm)
        agent_schedule_arm(a);
      agent_state_changed(a, "Description", "Schedule", "BaseInterval", "CurrentInterval", "MaxInterval",
                          "IdleStreak", "NextWakeAt", "Timer", NULL);
      continue;
    }
    a = agent_new(d, config, user, NULL);
    carry_tokens(d, a);
    g_hash_table_insert(d->agents, a->name, a);
    log_run(LOG_INFO, NULL, a->name, "agent added");
    publish(a);
    agent_schedule_arm(a);
    agent_state_changed(a, NULL, NULL);
  }
  for (guint i = 0; i < problems->len; i++)
    log_warning("refused: %s", (char *)g_ptr_array_index(problems, i));
  wake_holds_reevaluate(d); /* held wakes follow the keys as they are now */
  return problems;
}
