#include "launch-spec.h"

#include <gio/gio.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "offload.h"
#include "run.h"

#define SHELL_TIMEOUT_USEC (60 * G_USEC_PER_SEC)
#define TOOL_OUTPUT_CAP 65536

void
launch_spec_free(LaunchSpec *spec)
{
  if (spec == NULL)
    return;
  run_as_free(spec->run_as);
  g_free(spec->workspace);
  g_free(spec->notes_dir);
  g_free(spec->state_directory);
  g_free(spec->hide_state_dir);
  if (spec->hide_dirs)
    g_ptr_array_unref(spec->hide_dirs);
  if (spec->hide_files)
    g_ptr_array_unref(spec->hide_files);
  g_free(spec->hidden_node);
  g_free(spec);
}

static gboolean
has_tool(const AgentConfig *c, const char *tool)
{
  return g_strv_contains((const char *const *)c->tools, tool);
}

static gboolean
wants_workspace(const AgentConfig *c)
{
  return has_tool(c, "shell") || has_tool(c, "read_file") || has_tool(c, "write_file");
}

/* A review writes the notes whether or not the agent has the notes tool. */
static gboolean
wants_notes(const AgentConfig *c, Run *run)
{
  return has_tool(c, "notes") || run->pending->trigger == SHIFTD_TRIGGER_REVIEW;
}

/* Adds the dynamic uids owning DIR's entries to `taken`, except HOME's,
 * which goes to *own. */
static void
add_dir_owners(const char *dir, const char *home, GHashTable *taken, uid_t *own)
{
  g_autoptr(GDir) entries = g_dir_open(dir, 0, NULL);
  const char *name;
  while (entries && (name = g_dir_read_name(entries)) != NULL) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || !run_as_is_dynamic_uid(st.st_uid))
      continue;
    if (g_str_equal(name, home))
      *own = st.st_uid;
    else
      g_hash_table_add(taken, GUINT_TO_POINTER((guint)st.st_uid));
  }
}

static GHashTable *
dynamic_uids(Daemon *d)
{
  if (d->dynamic_uids == NULL)
    d->dynamic_uids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return d->dynamic_uids;
}

/* The uids given to agents so far, as a set to hand to a thread. */
static GHashTable *
taken_uids(Daemon *d)
{
  GHashTable *taken = g_hash_table_new(NULL, NULL);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, dynamic_uids(d));
  while (g_hash_table_iter_next(&it, NULL, &value))
    g_hash_table_add(taken, value);
  return taken;
}

/* The same uid for an agent from one launch to the next, across restarts
 * too (its files keep their owner), and never one another agent has or had:
 * the uids owning the agents' directories count as given. Lists directories
 * and asks the user database: on a thread (launch_spec_prepare()). */
static uid_t
allocate_dynamic_uid(const char *state_dir, const char *home, GHashTable *taken)
{
  uid_t own = (uid_t)-1;
  for (const char *const *kind = (const char *const[]){ "workspace", "notes", NULL }; *kind; kind++) {
    g_autofree char *dir = g_build_filename(state_dir, *kind, NULL);
    add_dir_owners(dir, home, taken, &own);
  }
  return run_as_allocate_uid(home, taken, own);
}

static uid_t
dynamic_uid(Daemon *d, const char *home)
{
  gpointer uid;
  if (g_hash_table_lookup_extended(dynamic_uids(d), home, NULL, &uid))
    return (uid_t)GPOINTER_TO_UINT(uid);
  /* not prepared: allocated here, on the loop, as a last resort */
  g_autoptr(GHashTable) taken = taken_uids(d);
  uid_t u = allocate_dynamic_uid(d->state_dir, home, taken);
  if (u != (uid_t)-1) /* a full range may have room at the next launch */
    g_hash_table_insert(d->dynamic_uids, g_strdup(home), GUINT_TO_POINTER((guint)u));
  return u;
}

/* --- what a launch needs of the user database, looked up on a thread --- */

/* A caller's entry serves new runs this long: a change of its groups
 * reaches them within a minute. */
#define CALLER_FRESH_USEC (60 * G_USEC_PER_SEC)

typedef struct {
  RunAs *as;
  gint64 read_at; /* monotonic µs */
} KnownCaller;

