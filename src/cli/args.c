#include "args.h"

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
  { "user", 0, NULL, OPT_GLOBAL, ID_USER, "Talk to shiftd on the session bus (the default)" },
  { "system", 0, NULL, OPT_GLOBAL, ID_SYSTEM, "Talk to shiftd on the system bus" },
  { "address", 0, "ADDR", OPT_GLOBAL, ID_ADDRESS, "Talk to shiftd on the bus at ADDR" },
  { "json", 0, NULL, OPT_GLOBAL, ID_JSON, "Print machine-readable JSON" },
  { "help", 'h', NULL, OPT_GLOBAL, ID_HELP, "Show help" },
  { "version", 0, NULL, OPT_GLOBAL, ID_VERSION, "Show the version" },
  { "agent", 0, "AGENT", OPT_AGENT, ID_AGENT, "The agent (start: default agent if omitted)" },
  { "model", 0, "MODEL", OPT_MODEL, ID_MODEL, "Model name for this run" },
  { "max-steps", 0, "N", OPT_MAX_STEPS, ID_MAX_STEPS, "At most N model calls" },
  { "timeout", 0, "SPAN", OPT_TIMEOUT, ID_TIMEOUT, "Give up after SPAN (\"90s\", \"1h 30min\")" },
  { "label", 0, "LABEL", OPT_LABEL, ID_LABEL, "A free-form label for the run" },
  { "follow", 0, NULL, OPT_FOLLOW, ID_FOLLOW, "Print events live until the run ends or waits" },
  { "wait", 0, NULL, OPT_WAIT, ID_WAIT, "Wait silently until the run ends or waits" },
  { "state", 0, "STATE", OPT_STATE, ID_STATE, "Only runs in STATE" },
  { "limit", 0, "N", OPT_LIMIT, ID_LIMIT, "At most N runs" },
  { "since", 0, "SPAN", OPT_SINCE, ID_SINCE, "Only runs created in the last SPAN" },
  { "from", 0, "N", OPT_FROM, ID_FROM, "Start at event number N" },
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
                      "start [OPTIONS] TASK...", "Start a run and print its receipt" },
  [CLI_CMD_STATUS] = { "status", 1, 1, 0, "status NAME", "Show a run's state and latest events" },
  [CLI_CMD_LIST] = { "list", 0, 0, OPT_STATE | OPT_AGENT | OPT_LIMIT | OPT_SINCE, "list [OPTIONS]",
                     "List runs" },
  [CLI_CMD_EVENTS] = { "events", 1, 1, OPT_FOLLOW | OPT_FROM, "events NAME [--follow] [--from N]",
                       "Print a run's events" },
  [CLI_CMD_CANCEL] = { "cancel", 1, 1, 0, "cancel NAME", "Cancel a run" },
  [CLI_CMD_ANSWER] = { "answer", 2, 2, 0, "answer NAME CHOICE", "Answer a waiting run's question" },
  [CLI_CMD_AGENTS] = { "agents", 0, 0, 0, "agents", "List standing agents" },
  [CLI_CMD_TRIGGER] = { "trigger", 1, 1, OPT_FOLLOW | OPT_WAIT, "trigger AGENT [--follow|--wait]",
                        "Wake a standing agent now" },
  [CLI_CMD_RELOAD] = { "reload", 0, 0, 0, "reload", "Re-read the agent files" },
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
                "option --%s wants a whole number from 1 up, not \"%s\"", opt, value);
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
                  "--user and --system cannot be used together");
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
  }
  g_assert_not_reached();
}

/* One option at argv[*i]; may consume the next word as its value. */
static gboolean
parse_option(int argc, char **argv, int *i, CliArgs *args, guint *seen, const OptSpec **first_seen,
             GError **error)
{
  const char *word = argv[*i];
  const OptSpec *spec = NULL;
  const char *value = NULL;

  if (word[1] == '-') {
    const char *name = word + 2;
    const char *eq = strchr(name, '=');
    spec = find_long(name, eq ? (gsize)(eq - name) : strlen(name));
    if (eq)
      value = eq + 1;
  } else if (word[2] == '\0') {
    spec = find_short(word[1]);
  }
  if (spec == NULL) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "unknown option \"%s\"", word);
    return FALSE;
  }
  if (spec->arg_name != NULL && value == NULL) {
    if (*i + 1 >= argc) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "option --%s needs a value (%s)",
                  spec->long_name, spec->arg_name);
      return FALSE;
    }
    value = argv[++*i];
  } else if (spec->arg_name == NULL && value != NULL) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "option --%s takes no value",
                spec->long_name);
    return FALSE;
  }
  if (spec->bit != OPT_GLOBAL && !(*seen & spec->bit) && *first_seen == NULL)
    *first_seen = spec;
  *seen |= spec->bit;
  return apply(args, spec, value, error);
}

static gboolean
check_command_options(CliArgs *args, guint seen, GError **error)
{
  guint allowed = commands[args->command].options;
  for (gsize i = 0; i < G_N_ELEMENTS(options); i++) {
    if (options[i].bit != OPT_GLOBAL && (seen & options[i].bit) && !(allowed & options[i].bit)) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  "option --%s does not apply to \"%s\"", options[i].long_name,
                  commands[args->command].name);
      return FALSE;
    }
  }
  if (args->follow && args->wait) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "--follow and --wait cannot be used together");
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
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "option --%s needs a command",
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
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unknown command \"%s\"", name);
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
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: usage: shiftctl %s",
                n < spec->min_args ? "missing argument" : "too many arguments", spec->synopsis);
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

static void
append_options(GString *out, guint mask)
{
  for (gsize i = 0; i < G_N_ELEMENTS(options); i++) {
    const OptSpec *o = &options[i];
    if (mask == OPT_GLOBAL ? o->bit != OPT_GLOBAL : !(o->bit & mask))
      continue;
    g_autofree char *left = g_strdup_printf("%c%c%c --%s%s%s", o->short_name ? '-' : ' ',
                                            o->short_name ? o->short_name : ' ',
                                            o->short_name ? ',' : ' ', o->long_name,
                                            o->arg_name ? "=" : "", o->arg_name ? o->arg_name : "");
    g_string_append_printf(out, "  %-22s %s\n", left, o->help);
  }
}

char *
cli_args_help(CliCommand command)
{
  GString *out = g_string_new(NULL);
  if (command < CLI_N_COMMANDS) {
    const CommandSpec *spec = &commands[command];
    g_string_append_printf(out, "Usage: shiftctl %s\n\n%s.\n", spec->synopsis, spec->summary);
    if (spec->options != 0) {
      g_string_append(out, "\nOptions:\n");
      append_options(out, spec->options);
    }
  } else {
    g_string_append(out, "Usage: shiftctl [OPTIONS] COMMAND ...\n\n"
                         "Talk to shiftd, which runs AI agents as background work.\n\n"
                         "Commands:\n");
    for (guint c = 0; c < CLI_N_COMMANDS; c++)
      g_string_append_printf(out, "  %-34s %s\n", commands[c].synopsis, commands[c].summary);
  }
  g_string_append(out, "\nGlobal options:\n");
  append_options(out, OPT_GLOBAL);
  if (command >= CLI_N_COMMANDS)
    g_string_append(out, "\nWithout --user, --system or --address, $SHIFTD_BUS_ADDRESS is used when set,\n"
                         "else the session bus. Times take systemd's syntax: 90s, 15min, 1h 30min.\n");
  return g_string_free(out, FALSE);
}
