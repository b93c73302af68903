#include "args.h"

#include <glib/gi18n.h>
#include <string.h>

/* Which command accepts which option. */
enum {
  OPT_AGENT = 1 << 0,
  OPT_MODEL = 1 << 1,
  OPT_MAX_STEPS = 1 << 2,
  OPT_TIMEOUT = 1 << 3,
  OPT_LABEL = 1 << 4,
  OPT_FOLLOW = 1 << 5,
  OPT_WAIT = 1 << 6,
  OPT_STATE = 1 << 7,
  OPT_LIMIT = 1 << 8,
  OPT_SINCE = 1 << 9,
  OPT_FROM = 1 << 10,
  OPT_LINES = 1 << 11,
};
#define OPT_GLOBAL 0

typedef enum {
  ID_USER,
  ID_SYSTEM,
  ID_ADDRESS,
  ID_JSON,
  ID_HELP,
  ID_VERSION,
  ID_AGENT,
  ID_MODEL,
  ID_MAX_STEPS,
  ID_TIMEOUT,
  ID_LABEL,
  ID_FOLLOW,
  ID_WAIT,
  ID_STATE,
  ID_LIMIT,
  ID_SINCE,
  ID_FROM,
  ID_QUIET,
  ID_NO_PAGER,
  ID_NO_LEGEND,
  ID_LINES,
} OptId;

typedef struct {
  const char *long_name;
  char short_name;
  const char *arg_name; /* NULL: a flag */
  guint bit;
  OptId id;
  const char *help;
} OptSpec;

static const OptSpec options[] = {
  { "user", 0, NULL, OPT_GLOBAL, ID_USER, N_("Talk to shiftd on the session bus (the default)") },
  { "system", 0, NULL, OPT_GLOBAL, ID_SYSTEM, N_("Talk to shiftd on the system bus") },
  { "address", 0, "ADDR", OPT_GLOBAL, ID_ADDRESS, N_("Talk to shiftd on the bus at ADDR") },
  { "json", 0, NULL, OPT_GLOBAL, ID_JSON, N_("Print machine-readable JSON") },
  { "quiet", 'q', NULL, OPT_GLOBAL, ID_QUIET, N_("Print no confirmations or hints, only errors") },
  { "no-pager", 0, NULL, OPT_GLOBAL, ID_NO_PAGER, N_("Do not pipe long output into a pager") },
  { "no-legend", 0, NULL, OPT_GLOBAL, ID_NO_LEGEND, N_("Print no column headers and no footers") },
  { "help", 'h', NULL, OPT_GLOBAL, ID_HELP, N_("Show help") },
  { "version", 0, NULL, OPT_GLOBAL, ID_VERSION, N_("Show the version") },
  { "agent", 0, "AGENT", OPT_AGENT, ID_AGENT, N_("The agent (start: default agent if omitted)") },
  { "model", 0, "MODEL", OPT_MODEL, ID_MODEL, N_("Model name for this run") },
  { "max-steps", 0, "N", OPT_MAX_STEPS, ID_MAX_STEPS, N_("At most N model calls") },
  { "timeout", 0, "SPAN", OPT_TIMEOUT, ID_TIMEOUT, N_("Give up after SPAN (\"90s\", \"1h 30min\")") },
  { "label", 0, "LABEL", OPT_LABEL, ID_LABEL, N_("A free-form label for the run") },
  { "follow", 'f', NULL, OPT_FOLLOW, ID_FOLLOW, N_("Print events live until the run ends or waits") },
  { "wait", 0, NULL, OPT_WAIT, ID_WAIT, N_("Wait silently until the run ends or waits") },
  { "state", 0, "STATE", OPT_STATE, ID_STATE, N_("Only runs in STATE") },
  { "limit", 0, "N", OPT_LIMIT, ID_LIMIT, N_("At most N runs (the newest)") },
  { "since", 0, "SPAN", OPT_SINCE, ID_SINCE, N_("Only runs created in the last SPAN") },
  { "from", 0, "N", OPT_FROM, ID_FROM, N_("Start at event number N") },
  { "lines", 'n', "N", OPT_LINES, ID_LINES, N_("Show the last N events") },
};