typedef struct {
  Daemon *daemon;
  char *key;           /* in `lookups` while out */
  LaunchSpecReady ready;
  GPtrArray *waiting;  /* the names of the runs to hand to ready */
  /* the caller a default-agent run works as... */
  uid_t owner;
  RunAs *caller;       /* out */
  /* ...or a dynamic uid for an agent's home, given what is taken */
  char *home;
  char *state_dir;
  GHashTable *taken;
  uid_t uid;           /* out */
} Lookup;

static Offload *offload;
static GHashTable *lookups; /* key -> Lookup*, not owned (the job is offload's) */
static GHashTable *callers; /* uid -> KnownCaller* */

static void
known_caller_free(gpointer data)
{
  KnownCaller *kc = data;
  run_as_free(kc->as);
  g_free(kc);
}

/* uid's entry as read lately, or NULL. */
static const RunAs *
fresh_caller(uid_t uid)
{
  KnownCaller *kc = callers ? g_hash_table_lookup(callers, GUINT_TO_POINTER((guint)uid)) : NULL;
  return kc && g_get_monotonic_time() - kc->read_at < CALLER_FRESH_USEC ? kc->as : NULL;
}

static void
lookup_free(gpointer data)
{
  Lookup *l = data;
  g_free(l->key);
  g_ptr_array_unref(l->waiting);
  run_as_free(l->caller);
  g_free(l->home);
  g_free(l->state_dir);
  if (l->taken)
    g_hash_table_unref(l->taken);
  g_free(l);
}

/* On the thread. */
static void
lookup_work(gpointer job)
{
  Lookup *l = job;
  if (l->home)
    l->uid = allocate_dynamic_uid(l->state_dir, l->home, l->taken);
  else
    l->caller = run_as_lookup_uid(l->owner);
}

static void lookup_done(gpointer job, gpointer user_data);

static int
lookup_queue(Daemon *d, Lookup *l)
{
  if (offload == NULL) {
    int r = offload_new(d->event, &offload);
    if (r < 0)
      return r;
  }
  return offload_queue(offload, l, lookup_work, lookup_done, NULL, lookup_free);
}

/* Another agent's uid now (two first launches side by side)? */
static gboolean
given_to_another(Daemon *d, const char *home, uid_t uid)
{
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, dynamic_uids(d));
  while (g_hash_table_iter_next(&it, &key, &value))
    if ((uid_t)GPOINTER_TO_UINT(value) == uid && !g_str_equal(key, home))
      return TRUE;
  return FALSE;
}

/* On the loop. */
static void
lookup_done(gpointer job, gpointer user_data)
{
  Lookup *l = job;
  Daemon *d = l->daemon;
  g_autoptr(GError) error = NULL;
  if (l->home && l->uid == (uid_t)-1) {
    g_set_error(&error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "no free uid for agent %s in 61184-65519", l->home);
  } else if (l->home && given_to_another(d, l->home, l->uid)) {
    /* look again, with what is given now */
    g_hash_table_unref(l->taken);
    l->taken = taken_uids(d);
    int r = lookup_queue(d, l);
    if (r >= 0)
      return;
    g_set_error(&error, G_IO_ERROR, g_io_error_from_errno(-r), "cannot look up a uid for agent %s: %s", l->home,
                g_strerror(-r));
  } else if (l->home) {
    if (!g_hash_table_contains(dynamic_uids(d), l->home))
      g_hash_table_insert(d->dynamic_uids, g_strdup(l->home), GUINT_TO_POINTER((guint)l->uid));
  } else {
    KnownCaller *kc = g_new0(KnownCaller, 1);
    kc->as = g_steal_pointer(&l->caller);
    kc->read_at = g_get_monotonic_time();
    if (callers == NULL)
      callers = g_hash_table_new_full(NULL, NULL, NULL, known_caller_free);
    g_hash_table_replace(callers, GUINT_TO_POINTER((guint)l->owner), kc);
  }
  g_hash_table_remove(lookups, l->key);
  for (guint i = 0; i < l->waiting->len; i++)
    l->ready(d, g_ptr_array_index(l->waiting, i), error);
  lookup_free(l);
}

