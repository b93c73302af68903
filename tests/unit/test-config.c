#include <glib.h>
#include <glib/gstdio.h>

#include "config.h"
#include "ini-file.h"
#include "time-span.h"

static char *
write_conf(const char *dir, const char *text)
{
  char *path = g_build_filename(dir, "shiftd.conf", NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

static void
test_missing_is_defaults(void)
{
  g_autoptr(ShiftdConfig) c = shiftd_config_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(shiftd_config_load(c, "/nonexistent/shiftd.conf", &error));
  g_assert_no_error(error);
  g_assert_cmpuint(c->model_slots, ==, 2);
  g_assert_cmpuint(c->max_steps, ==, 20);
  g_assert_cmpstr(c->model_base_url, ==, "http://127.0.0.1:11434/v1");
}

static void
test_good(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-conf-XXXXXX", NULL);
  g_autofree char *path = write_conf(dir,
                                     "# comment\n"
                                     "[Model]\n"
                                     "BaseURL = http://127.0.0.1:8080/v1\n"
                                     "Name=qwen2.5\n"
                                     "Timeout=1min 30s\n"
                                     "ApiKeyFile=/etc/shiftd/key\n"
                                     "\n[Limits]\nModelSlots=3\nMaxActiveRuns=5\n");
  g_autoptr(ShiftdConfig) c = shiftd_config_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(shiftd_config_load(c, path, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(c->model_base_url, ==, "http://127.0.0.1:8080/v1");
  g_assert_cmpstr(c->model_name, ==, "qwen2.5");
  g_assert_cmpuint(c->model_timeout_usec, ==, 90 * SHIFTD_USEC_PER_SEC);
  g_assert_cmpuint(c->model_slots, ==, 3);
  g_assert_cmpuint(c->max_active_runs, ==, 5);
  g_assert_cmpstr(c->model_api_key_file, ==, "/etc/shiftd/key");
}

static void
test_bad(void)
{
  static const struct {
    const char *text;
    const char *expect; /* in the message, with file and line */
  } cases[] = {
    { "[Model]\nBaseURL=ftp://x\n", "shiftd.conf:2: BaseURL=ftp://x" },
    { "[Limits]\nModelSlots=0\n", "shiftd.conf:2: ModelSlots=0" },
    { "[Limits]\nModelSlots=two\n", "shiftd.conf:2:" },
    { "[Model]\nTimeout=soon\n", "shiftd.conf:2: Timeout=soon" },
    { "[Model]\nColour=blue\n", "shiftd.conf:2: unknown key \"Colour\" in [Model]" },
    { "[Nope]\nA=b\n", "shiftd.conf:2: unknown section [Nope]" },
    { "ModelSlots=2\n", "shiftd.conf:1: assignment outside" },
    { "[Model\n", "shiftd.conf:1: bad section header" },
    { "[Model]\njust words\n", "shiftd.conf:2: expected Key=Value" },
    { "[Model]\nApiKeyFile=relative/key\n", "must be an absolute path" },
    { "[Model]\nName=\n", "must not be empty" },
  };
  g_autofree char *dir = g_dir_make_tmp("shiftd-conf-XXXXXX", NULL);
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *path = write_conf(dir, cases[i].text);
    g_autoptr(ShiftdConfig) c = shiftd_config_new();
    g_autoptr(GError) error = NULL;
    g_assert_false(shiftd_config_load(c, path, &error));
    g_assert_nonnull(error);
    if (!strstr(error->message, cases[i].expect))
      g_error("case %u: \"%s\" does not contain \"%s\"", i, error->message, cases[i].expect);
  }
}

static void
test_ini_escapes(void)
{
  g_autoptr(GError) error = NULL;
  const char *text = "[Agent]\nInstructions=line one\\nline two\\s\\\\\n";
  g_autoptr(ShiftdIniFile) ini = shiftd_ini_file_parse("x.agent", text, strlen(text), &error);
  g_assert_no_error(error);
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, "Agent", "Instructions");
  g_assert_cmpstr(e->value, ==, "line one\nline two \\");
  g_assert_cmpuint(e->line, ==, 2);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/config/missing", test_missing_is_defaults);
  g_test_add_func("/config/good", test_good);
  g_test_add_func("/config/bad", test_bad);
  g_test_add_func("/config/ini-escapes", test_ini_escapes);
  return g_test_run();
}