typedef struct {
  const char *name;
  guint min_args;
  guint max_args;
  guint options;
  const char *synopsis;
  const char *summary;
} CommandSpec;

static const CommandSpec commands[CLI_N_COMMANDS] = {
  [CLI_CMD_START] = { "start", 1, G_MAXUINT,
                      OPT_AGENT | OPT_MODEL | OPT_MAX_STEPS | OPT_TIMEOUT | OPT_LABEL | OPT_FOLLOW | OPT_WAIT,
                      "start [OPTIONS] TASK...|-", N_("Start a run; - reads the task from stdin") },
  [CLI_CMD_STATUS] = { "status", 1, 1, OPT_LINES, "status NAME [-n N]", N_("Show a run's state and latest events") },
  [CLI_CMD_LIST] = { "list", 0, 0, OPT_STATE | OPT_AGENT | OPT_LIMIT | OPT_SINCE, "list [OPTIONS]",
                     N_("List runs") },
  [CLI_CMD_EVENTS] = { "events", 1, 1, OPT_FOLLOW | OPT_FROM | OPT_LINES, "events NAME [-f] [--from N|-n N]",
                       N_("Print a run's events") },
  [CLI_CMD_CANCEL] = { "cancel", 1, 1, 0, "cancel NAME", N_("Cancel a run") },
  [CLI_CMD_ANSWER] = { "answer", 1, 2, 0, "answer NAME [CHOICE]",
                       N_("Answer a waiting run (asks on a terminal)") },
  [CLI_CMD_AGENTS] = { "agents", 0, 0, 0, "agents", N_("List standing agents") },
  [CLI_CMD_TRIGGER] = { "trigger", 1, 1, OPT_FOLLOW | OPT_WAIT, "trigger AGENT [-f|--wait]",
                        N_("Wake a standing agent now") },
  [CLI_CMD_RELOAD] = { "reload", 0, 0, 0, "reload", N_("Re-read the agent files") },
  [CLI_CMD_ENABLE] = { "enable", 1, 1, 0, "enable AGENT", N_("Arm a standing agent's schedule") },
  [CLI_CMD_DISABLE] = { "disable", 1, 1, 0, "disable AGENT", N_("Disarm a standing agent's schedule") },
  [CLI_CMD_WATCH] = { "watch", 0, 0, 0, "watch",
                      N_("Live view of runs, agents and decisions") },
  [CLI_CMD_COMPLETE] = { "__complete", 1, 2, 0, "__complete WHAT [NAME]", NULL },
};

const char *
cli_command_name(CliCommand command)
{
  return command < CLI_N_COMMANDS ? commands[command].name : NULL;
}

static const OptSpec *
find_long(const char *name, gsize len)
{
  for (gsize i = 0; i < G_N_ELEMENTS(options); i++)
    if (strlen(options[i].long_name) == len && strncmp(options[i].long_name, name, len) == 0)
      return &options[i];
  return NULL;
}

static const OptSpec *
find_short(char c)
{
  for (gsize i = 0; i < G_N_ELEMENTS(options); i++)
    if (options[i].short_name != 0 && options[i].short_name == c)
      return &options[i];
  return NULL;
}

static gboolean
parse_count(const char *opt, const char *value, guint32 *out, GError **error)
{
  guint64 n = 0;
  if (!g_ascii_string_to_unsigned(value, 10, 1, G_MAXUINT32, &n, NULL)) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("option --%s wants a whole number from 1 up, not \"%s\""), opt, value);
    return FALSE;
  }
  *out = (guint32)n;
  return TRUE;
}