gboolean
launch_spec_prepare(Daemon *d, Agent *agent, Run *run, LaunchSpecReady ready)
{
  guint32 owner = run->pending->owner;
  g_autofree char *key = NULL;
  g_autofree char *home = NULL;
  if (run_as_wants_caller(agent->config, owner)) {
    if (fresh_caller(owner))
      return TRUE;
    key = g_strdup_printf("caller %u", (unsigned)owner);
  } else {
    /* asks nothing: the caller is not wanted */
    g_autoptr(RunAs) as = run_as_for_caller(agent->config, agent->user, owner, NULL);
    if (as->kind != RUN_AS_DYNAMIC || d->backend->state_directories ||
        g_hash_table_contains(dynamic_uids(d), as->home))
      return TRUE;
    key = g_strdup_printf("dynamic %s", as->home);
    home = g_strdup(as->home);
  }

  if (lookups == NULL)
    lookups = g_hash_table_new(g_str_hash, g_str_equal);
  Lookup *l = g_hash_table_lookup(lookups, key);
  if (l == NULL) {
    l = g_new0(Lookup, 1);
    l->daemon = d;
    l->key = g_strdup(key);
    l->ready = ready;
    l->waiting = g_ptr_array_new_with_free_func(g_free);
    l->owner = owner;
    if (home) {
      l->home = g_steal_pointer(&home);
      l->state_dir = g_strdup(d->state_dir);
      l->taken = taken_uids(d);
    }
    int r = lookup_queue(d, l);
    if (r < 0) {
      log_warning("cannot look up %s on a thread (%s); the launch does it itself", key, g_strerror(-r));
      lookup_free(l);
      return TRUE;
    }
    g_hash_table_insert(lookups, l->key, l);
  }
  g_ptr_array_add(l->waiting, g_strdup(run->pending->name));
  return FALSE;
}

void
launch_spec_forget(void)
{
  /* drops the look-ups still out (and frees them) */
  g_clear_pointer(&offload, offload_free);
  g_clear_pointer(&lookups, g_hash_table_unref);
  g_clear_pointer(&callers, g_hash_table_unref);
}

/* DIR/HOME, made if missing: 0700 and owned by the run's user. The parents
 * are root's and may only be passed through, so no agent can swap its
 * directory for a link to something else. */
static char *
prepare_home_dir(Daemon *d, const char *kind, const RunAs *as, GError **error)
{
  g_autofree char *parent = g_build_filename(d->state_dir, kind, NULL);
  char *dir = g_build_filename(parent, as->home, NULL);
  /* passable by every agent's user whatever the umask */
  if (g_mkdir_with_parents(parent, 0711) < 0 || chmod(parent, 0711) < 0 || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot create %s: %s", dir, g_strerror(e));
    g_free(dir);
    return NULL;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot open %s: %s", dir, g_strerror(e));
    if (fd >= 0)
      close(fd);
    g_free(dir);
    return NULL;
  }
  gboolean switching = as->kind != RUN_AS_DAEMON;
  if (switching && (st.st_uid != as->uid || st.st_gid != as->gid)) {
    /* Only the directory: files made under another uid keep their owner
     * (chown-ing what an agent could have swapped for a link is not safe). */
    if (fchown(fd, as->uid, as->gid) < 0) {
      int e = errno;
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot give %s to uid %u: %s", dir,
                  (unsigned)as->uid, g_strerror(e));
      close(fd);
      g_free(dir);
      return NULL;
    }
    if (st.st_uid != 0)
      log_warning("%s now belongs to uid %u (was %u); files in it keep their owner", dir, (unsigned)as->uid,
                  (unsigned)st.st_uid);
  }
  if ((st.st_mode & 07777) != 0700)
    (void)fchmod(fd, 0700);
  close(fd);
  return dir;
}

static void
hide_if_there(LaunchSpec *spec, const char *path)
{
  if (path == NULL || !g_path_is_absolute(path))
    return;
  if (g_file_test(path, G_FILE_TEST_IS_DIR))
    g_ptr_array_add(spec->hide_dirs, g_strdup(path));
  else if (g_file_test(path, G_FILE_TEST_EXISTS))
    g_ptr_array_add(spec->hide_files, g_strdup(path));
}

/* What a hidden file looks like from inside: empty, mode 0000, root's (or
 * the daemon user's), on a read-only mount: opening it is refused. */
static char *
hidden_node(Daemon *d, GError **error)
{
  char *path = g_build_filename(d->state_dir, ".hidden", NULL);
  int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0 || fchmod(fd, 0) < 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot make %s: %s", path, g_strerror(e));
    if (fd >= 0)
      close(fd);
    g_free(path);
    return NULL;
  }
  close(fd);
  return path;
}

