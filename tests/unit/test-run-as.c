/* As whom workers run (run-as.c) and the sandbox the embedded backend gives
 * them (bwrap-args.c). The tests run as root, as shiftd in system mode does. */
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "bwrap-args.h"
#include "run-as.h"

static AgentConfig *
config_named(const char *name)
{
  AgentConfig *c = g_new0(AgentConfig, 1);
  c->name = g_strdup(name);
  c->read_write_paths = g_new0(char *, 1);
  return c;
}

static void
test_dynamic_user_name(void)
{
  g_autofree char *short_name = run_as_dynamic_user_name("triage");
  g_assert_cmpstr(short_name, ==, "shiftd-triage");
  /* user names have at most 31 characters: a long agent name is shortened,
   * stably and distinctly */
  g_autofree char *a = run_as_dynamic_user_name("a-very-long-agent-name-that-goes-on-and-on");
  g_autofree char *b = run_as_dynamic_user_name("a-very-long-agent-name-that-goes-on-and-off");
  g_autofree char *a2 = run_as_dynamic_user_name("a-very-long-agent-name-that-goes-on-and-on");
  g_assert_cmpuint(strlen(a), ==, 31);
  g_assert_true(g_str_has_prefix(a, "shiftd-a-very-long-age-"));
  g_assert_cmpstr(a, !=, b);
  g_assert_cmpstr(a, ==, a2);
}

static void
test_allocate_uid(void)
{
  g_autoptr(GHashTable) taken = g_hash_table_new(NULL, NULL);
  uid_t first = run_as_allocate_uid("triage", taken, (uid_t)-1);
  g_assert_cmpuint(first, >=, 61184);
  g_assert_cmpuint(first, <=, 65519);
  g_assert_cmpuint(run_as_allocate_uid("triage", taken, (uid_t)-1), ==, first); /* stable */
  g_hash_table_add(taken, GUINT_TO_POINTER(first));
  uid_t second = run_as_allocate_uid("triage", taken, (uid_t)-1);
  g_assert_cmpuint(second, !=, first);
  g_assert_cmpuint(second, >=, 61184);
  /* never one the user database has (nobody is 65534, outside; root is 0) */
  g_assert_cmpuint(second, !=, 0);
  /* the uid its files already have wins, when free and in the range */
  uid_t other = first != 61200 && second != 61200 ? 61200 : 61201;
  g_assert_cmpuint(run_as_allocate_uid("triage", taken, other), ==, other);
  g_assert_cmpuint(run_as_allocate_uid("triage", taken, first), ==, second); /* taken */
  g_assert_cmpuint(run_as_allocate_uid("triage", taken, 1000), ==, second);  /* outside */
}

static void
test_run_as_for(void)
{
  if (geteuid() != 0) {
    g_test_skip("the rules for a root daemon need root");
    return;
  }
  g_autoptr(AgentConfig) dflt = config_named("default");
  g_autoptr(AgentConfig) standing = config_named("triage");

  /* the default agent works as its caller, with the caller's groups */
  g_autoptr(RunAs) caller = run_as_for(dflt, NULL, 2);
  g_assert_cmpint(caller->kind, ==, RUN_AS_USER);
  g_assert_cmpuint(caller->uid, ==, 2);
  g_assert_cmpuint(caller->gid, ==, 2);
  g_assert_cmpstr(caller->user, ==, "bin");
  g_assert_cmpstr(caller->home, ==, "default.2");
  g_assert_false(caller->unnamed);
  /* a uid with no user entry: no groups, and nogroup as its group */
  g_autoptr(RunAs) stranger = run_as_for(dflt, NULL, 4242424);
  g_assert_cmpuint(stranger->uid, ==, 4242424);
  g_assert_cmpuint(stranger->gid, ==, 65534);
  g_assert_cmpuint(stranger->groups->len, ==, 0);
  g_assert_true(stranger->unnamed);
  g_assert_cmpstr(stranger->user, ==, "4242424");

  /* root's default runs, and a standing agent without User=: a user of its own */
  g_autoptr(RunAs) roots = run_as_for(dflt, NULL, 0);
  g_assert_cmpint(roots->kind, ==, RUN_AS_DYNAMIC);
  g_assert_cmpstr(roots->user, ==, "shiftd-default");
  g_autoptr(RunAs) own = run_as_for(standing, NULL, 0);
  g_assert_cmpint(own->kind, ==, RUN_AS_DYNAMIC);
  g_assert_cmpstr(own->user, ==, "shiftd-triage");
  g_assert_cmpstr(own->home, ==, "triage");
  /* whoever starts it */
  g_autoptr(RunAs) by_bin = run_as_for(standing, NULL, 2);
  g_assert_cmpint(by_bin->kind, ==, RUN_AS_DYNAMIC);

  /* User=: that user, whoever starts it */
  g_autoptr(GError) error = NULL;
  g_autoptr(RunAs) nobody = run_as_lookup_user("nobody", &error);
  g_assert_no_error(error);
  g_autoptr(RunAs) as_nobody = run_as_for(standing, nobody, 2);
  g_assert_cmpint(as_nobody->kind, ==, RUN_AS_USER);
  g_assert_cmpuint(as_nobody->uid, ==, 65534);
  g_assert_cmpstr(as_nobody->home, ==, "triage");
  g_autoptr(RunAs) missing = run_as_lookup_user("no-such-user-here", &error);
  g_assert_null(missing);
  g_assert_nonnull(error);
  g_assert_true(strstr(error->message, "User=no-such-user-here") != NULL);
}