static void
set_string(char **field, const char *value)
{
  g_free(*field);
  *field = g_strdup(value);
}

static gboolean
apply(CliArgs *args, const OptSpec *spec, const char *value, GError **error)
{
  switch (spec->id) {
  case ID_USER:
  case ID_SYSTEM: {
    CliBusChoice want = spec->id == ID_USER ? CLI_BUS_USER : CLI_BUS_SYSTEM;
    if (args->bus != CLI_BUS_DEFAULT && args->bus != want) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  _("--user and --system cannot be used together"));
      return FALSE;
    }
    args->bus = want;
    return TRUE;
  }
  case ID_ADDRESS:
    set_string(&args->address, value);
    return TRUE;
  case ID_JSON:
    args->json = TRUE;
    return TRUE;
  case ID_HELP:
    args->help = TRUE;
    return TRUE;
  case ID_VERSION:
    args->version = TRUE;
    return TRUE;
  case ID_AGENT:
    set_string(&args->agent, value);
    return TRUE;
  case ID_MODEL:
    set_string(&args->model, value);
    return TRUE;
  case ID_TIMEOUT:
    set_string(&args->timeout, value);
    return TRUE;
  case ID_LABEL:
    set_string(&args->label, value);
    return TRUE;
  case ID_STATE:
    set_string(&args->state, value);
    return TRUE;
  case ID_SINCE:
    set_string(&args->since, value);
    return TRUE;
  case ID_FOLLOW:
    args->follow = TRUE;
    return TRUE;
  case ID_WAIT:
    args->wait = TRUE;
    return TRUE;
  case ID_MAX_STEPS:
    args->have_max_steps = TRUE;
    return parse_count(spec->long_name, value, &args->max_steps, error);
  case ID_LIMIT:
    args->have_limit = TRUE;
    return parse_count(spec->long_name, value, &args->limit, error);
  case ID_FROM:
    args->have_from = TRUE;
    return parse_count(spec->long_name, value, &args->from, error);
  case ID_LINES:
    args->have_lines = TRUE;
    /* like journalctl and systemctl, -n 0 is allowed: no events */
    if (g_str_equal(value, "0")) {
      args->lines = 0;
      return TRUE;
    }
    return parse_count(spec->long_name, value, &args->lines, error);
  case ID_QUIET:
    args->quiet = TRUE;
    return TRUE;
  case ID_NO_PAGER:
    args->no_pager = TRUE;
    return TRUE;
  case ID_NO_LEGEND:
    args->no_legend = TRUE;
    return TRUE;
  }
  g_assert_not_reached();
}

static void
note_seen(const OptSpec *spec, guint *seen, const OptSpec **first_seen)
{
  if (spec->bit != OPT_GLOBAL && !(*seen & spec->bit) && *first_seen == NULL)
    *first_seen = spec;
  *seen |= spec->bit;
}

/* "-qf", "-n5", "-n 5": short options, bundled as getopt takes them. */
static gboolean
parse_short_options(int argc, char **argv, int *i, CliArgs *args, guint *seen, const OptSpec **first_seen,
                    GError **error)
{
  const char *word = argv[*i];
  for (const char *p = word + 1; *p; p++) {
    const OptSpec *spec = find_short(*p);
    if (spec == NULL) {
      if (p == word + 1)
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, _("unknown option \"%s\""), word);
      else
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, _("unknown option \"-%c\" in \"%s\""),
                    *p, word);
      return FALSE;
    }
    note_seen(spec, seen, first_seen);
    if (spec->arg_name == NULL) {
      if (!apply(args, spec, NULL, error))
        return FALSE;
      continue;
    }
    const char *value = p[1] != '\0' ? p + 1 : NULL;
    if (value == NULL) {
      if (*i + 1 >= argc) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("option --%s needs a value (%s)"),
                    spec->long_name, spec->arg_name);
        return FALSE;
      }
      value = argv[++*i];
    }
    return apply(args, spec, value, error);
  }
  return TRUE;
}

