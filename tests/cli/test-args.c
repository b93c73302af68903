#include <glib.h>
#include <string.h>

#include "args.h"

static gboolean
parse(const char *const *words, CliArgs *args, GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer) "shiftctl");
  for (const char *const *w = words; *w; w++)
    g_ptr_array_add(argv, (gpointer)*w);
  g_ptr_array_add(argv, NULL);
  return cli_args_parse(argv->len - 1, (char **)argv->pdata, args, error);
}

static void
test_options_anywhere(void)
{
  const char *words[] = { "--json", "start", "--agent", "triage", "fix", "--model=m1", "the",
                          "--max-steps", "7", "--", "--not-an-option", NULL };
  g_auto(CliArgs) args = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_true(parse(words, &args, &error));
  g_assert_no_error(error);
  g_assert_cmpint(args.command, ==, CLI_CMD_START);
  g_assert_true(args.json);
  g_assert_cmpstr(args.agent, ==, "triage");
  g_assert_cmpstr(args.model, ==, "m1");
  g_assert_true(args.have_max_steps);
  g_assert_cmpuint(args.max_steps, ==, 7);
  const char *expected[] = { "fix", "the", "--not-an-option", NULL };
  g_assert_cmpstrv(args.positional, expected);
}

static void
test_bus_options(void)
{
  g_auto(CliArgs) args = { 0 };
  const char *words[] = { "list", "--address", "unix:path=/x", "--system", NULL };
  g_assert_true(parse(words, &args, NULL));
  g_assert_cmpint(args.bus, ==, CLI_BUS_SYSTEM);
  g_assert_cmpstr(args.address, ==, "unix:path=/x");

  g_auto(CliArgs) plain = { 0 };
  const char *none[] = { "agents", NULL };
  g_assert_true(parse(none, &plain, NULL));
  g_assert_cmpint(plain.bus, ==, CLI_BUS_DEFAULT);
  g_assert_null(plain.address);
}

static void
test_command_option_before_command(void)
{
  g_auto(CliArgs) args = { 0 };
  const char *words[] = { "--state", "running", "list", "--limit=3", NULL };
  g_assert_true(parse(words, &args, NULL));
  g_assert_cmpint(args.command, ==, CLI_CMD_LIST);
  g_assert_cmpstr(args.state, ==, "running");
  g_assert_cmpuint(args.limit, ==, 3);
}

static void
test_dash_is_a_word(void)
{
  g_auto(CliArgs) args = { 0 };
  const char *words[] = { "answer", "run-1", "-", NULL };
  g_assert_true(parse(words, &args, NULL));
  g_assert_cmpstr(args.positional[1], ==, "-");
}

static void
test_help_skips_argument_checks(void)
{
  g_auto(CliArgs) args = { 0 };
  const char *words[] = { "answer", "-h", NULL };
  g_assert_true(parse(words, &args, NULL));
  g_assert_true(args.help);
  g_assert_cmpint(args.command, ==, CLI_CMD_ANSWER);
  g_autofree char *help = cli_args_help(args.command);
  g_assert_true(g_str_has_prefix(help, "Usage: shiftctl answer NAME CHOICE\n"));

  g_autofree char *all = cli_args_help(CLI_CMD_NONE);
  for (guint c = 0; c < CLI_N_COMMANDS; c++)
    g_assert_nonnull(strstr(all, cli_command_name(c)));
}

static void
test_no_command(void)
{
  g_auto(CliArgs) args = { 0 };
  const char *words[] = { "--json", NULL };
  g_assert_true(parse(words, &args, NULL));
  g_assert_cmpint(args.command, ==, CLI_CMD_NONE);
}

static void
test_usage_errors(void)
{
  static const struct {
    const char *words[6];
    const char *message;
  } cases[] = {
    { { "frob" }, "unknown command \"frob\"" },
    { { "list", "--frob" }, "unknown option \"--frob\"" },
    { { "list", "-x" }, "unknown option \"-x\"" },
    { { "list", "--limit" }, "option --limit needs a value (N)" },
    { { "list", "--limit", "0" }, "option --limit wants a whole number from 1 up, not \"0\"" },
    { { "list", "--limit", "-3" }, "option --limit wants a whole number from 1 up, not \"-3\"" },
    { { "list", "--limit", "4294967296" },
      "option --limit wants a whole number from 1 up, not \"4294967296\"" },
    { { "events", "x", "--from", "2x" }, "option --from wants a whole number from 1 up, not \"2x\"" },
    { { "list", "--json=yes" }, "option --json takes no value" },
    { { "status", "--agent", "a", "x" }, "option --agent does not apply to \"status\"" },
    { { "--model", "m" }, "option --model needs a command" },
    { { "start", "--follow", "--wait", "x" }, "--follow and --wait cannot be used together" },
    { { "--user", "list", "--system" }, "--user and --system cannot be used together" },
    { { "status" }, "missing argument: usage: shiftctl status NAME" },
    { { "status", "a", "b" }, "too many arguments: usage: shiftctl status NAME" },
    { { "start" }, "missing argument: usage: shiftctl start [OPTIONS] TASK..." },
    { { "answer", "x" }, "missing argument: usage: shiftctl answer NAME CHOICE" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_auto(CliArgs) args = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_false(parse(cases[i].words, &args, &error));
    g_assert_nonnull(error);
    g_assert_true(error->domain == G_OPTION_ERROR);
    g_assert_cmpstr(error->message, ==, cases[i].message);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli/args/options-anywhere", test_options_anywhere);
  g_test_add_func("/cli/args/bus-options", test_bus_options);
  g_test_add_func("/cli/args/command-option-before-command", test_command_option_before_command);
  g_test_add_func("/cli/args/dash-is-a-word", test_dash_is_a_word);
  g_test_add_func("/cli/args/help-skips-argument-checks", test_help_skips_argument_checks);
  g_test_add_func("/cli/args/no-command", test_no_command);
  g_test_add_func("/cli/args/usage-errors", test_usage_errors);
  return g_test_run();
}
