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
  g_assert_cmpint(c->model_provider, ==, SHIFTD_PROVIDER_OPENAI);
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
                                     "Provider=anthropic\n"
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
  g_assert_cmpint(c->model_provider, ==, SHIFTD_PROVIDER_ANTHROPIC);
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
    /* BaseURL: strict */
    { "[Model]\nBaseURL= http://x:1/v1   # local\n",
      "shiftd.conf:2: BaseURL=http://x:1/v1   # local: a comment must be on a line of its own (\"# local\"" },
    { "[Model]\nBaseURL=http://x:1/v1 ; local\n", "shiftd.conf:2: BaseURL=http://x:1/v1 ; local: a comment" },
    { "[Model]\nBaseURL=http://x:1/ v1\n", "shiftd.conf:2: BaseURL=http://x:1/ v1: must not contain whitespace" },
    { "[Model]\nBaseURL=http://x:1/v1\\t\n", "must not contain control characters (U+0009)" },
    { "[Model]\nBaseURL=http://x:1/\x01v1\n", "must not contain control characters (U+0001)" },
    { "[Model]\nBaseURL=http://x:1/\xc2\xa0v1\n", "must not contain whitespace (U+00A0)" },
    { "[Model]\nBaseURL=http://x\xe2\x80\x8b:1/v1\n", "must not contain whitespace (U+200B)" },
    { "[Model]\nBaseURL=http:///v1\n", "shiftd.conf:2: BaseURL=http:///v1: the URL has no host" },
    { "[Model]\nBaseURL=http://\n", "shiftd.conf:2: BaseURL=http://:" },
    { "[Model]\nBaseURL=https://:8080/v1\n", "shiftd.conf:2:" },
    { "[Model]\nBaseURL=http://x:99999/v1\n", "shiftd.conf:2: BaseURL=http://x:99999/v1: not a valid URL" },
    { "[Model]\nBaseURL=http://x:1/v1#local\n", "must not have a query" },
    { "[Model]\nBaseURL=http://x:1/v1?a=b\n", "must not have a query" },
    { "[Model]\nBaseURL=http://me:secret@x:1/v1\n", "must not carry credentials" },
    { "[Model]\nBaseURL=\n", "shiftd.conf:2: BaseURL=: expected an http:// or https:// URL" },
    { "[Model]\nBaseURL=HTTP://x:1/v1\n", "expected an http:// or https:// URL" },
    { "[Model]\nBaseURL=http:/x/v1\n", "expected an http:// or https:// URL" },
    /* Name */
    { "[Model]\nName=llama 3\n", "shiftd.conf:2: Name=llama 3: must not contain whitespace (U+0020)" },
    { "[Model]\nName=llama3.2   # the small one\n", "shiftd.conf:2: Name=llama3.2   # the small one: a comment" },
    { "[Model]\nName=llama\\s3\n", "must not contain whitespace" },
    { "[Model]\nName=llama\x7f\n", "must not contain control characters (U+007F)" },
    /* ApiKeyFile */
    { "[Model]\nApiKeyFile=/etc/shiftd/api-key      # or a credential\n", "ApiKeyFile=/etc/shiftd/api-key      # or a credential: a comment" },
    { "[Model]\nApiKeyFile=/etc/shiftd/key\\n\n", "must not contain control characters (U+000A)" },
    /* Provider */
    { "[Model]\nProvider=azure\n", "shiftd.conf:2: Provider=azure: expected openai or anthropic" },
    { "[Model]\nProvider=OpenAI\n", "shiftd.conf:2: Provider=OpenAI: expected openai or anthropic" },
    { "[Model]\nProvider=\n", "shiftd.conf:2: Provider=: expected openai or anthropic" },
    { "[Model]\nProvider=anthropic # cloud\n", "shiftd.conf:2: Provider=anthropic # cloud: a comment" },
    { "[Agent]\nProvider=anthropic\n", "shiftd.conf:2: unknown section [Agent]" },
    /* numbers: signs, blanks, comments, ranges */
    { "[Limits]\nModelSlots=2        # model calls at once\n", "shiftd.conf:2: ModelSlots=2        # model calls at once: a comment" },
    { "[Limits]\nModelSlots=+2\n", "shiftd.conf:2: ModelSlots=+2: expected a whole number from 1 to 1024" },
    { "[Limits]\nModelSlots=-1\n", "expected a whole number from 1 to 1024" },
    { "[Limits]\nModelSlots=1025\n", "expected a whole number from 1 to 1024" },
    { "[Limits]\nModelSlots=0x10\n", "expected a whole number" },
    { "[Limits]\nModelSlots=2 3\n", "expected a whole number" },
    { "[Limits]\nModelSlots=\n", "shiftd.conf:2: ModelSlots=: expected a whole number" },
    { "[Limits]\nMaxActiveRuns=0\n", "shiftd.conf:2: MaxActiveRuns=0: expected a whole number from 1 to 65536" },
    { "[Limits]\nMaxActiveRuns=65537\n", "expected a whole number from 1 to 65536" },
    { "[Limits]\nMaxSteps=0\n", "shiftd.conf:2: MaxSteps=0: expected a whole number from 1 to 100000" },
    { "[Limits]\nMaxSteps=100001\n", "expected a whole number from 1 to 100000" },
    { "[Model]\nRetries=21\n", "shiftd.conf:2: Retries=21: expected a whole number from 0 to 20" },
    { "[Model]\nRetries=1.5\n", "expected a whole number from 0 to 20" },
    /* time spans: floors, ceilings, infinity, junk */
    { "[Model]\nTimeout=0\n", "shiftd.conf:2: Timeout=0: must be at least 1s" },
    { "[Model]\nTimeout=500ms\n", "must be at least 1s" },
    { "[Model]\nTimeout=infinity\n", "shiftd.conf:2: Timeout=infinity: must be at most 1d" },
    { "[Model]\nTimeout=2d\n", "must be at most 1d" },
    { "[Model]\nTimeout=\n", "shiftd.conf:2: Timeout=: empty time span" },
    { "[Model]\nTimeout=-5s\n", "shiftd.conf:2: Timeout=-5s:" },
    { "[Model]\nTimeout=5 parsecs\n", "unknown unit" },
    { "[Model]\nTimeout=5min # generous\n", "a comment must be on a line of its own" },
    { "[Model]\nRetryDelay=0\n", "shiftd.conf:2: RetryDelay=0: must be at least 1ms" },
    { "[Model]\nRetryDelay=2h\n", "shiftd.conf:2: RetryDelay=2h: must be at most 1h" },
    { "[Model]\nRetryDelay=infinity\n", "must be at most 1h" },
    { "[Limits]\nRunTimeout=0\n", "shiftd.conf:2: RunTimeout=0: must be at least 1s" },
    { "[Limits]\nRunTimeout=infinity\n", "shiftd.conf:2: RunTimeout=infinity: must be at most" },
    { "[Limits]\nRunTimeout=400d\n", "must be at most" },
    /* a key twice */
    { "[Model]\nName=a\nName=b\n", "shiftd.conf:3: Name= is set twice in [Model] (first on line 2)" },
    { "[Limits]\nModelSlots=2\n[Model]\nName=a\n[Limits]\nModelSlots=3\n", "shiftd.conf:6: ModelSlots= is set twice" },
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