/* One option at argv[*i]; may consume the next word as its value. */
static gboolean
parse_option(int argc, char **argv, int *i, CliArgs *args, guint *seen, const OptSpec **first_seen,
             GError **error)
{
  const char *word = argv[*i];
  if (word[1] != '-')
    return parse_short_options(argc, argv, i, args, seen, first_seen, error);

  const char *name = word + 2;
  const char *eq = strchr(name, '=');
  const OptSpec *spec = find_long(name, eq ? (gsize)(eq - name) : strlen(name));
  const char *value = eq ? eq + 1 : NULL;
  if (spec == NULL) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, _("unknown option \"%s\""), word);
    return FALSE;
  }
  if (spec->arg_name != NULL && value == NULL) {
    if (*i + 1 >= argc) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("option --%s needs a value (%s)"),
                  spec->long_name, spec->arg_name);
      return FALSE;
    }
    value = argv[++*i];
  } else if (spec->arg_name == NULL && value != NULL) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("option --%s takes no value"),
                spec->long_name);
    return FALSE;
  }
  note_seen(spec, seen, first_seen);
  return apply(args, spec, value, error);
}

static gboolean
check_command_options(CliArgs *args, guint seen, GError **error)
{
  guint allowed = commands[args->command].options;
  for (gsize i = 0; i < G_N_ELEMENTS(options); i++) {
    if (options[i].bit != OPT_GLOBAL && (seen & options[i].bit) && !(allowed & options[i].bit)) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  _("option --%s does not apply to \"%s\""), options[i].long_name,
                  commands[args->command].name);
      return FALSE;
    }
  }
  if (args->follow && args->wait) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("--follow and --wait cannot be used together"));
    return FALSE;
  }
  return TRUE;
}

gboolean
cli_args_parse(int argc, char **argv, CliArgs *args, GError **error)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
  gboolean only_words = FALSE;
  guint seen = 0;
  const OptSpec *first_seen = NULL;

  memset(args, 0, sizeof *args);
  args->command = CLI_CMD_NONE;

  for (int i = 1; i < argc; i++) {
    const char *word = argv[i];
    if (only_words || word[0] != '-' || word[1] == '\0') {
      g_ptr_array_add(words, g_strdup(word));
      continue;
    }
    if (g_str_equal(word, "--")) {
      only_words = TRUE;
      continue;
    }
    if (!parse_option(argc, argv, &i, args, &seen, &first_seen, error))
      return FALSE;
  }

  if (words->len == 0) {
    if (first_seen != NULL) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("option --%s needs a command"),
                  first_seen->long_name);
      return FALSE;
    }
    g_ptr_array_add(words, NULL);
    args->positional = (char **)g_ptr_array_steal(words, NULL);
    return TRUE;
  }

  const char *name = g_ptr_array_index(words, 0);
  for (guint c = 0; c < CLI_N_COMMANDS; c++)
    if (g_str_equal(commands[c].name, name))
      args->command = c;
  if (args->command == CLI_CMD_NONE) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, _("unknown command \"%s\""), name);
    return FALSE;
  }
  g_free(g_ptr_array_steal_index(words, 0));
  g_ptr_array_add(words, NULL);
  guint n = words->len - 1;
  args->positional = (char **)g_ptr_array_steal(words, NULL);

  if (!check_command_options(args, seen, error))
    return FALSE;
  if (args->help)
    return TRUE;

  const CommandSpec *spec = &commands[args->command];
  if (n < spec->min_args || n > spec->max_args) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                n < spec->min_args ? _("missing argument: usage: shiftctl %s") : _("too many arguments: usage: shiftctl %s"),
                spec->synopsis);
    return FALSE;
  }
  return TRUE;
}