static gssize
index_of(GStrv argv, const char *a, const char *b)
{
  for (gsize i = 0; argv[i] && argv[i + 1]; i++)
    if (g_str_equal(argv[i], a) && (b == NULL || g_str_equal(argv[i + 1], b)))
      return (gssize)i;
  return -1;
}

static void
test_bwrap_args(void)
{
  g_autoptr(AgentConfig) c = config_named("triage");
  g_strfreev(c->read_write_paths);
  c->read_write_paths = g_strdupv((char *[]){ "/srv/data", "-/srv/maybe", NULL });
  LaunchSpec spec = {
    .config = c,
    .workspace = "/var/lib/shiftd/workspace/triage",
    .notes_dir = "/var/lib/shiftd/notes/triage",
    .hide_state_dir = "/var/lib/shiftd",
    .hide_dirs = g_ptr_array_new(),
    .hide_files = g_ptr_array_new(),
    .hidden_node = "/var/lib/shiftd/.hidden",
  };
  g_ptr_array_add(spec.hide_dirs, "/etc/shiftd");
  g_ptr_array_add(spec.hide_files, "/srv/keys/api-key");
  g_auto(GStrv) argv = bwrap_worker_argv("/usr/bin/bwrap", &spec, "/usr/libexec/shiftd-worker");
  g_ptr_array_unref(spec.hide_dirs);
  g_ptr_array_unref(spec.hide_files);

  g_assert_cmpstr(argv[0], ==, "/usr/bin/bwrap");
  static const char *const flags[] = { "--unshare-user", "--disable-userns", "--unshare-pid", "--unshare-ipc",
                                       "--unshare-uts", "--die-with-parent", "--new-session", NULL };
  for (const char *const *f = flags; *f; f++)
    g_assert_cmpint(g_strv_contains((const char *const *)argv, *f), ==, TRUE);
  g_assert_cmpint(index_of(argv, "--cap-drop", "ALL"), >=, 0);
  g_assert_cmpint(index_of(argv, "--ro-bind", "/"), >=, 0);
  /* the state dir: an empty one first, then the run's own dirs, then read-only */
  gssize tmpfs = index_of(argv, "--tmpfs", "/var/lib/shiftd");
  gssize ws = index_of(argv, "--bind", "/var/lib/shiftd/workspace/triage");
  gssize notes = index_of(argv, "--bind", "/var/lib/shiftd/notes/triage");
  gssize ro = index_of(argv, "--remount-ro", "/var/lib/shiftd");
  g_assert_cmpint(tmpfs, >, 0);
  g_assert_cmpstr(argv[tmpfs - 1], ==, "0711");
  g_assert_cmpint(ws, >, tmpfs);
  g_assert_cmpint(notes, >, tmpfs);
  g_assert_cmpint(ro, >, MAX(ws, notes));
  /* the config dir cannot be entered, the key file not read */
  gssize conf = index_of(argv, "--tmpfs", "/etc/shiftd");
  g_assert_cmpint(conf, >, 0);
  g_assert_cmpstr(argv[conf - 1], ==, "0000");
  gssize key = index_of(argv, "--ro-bind", "/var/lib/shiftd/.hidden");
  g_assert_cmpint(key, >, 0);
  g_assert_cmpstr(argv[key + 2], ==, "/srv/keys/api-key");
  /* ReadWritePaths=, "-" meaning it may be missing */
  g_assert_cmpint(index_of(argv, "--bind", "/srv/data"), >, 0);
  g_assert_cmpint(index_of(argv, "--bind-try", "/srv/maybe"), >, 0);
  /* the filter from fd 3, the worker last */
  g_assert_cmpint(index_of(argv, "--seccomp", "3"), >, 0);
  guint n = g_strv_length(argv);
  g_assert_cmpstr(argv[n - 2], ==, "--");
  g_assert_cmpstr(argv[n - 1], ==, "/usr/libexec/shiftd-worker");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/run-as/dynamic-user-name", test_dynamic_user_name);
  g_test_add_func("/run-as/allocate-uid", test_allocate_uid);
  g_test_add_func("/run-as/who", test_run_as_for);
  g_test_add_func("/run-as/bwrap-args", test_bwrap_args);
  return g_test_run();
}