/* The positive control for every refusal above: each key at its limits,
 * and values that look odd but are right. */
static void
test_strict_accepts(void)
{
  static const char *good[] = {
    "[Model]\nBaseURL=http://127.0.0.1:11434/v1\n",
    "[Model]\nBaseURL=https://api.example.com/v1\n",
    "[Model]\nBaseURL=http://[::1]:8080/v1\n",
    "[Model]\nBaseURL=http://localhost\n",
    "[Model]\nBaseURL=   http://x:1/v1   \n",
    "# a comment on its own line is fine\n[Model]\n; so is this\nBaseURL=http://x:1/v1\n",
    "[Model]\nName=qwen2.5:7b-instruct\n",
    "[Model]\nName=meta-llama/Llama-3.2-3B-Instruct\n",
    "[Model]\nName=modèle\n",
    "[Model]\nApiKeyFile=\n",
    "[Model]\nApiKeyFile=/etc/shiftd/my key\n",
    "[Model]\nApiKeyFile=/etc/shiftd/key#1\n",
    "[Model]\nTimeout=1s\nRetryDelay=1ms\nRetries=0\n",
    "[Model]\nTimeout=1d\nRetryDelay=1h\nRetries=20\n",
    "[Model]\nTimeout=1h 30min\n",
    "[Limits]\nModelSlots=1\nMaxActiveRuns=1\nMaxSteps=1\nRunTimeout=1s\n",
    "[Limits]\nModelSlots=1024\nMaxActiveRuns=65536\nMaxSteps=100000\nRunTimeout=366d\n",
    "[Limits]\nModelSlots=007\n",
  };
  for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autoptr(ShiftdConfig) c = shiftd_config_new();
    g_autoptr(GError) error = NULL;
    if (!shiftd_config_parse(c, "shiftd.conf", good[i], strlen(good[i]), &error))
      g_error("good case %u refused: %s", i, error->message);
  }
  g_autoptr(ShiftdConfig) c = shiftd_config_new();
  const char *text = "[Model]\nBaseURL=   http://[::1]:8080/v1\t\nApiKeyFile=/etc/shiftd/my key\n"
                     "[Limits]\nRunTimeout=366d\nModelSlots=007\n";
  g_autoptr(GError) error = NULL;
  g_assert_true(shiftd_config_parse(c, "shiftd.conf", text, strlen(text), &error));
  g_assert_cmpstr(c->model_base_url, ==, "http://[::1]:8080/v1");
  g_assert_cmpstr(c->model_api_key_file, ==, "/etc/shiftd/my key");
  g_assert_cmpuint(c->run_timeout_usec, ==, 366 * 86400 * SHIFTD_USEC_PER_SEC);
  g_assert_cmpuint(c->model_slots, ==, 7);
}