void
cli_args_clear(CliArgs *args)
{
  g_strfreev(args->positional);
  g_free(args->address);
  g_free(args->agent);
  g_free(args->model);
  g_free(args->timeout);
  g_free(args->label);
  g_free(args->state);
  g_free(args->since);
  memset(args, 0, sizeof *args);
  args->command = CLI_CMD_NONE;
}

static char *
option_left(const OptSpec *o)
{
  return g_strdup_printf("%c%c%c --%s%s%s", o->short_name ? '-' : ' ', o->short_name ? o->short_name : ' ',
                         o->short_name ? ',' : ' ', o->long_name, o->arg_name ? "=" : "",
                         o->arg_name ? o->arg_name : "");
}

static void
append_options(GString *out, guint mask)
{
  for (gsize i = 0; i < G_N_ELEMENTS(options); i++) {
    const OptSpec *o = &options[i];
    if (mask == OPT_GLOBAL ? o->bit != OPT_GLOBAL : !(o->bit & mask))
      continue;
    g_autofree char *left = option_left(o);
    g_string_append_printf(out, "  %-22s %s\n", left, _(o->help));
  }
}

static gboolean
command_is_hidden(CliCommand c)
{
  return commands[c].summary == NULL;
}

char *
cli_args_help(CliCommand command)
{
  GString *out = g_string_new(NULL);
  if (command < CLI_N_COMMANDS && !command_is_hidden(command)) {
    const CommandSpec *spec = &commands[command];
    g_string_append_printf(out, _("Usage: shiftctl %s\n\n%s.\n"), spec->synopsis, _(spec->summary));
    if (spec->options != 0) {
      g_string_append_printf(out, "\n%s\n", _("Options:"));
      append_options(out, spec->options);
    }
  } else {
    g_string_append_printf(out, "%s\n\n%s\n\n%s\n", _("Usage: shiftctl [OPTIONS] COMMAND ..."),
                           _("Talk to shiftd, which runs AI agents as background work."), _("Commands:"));
    for (guint c = 0; c < CLI_N_COMMANDS; c++)
      if (!command_is_hidden(c))
        g_string_append_printf(out, "  %-34s %s\n", commands[c].synopsis, _(commands[c].summary));
  }
  g_string_append_printf(out, "\n%s\n", _("Global options:"));
  append_options(out, OPT_GLOBAL);
  if (command >= CLI_N_COMMANDS) {
    g_string_append_c(out, '\n');
    g_string_append(out, _("Without --user, --system or --address, $SHIFTD_BUS_ADDRESS is used when set,\n"
                           "else the session bus. Times take systemd's syntax: 90s, 15min, 1h 30min.\n"
                           "Long output goes through $SHIFTCTL_PAGER or $PAGER (less -FRX) on a terminal.\n"));
  }
  return g_string_free(out, FALSE);
}

char *
cli_args_complete_commands(void)
{
  GString *out = g_string_new(NULL);
  for (guint c = 0; c < CLI_N_COMMANDS; c++)
    if (!command_is_hidden(c))
      g_string_append_printf(out, "%s\t%s\n", commands[c].name, _(commands[c].summary));
  return g_string_free(out, FALSE);
}

char *
cli_args_complete_options(CliCommand command)
{
  guint mask = command < CLI_N_COMMANDS ? commands[command].options : 0;
  GString *out = g_string_new(NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(options); i++) {
    const OptSpec *o = &options[i];
    if (o->bit == OPT_GLOBAL || (o->bit & mask))
      g_string_append_printf(out, "--%s%s\t%s\n", o->long_name, o->arg_name ? "=" : "", _(o->help));
  }
  for (gsize i = 0; i < G_N_ELEMENTS(options); i++) {
    const OptSpec *o = &options[i];
    if (o->short_name && (o->bit == OPT_GLOBAL || (o->bit & mask)))
      g_string_append_printf(out, "-%c\t%s\n", o->short_name, _(o->help));
  }
  return g_string_free(out, FALSE);
}
