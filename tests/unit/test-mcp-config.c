/* [MCP NAME] sections of shiftd.conf, their EnvironmentFile=, and the hello's form of them. */
#include <glib.h>
#include <glib/gstdio.h>

#include "config.h"
#include "mcp-config.h"
#include "time-span.h"

static char *tmp_dir;

static char *
write_file(const char *name, const char *text)
{
  char *path = g_build_filename(tmp_dir, name, NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

static ShiftdConfig *
parse(const char *text, GError **error)
{
  g_autoptr(ShiftdConfig) c = shiftd_config_new();
  if (!shiftd_config_parse(c, "/etc/shiftd/shiftd.conf", text, strlen(text), error))
    return NULL;
  return g_steal_pointer(&c);
}

static void
test_good(void)
{
  g_autofree char *env = write_file("files.env", "# the token\n\nTOKEN=abc def\nQUOTED=\"x y\"\n ; more\nEMPTY=\n");
  g_autofree char *text = g_strdup_printf("[Model]\nName=m\n"
                                          "[MCP files]\nExec=/usr/bin/node \"/opt/my dir/index.js\" /srv/data\n"
                                          "EnvironmentFile=%s\n"
                                          "[MCP web]\nURL=http://127.0.0.1:3001/mcp\nTimeout=2min\n",
                                          env);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShiftdConfig) c = parse(text, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(c->mcp_servers->len, ==, 2);
  const ShiftdMcpServer *files = shiftd_mcp_config_find(c->mcp_servers, "files");
  const ShiftdMcpServer *web = shiftd_mcp_config_find(c->mcp_servers, "web");
  g_assert_nonnull(files);
  g_assert_nonnull(web);
  g_assert_null(shiftd_mcp_config_find(c->mcp_servers, "nope"));
  const char *argv[] = { "/usr/bin/node", "/opt/my dir/index.js", "/srv/data", NULL };
  g_assert_true(g_strv_equal((const char *const *)files->argv, argv));
  g_assert_null(files->url);
  g_assert_cmpuint(files->timeout_usec, ==, 30 * SHIFTD_USEC_PER_SEC);
  const char *vars[] = { "TOKEN=abc def", "QUOTED=x y", "EMPTY=", NULL };
  g_assert_true(g_strv_equal((const char *const *)files->env, vars));
  g_assert_null(web->argv);
  g_assert_cmpstr(web->url, ==, "http://127.0.0.1:3001/mcp");
  g_assert_cmpuint(web->timeout_usec, ==, 120 * SHIFTD_USEC_PER_SEC);
  g_assert_cmpuint(g_strv_length(web->env), ==, 0);
}

static void
test_bad(void)
{
  g_autofree char *bad_env = write_file("bad.env", "GOOD=1\nno equals sign\n");
  g_autofree char *bad_name_env = write_file("bad-name.env", "1X=y\n");
  g_autofree char *missing = g_build_filename(tmp_dir, "missing.env", NULL);
  g_autofree char *env_line_2 = g_strdup_printf("%s:2: expected KEY=VALUE", bad_env);
  g_autofree char *case_env = g_strdup_printf("[MCP a]\nExec=/bin/x\nEnvironmentFile=%s\n", bad_env);
  g_autofree char *case_name = g_strdup_printf("[MCP a]\nExec=/bin/x\nEnvironmentFile=%s\n", bad_name_env);
  g_autofree char *case_missing = g_strdup_printf("[MCP a]\nExec=/bin/x\nEnvironmentFile=%s\n", missing);
  const struct {
    const char *text;
    const char *expect;
  } cases[] = {
    { "[MCP a]\nExec=/bin/x\nURL=http://h/mcp\n", "shiftd.conf:2: Exec=/bin/x: [MCP a] needs exactly one of Exec=" },
    { "[MCP a]\nTimeout=5s\n", "shiftd.conf:2: Timeout=5s: [MCP a] needs exactly one of Exec=" },
    { "[MCP a]\nExec=x --y\n", "shiftd.conf:2: Exec=x --y: the program must be an absolute path" },
    { "[MCP a]\nExec=/bin/x 'open\n", "shiftd.conf:2: Exec=/bin/x 'open: cannot split the command line" },
    { "[MCP a]\nURL=ftp://h/\n", "shiftd.conf:2: URL=ftp://h/: expected an http:// or https:// URL" },
    { "[MCP a]\nURL=http://u:p@h/mcp\n", "must not carry credentials" },
    { "[MCP a]\nExec=/bin/x\nTimeout=0\n", "shiftd.conf:3: Timeout=0: must be at least" },
    { "[MCP a]\nExec=/bin/x\nTimeout=2d\n", "shiftd.conf:3: Timeout=2d: must be at most 1d" },
    { "[MCP a]\nExec=/bin/x\nColour=red\n", "shiftd.conf:3: unknown key \"Colour\" in [MCP a]" },
    { "[MCP a.b]\nExec=/bin/x\n", "shiftd.conf:2: Exec=/bin/x: \"a.b\" is not a valid MCP server name" },
    { "[MCP a]\nExec=/bin/x\nExec=/bin/y\n", "shiftd.conf:3:" },
    { "[MCP a]\nURL=http://h/mcp\nEnvironmentFile=/etc/x.env\n", "EnvironmentFile= is for servers started with Exec=" },
    { "[MCP a]\nExec=/bin/x\nEnvironmentFile=x.env\n", "shiftd.conf:3: EnvironmentFile=x.env: must be an absolute path" },
    { case_env, env_line_2 },
    { case_name, "\"1X\" is not a variable name" },
    { case_missing, "shiftd.conf:3: EnvironmentFile=" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(ShiftdConfig) c = parse(cases[i].text, &error);
    g_assert_null(c);
    g_assert_nonnull(error);
    if (!g_strrstr(error->message, cases[i].expect))
      g_error("case %" G_GSIZE_FORMAT ": \"%s\" does not hold \"%s\"", i, error->message, cases[i].expect);
  }
}

static void
test_hello_round_trip(void)
{
  g_autofree char *env = write_file("rt.env", "TOKEN=t0ken-value\n");
  g_autofree char *text = g_strdup_printf("[MCP s]\nExec=/bin/srv --flag\nTimeout=3s\nEnvironmentFile=%s\n", env);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShiftdConfig) c = parse(text, &error);
  g_assert_no_error(error);
  const ShiftdMcpServer *s = g_ptr_array_index(c->mcp_servers, 0);
  g_autoptr(JsonObject) json = shiftd_mcp_server_to_json(s);
  g_autoptr(ShiftdMcpServer) back = shiftd_mcp_server_from_json(json, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(back->name, ==, "s");
  g_assert_true(g_strv_equal((const char *const *)back->argv, (const char *const *)s->argv));
  g_assert_true(g_strv_equal((const char *const *)back->env, (const char *const *)s->env));
  g_assert_cmpuint(back->timeout_usec, ==, 3 * SHIFTD_USEC_PER_SEC);

  /* what a worker refuses */
  json_object_remove_member(json, "argv");
  g_autoptr(ShiftdMcpServer) none = shiftd_mcp_server_from_json(json, &error);
  g_assert_null(none);
  g_assert_nonnull(g_strrstr(error->message, "neither \"argv\" nor \"url\""));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp("shiftd-mcp-config-XXXXXX", NULL);
  g_test_add_func("/mcp-config/good", test_good);
  g_test_add_func("/mcp-config/bad", test_bad);
  g_test_add_func("/mcp-config/hello-round-trip", test_hello_round_trip);
  int status = g_test_run();
  static const char *const files[] = { "files.env", "bad.env", "bad-name.env", "rt.env", NULL };
  for (const char *const *f = files; *f; f++) {
    g_autofree char *path = g_build_filename(tmp_dir, *f, NULL);
    (void)g_remove(path);
  }
  (void)g_rmdir(tmp_dir);
  return status;
}
