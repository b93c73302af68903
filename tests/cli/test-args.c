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
  g_assert_true(g_str_has_prefix(help, "Usage: shiftctl answer NAME [CHOICE]\n"));

  g_autofree char *all = cli_args_help(CLI_CMD_NONE);
  for (guint c = 0; c < CLI_N_COMMANDS; c++)
    if (c != CLI_CMD_COMPLETE)
      g_assert_nonnull(strstr(all, cli_command_name(c)));
  /* the completions' own command is not for people */
  g_assert_null(strstr(all, "__complete"));
}

static void
test_systemctl_like_options(void)
{
  g_auto(CliArgs) args = { 0 };
  const char *words[] = { "-qf", "events", "run-1", "-n5", "--no-pager", "--no-legend", NULL };
  g_assert_true(parse(words, &args, NULL));
  g_assert_cmpint(args.command, ==, CLI_CMD_EVENTS);
  g_assert_true(args.quiet);
  g_assert_true(args.follow);
  g_assert_true(args.have_lines);
  g_assert_cmpuint(args.lines, ==, 5);
  g_assert_true(args.no_pager);
  g_assert_true(args.no_legend);

  g_auto(CliArgs) spaced = { 0 };
  const char *words2[] = { "status", "-n", "0", "run-1", NULL };
  g_assert_true(parse(words2, &spaced, NULL));
  g_assert_true(spaced.have_lines);
  g_assert_cmpuint(spaced.lines, ==, 0);

  g_auto(CliArgs) lines = { 0 };
  const char *words3[] = { "status", "--lines=12", "run-1", NULL };
  g_assert_true(parse(words3, &lines, NULL));
  g_assert_cmpuint(lines.lines, ==, 12);
}

static void
test_new_commands(void)
{
  static const struct {
    const char *words[4];
    CliCommand command;
  } cases[] = {
    { { "enable", "triage" }, CLI_CMD_ENABLE },
    { { "disable", "triage" }, CLI_CMD_DISABLE },
    { { "watch" }, CLI_CMD_WATCH },
    { { "answer", "run-1" }, CLI_CMD_ANSWER },
    { { "start", "-" }, CLI_CMD_START },
    { { "__complete", "choices", "run-1" }, CLI_CMD_COMPLETE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_auto(CliArgs) args = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_true(parse(cases[i].words, &args, &error));
    g_assert_no_error(error);
    g_assert_cmpint(args.command, ==, cases[i].command);
  }
}

static void
test_completion_lists(void)
{
  g_autofree char *commands = cli_args_complete_commands();
  g_assert_true(g_str_has_prefix(commands, "start\t"));
  g_assert_nonnull(strstr(commands, "\nwatch\t"));
  g_assert_null(strstr(commands, "__complete"));
  g_autofree char *events = cli_args_complete_options(CLI_CMD_EVENTS);
  g_assert_nonnull(strstr(events, "--follow\t"));
  g_assert_nonnull(strstr(events, "--lines=\t"));
  g_assert_nonnull(strstr(events, "\n-f\t"));
  g_assert_nonnull(strstr(events, "--no-pager\t"));
  g_assert_null(strstr(events, "--agent="));
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
    { { "status" }, "missing argument: usage: shiftctl status NAME [-n N]" },
    { { "status", "a", "b" }, "too many arguments: usage: shiftctl status NAME [-n N]" },
    { { "start" }, "missing argument: usage: shiftctl start [OPTIONS] TASK...|-" },
    { { "answer", "x", "y", "z" }, "too many arguments: usage: shiftctl answer NAME [CHOICE]" },
    { { "status", "-n", "x", "r" }, "option --lines wants a whole number from 1 up, not \"x\"" },
    { { "list", "-qx" }, "unknown option \"-x\" in \"-qx\"" },
    { { "list", "-n", "3" }, "option --lines does not apply to \"list\"" },
    { { "status", "-n" }, "option --lines needs a value (N)" },
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
  g_test_add_func("/cli/args/systemctl-like-options", test_systemctl_like_options);
  g_test_add_func("/cli/args/new-commands", test_new_commands);
  g_test_add_func("/cli/args/completion-lists", test_completion_lists);
  return g_test_run();
}
