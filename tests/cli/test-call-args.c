#include <glib.h>

#include "call-args.h"

#define NOW G_GUINT64_CONSTANT(1700000000000000)

static char *
printed(GVariant *value)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink(value);
  return g_variant_print(owned, TRUE);
}

static void
test_start_options(void)
{
  g_auto(CliArgs) args = { 0 };
  args.model = g_strdup("llama3.2");
  args.have_max_steps = TRUE;
  args.max_steps = 12;
  args.timeout = g_strdup("1h 30min");
  args.label = g_strdup("nightly");
  g_autoptr(GError) error = NULL;
  GVariant *options = cli_start_options_build(&args, &error);
  g_assert_no_error(error);
  g_assert_true(g_variant_is_of_type(options, G_VARIANT_TYPE("a{sv}")));
  g_autofree char *text = printed(options);
  g_assert_cmpstr(text, ==, "{'model': <'llama3.2'>, 'max_steps': <uint32 12>, "
                            "'timeout': <uint64 5400000000>, 'label': <'nightly'>}");

  g_auto(CliArgs) none = { 0 };
  g_autofree char *empty = printed(cli_start_options_build(&none, NULL));
  g_assert_cmpstr(empty, ==, "@a{sv} {}");
}

static void
test_bad_timeouts(void)
{
  const char *bad[] = { "soon", "0", "infinity", "", "5 parsecs" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_auto(CliArgs) args = { 0 };
    args.timeout = g_strdup(bad[i]);
    g_autoptr(GError) error = NULL;
    g_assert_null(cli_start_options_build(&args, &error));
    g_assert_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
    g_assert_true(g_str_has_prefix(error->message, "--timeout"));
  }
}

static void
test_list_filter(void)
{
  g_auto(CliArgs) args = { 0 };
  args.state = g_strdup("waiting");
  args.agent = g_strdup("triage");
  args.have_limit = TRUE;
  args.limit = 20;
  args.since = g_strdup("2h");
  g_autofree char *text = printed(cli_list_filter_build(&args, NOW, NULL));
  g_assert_cmpstr(text, ==, "{'state': <'waiting'>, 'agent': <'triage'>, 'limit': <uint32 20>, "
                            "'since': <uint64 1699992800000000>}");
}

static void
test_list_filter_edges(void)
{
  g_auto(CliArgs) far = { 0 };
  far.since = g_strdup("100y"); /* reaches before 1970: every run */
  g_autofree char *all = printed(cli_list_filter_build(&far, NOW, NULL));
  g_assert_cmpstr(all, ==, "@a{sv} {}");

  g_auto(CliArgs) bad_state = { 0 };
  bad_state.state = g_strdup("sleeping");
  g_autoptr(GError) error = NULL;
  g_assert_null(cli_list_filter_build(&bad_state, NOW, &error));
  g_assert_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);

  g_auto(CliArgs) bad_since = { 0 };
  bad_since.since = g_strdup("yesterday");
  g_autoptr(GError) error2 = NULL;
  g_assert_null(cli_list_filter_build(&bad_since, NOW, &error2));
  g_assert_error(error2, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
}

static void
test_task(void)
{
  char *words[] = { "Fix", "the", "flaky test", NULL };
  g_autofree char *task = cli_task_from_words(words, NULL);
  g_assert_cmpstr(task, ==, "Fix the flaky test");

  char *blank[] = { " ", "", NULL };
  g_autoptr(GError) error = NULL;
  g_assert_null(cli_task_from_words(blank, &error));
  g_assert_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);

  /* not UTF-8 (a byte from a Latin-1 file): refused before it reaches GVariant */
  char *latin1[] = { "caf\xe9", NULL };
  g_autoptr(GError) error2 = NULL;
  g_assert_null(cli_task_from_words(latin1, &error2));
  g_assert_error(error2, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli/call-args/start-options", test_start_options);
  g_test_add_func("/cli/call-args/bad-timeouts", test_bad_timeouts);
  g_test_add_func("/cli/call-args/list-filter", test_list_filter);
  g_test_add_func("/cli/call-args/list-filter-edges", test_list_filter_edges);
  g_test_add_func("/cli/call-args/task", test_task);
  return g_test_run();
}