/* SHIFTD_MODEL_URL goes through the same check as BaseURL=. */
static void
test_base_url_check(void)
{
  char *why = NULL;
  g_assert_true(shiftd_config_check_base_url("http://127.0.0.1:8080/v1", &why));
  g_assert_null(why);
  g_assert_false(shiftd_config_check_base_url("http://127.0.0.1:8080/v1 # mine", &why));
  g_assert_nonnull(strstr(why, "a comment must be on a line of its own"));
  g_clear_pointer(&why, g_free);
  g_assert_false(shiftd_config_check_base_url("127.0.0.1:8080", &why));
  g_assert_cmpstr(why, ==, "expected an http:// or https:// URL");
  g_clear_pointer(&why, g_free);
  g_assert_false(shiftd_config_check_base_url("http://x/\xf0", &why));
  g_assert_cmpstr(why, ==, "not valid UTF-8");
  g_free(why);
}

/* A file that is there but cannot be read is an error, never the defaults. */
static void
test_unreadable(void)
{
  g_autofree char *dir = g_dir_make_tmp("shiftd-conf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "shiftd.conf", NULL);
  g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
  g_autoptr(ShiftdConfig) c = shiftd_config_new();
  g_autoptr(GError) error = NULL;
  g_assert_false(shiftd_config_load(c, path, &error));
  g_assert_nonnull(error);
  g_assert_nonnull(strstr(error->message, "shiftd.conf"));
  g_rmdir(path);
  /* control: gone means defaults */
  g_clear_error(&error);
  g_assert_true(shiftd_config_load(c, path, &error));
  g_assert_no_error(error);
  g_rmdir(dir);
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

/* The provider names, both ways: what the keys and the hello carry. */
static void
test_provider_names(void)
{
  static const struct {
    ShiftdProvider provider;
    const char *name;
  } table[] = {
    { SHIFTD_PROVIDER_OPENAI, "openai" },
    { SHIFTD_PROVIDER_ANTHROPIC, "anthropic" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(table); i++) {
    g_assert_cmpstr(shiftd_provider_to_string(table[i].provider), ==, table[i].name);
    g_assert_cmpint(shiftd_provider_from_string(table[i].name), ==, table[i].provider);
  }
  g_assert_null(shiftd_provider_to_string(SHIFTD_PROVIDER_UNSET));
  g_assert_null(shiftd_provider_to_string((ShiftdProvider)42));
  static const char *const bad[] = { "", "OpenAI", "anthropic ", "claude", NULL };
  for (const char *const *b = bad; *b; b++)
    g_assert_cmpint(shiftd_provider_from_string(*b), ==, SHIFTD_PROVIDER_UNSET);
  g_assert_cmpint(shiftd_provider_from_string(NULL), ==, SHIFTD_PROVIDER_UNSET);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/config/missing", test_missing_is_defaults);
  g_test_add_func("/config/good", test_good);
  g_test_add_func("/config/bad", test_bad);
  g_test_add_func("/config/strict-accepts", test_strict_accepts);
  g_test_add_func("/config/base-url-check", test_base_url_check);
  g_test_add_func("/config/unreadable", test_unreadable);
  g_test_add_func("/config/ini-escapes", test_ini_escapes);
  g_test_add_func("/config/provider-names", test_provider_names);
  return g_test_run();
}