static gboolean
is_under(const char *path, const char *dir)
{
  gsize n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

LaunchSpec *
launch_spec_new(Daemon *d, Agent *agent, Run *run, GError **error)
{
  g_autoptr(LaunchSpec) spec = g_new0(LaunchSpec, 1);
  spec->config = agent->config;
  spec->private_network = agent->config->private_network;
  spec->confine_error = d->backend->confine_error;
  /* the caller as launch_spec_prepare() found it (without, it is read here) */
  spec->run_as = run_as_for_caller(agent->config, agent->user, run->pending->owner,
                                   fresh_caller(run->pending->owner));
  gboolean workspace = wants_workspace(agent->config);
  gboolean notes = wants_notes(agent->config, run);

  if (spec->run_as->kind != RUN_AS_DAEMON && d->backend->state_directories) {
    /* systemd makes it and gives it to the run's user: the daemon chowns nothing */
    if (workspace || notes)
      spec->state_directory = g_strconcat("shiftd-agents/", spec->run_as->home, NULL);
  } else {
    if (spec->run_as->kind == RUN_AS_DYNAMIC) {
      uid_t uid = dynamic_uid(d, spec->run_as->home);
      if (uid == (uid_t)-1) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "no free uid for agent %s in 61184-65519",
                    agent->name);
        return NULL;
      }
      spec->run_as->uid = uid;
      spec->run_as->gid = (gid_t)uid;
    }
    if (workspace && (spec->workspace = prepare_home_dir(d, "workspace", spec->run_as, error)) == NULL)
      return NULL;
    if (notes && (spec->notes_dir = prepare_home_dir(d, "notes", spec->run_as, error)) == NULL)
      return NULL;
  }

  spec->hide_state_dir = g_strdup(d->state_dir);
  spec->hide_dirs = g_ptr_array_new_with_free_func(g_free);
  spec->hide_files = g_ptr_array_new_with_free_func(g_free);
  const char *key = d->config->model_api_key_file;
  if (!is_under(d->state_dir, d->config_dir)) {
    hide_if_there(spec, d->config_dir);
    if (key && !is_under(key, d->config_dir))
      hide_if_there(spec, key);
  } else {
    /* the state dir (the run's own files) inside the config dir: hide what
     * is there rather than the dir that leads to them */
    g_autofree char *conf = g_build_filename(d->config_dir, "shiftd.conf", NULL);
    g_autofree char *agents = g_build_filename(d->config_dir, "agents.d", NULL);
    hide_if_there(spec, conf);
    hide_if_there(spec, agents);
    hide_if_there(spec, key);
  }
  if (spec->hide_files->len > 0 && (spec->hidden_node = hidden_node(d, error)) == NULL)
    return NULL;
  return g_steal_pointer(&spec);
}

void
launch_spec_fill_settings(const LaunchSpec *spec, Agent *agent, Run *run, JsonObject *settings)
{
  const AgentConfig *c = agent->config;
  json_object_set_string_member(settings, "instructions", c->instructions);
  JsonArray *tools = json_array_new();
  for (char **t = c->tools; *t; t++)
    json_array_add_string_element(tools, *t);
  json_object_set_array_member(settings, "tools", tools);
  json_object_set_int_member(settings, "max_steps", run->pending->max_steps);
  json_object_set_int_member(settings, "shell_timeout_usec", SHELL_TIMEOUT_USEC);
  json_object_set_int_member(settings, "output_cap", TOOL_OUTPUT_CAP);
  json_object_set_int_member(settings, "context_tokens", c->context_tokens);
  json_object_set_boolean_member(settings, "private_network", c->private_network);
  if (spec->confine_error)
    json_object_set_string_member(settings, "unconfined", spec->confine_error);
  /* a review looks back at the work done; it does not ask whether there is any */
  gboolean review = run->pending->trigger == SHIFTD_TRIGGER_REVIEW;
  json_object_set_boolean_member(settings, "review", review);
  json_object_set_string_member(settings, "wake_if", c->wake_if && !review ? c->wake_if : "");

  /* Under a StateDirectory= the paths are relative to it ($STATE_DIRECTORY). */
  gboolean in_state_dir = spec->state_directory != NULL;
  json_object_set_boolean_member(settings, "state_directory", in_state_dir);
  const char *workspace = spec->workspace ? spec->workspace : in_state_dir && wants_workspace(c) ? "workspace" : "";
  json_object_set_string_member(settings, "workspace", workspace);
  g_autofree char *notes = spec->notes_dir ? g_build_filename(spec->notes_dir, "notes.md", NULL)
                           : in_state_dir && wants_notes(c, run) ? g_strdup("notes/notes.md")
                                                                   : g_strdup("");
  json_object_set_string_member(settings, "notes_path", notes);
}
