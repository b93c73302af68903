#include "agent-file.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "ini-file.h"
#include "mcp-config.h"
#include "time-span.h"

static const ShiftdIniKey agent_keys[] = {
  { "Agent", "Description" },
  { "Agent", "Instructions" },
  { "Agent", "InstructionsFile" },
  { "Agent", "Model" },
  { "Agent", "Provider" },
  { "Agent", "Tools" },
  { "Agent", "ContextTokens" },
  { "Agent", "TokensPerRun" },
  { "Agent", "TokensPerDay" },
  { "Agent", "MCP" },
  { "Agent", "Delegates" },
  { "Schedule", "Every" },
  { "Schedule", "OnCalendar" },
  { "Schedule", "MaxInterval" },
  { "Schedule", "QuietHours" },
  { "Schedule", "ReviewEvery" },
  { "Schedule", "WakeIf" },
  { "Schedule", "WatchPath" },
  { "Schedule", "StartBy" },
  { "Schedule", "OnBattery" },
  { "Schedule", "OnMetered" },
  { "Schedule", "PowerSaver" },
  { "Schedule", "MaxDefer" },
  { "Sandbox", "User" },
  { "Sandbox", "MemoryMax" },
  { "Sandbox", "CPUQuota" },
  { "Sandbox", "TasksMax" },
  { "Sandbox", "RuntimeMaxSec" },
  { "Sandbox", "ReadWritePaths" },
  { "Sandbox", "PrivateNetwork" },
  { "Decisions", "Timeout" },
  { "Decisions", "Default" },
  { "Decisions", "AnswerBy" },
  { NULL, NULL },
};

/* Values with room for a pasted "# comment" to hide in: not free text
 * (Description=, Instructions=, InstructionsFile=, WakeIf=, a shell command),
 * nor lists (Tools=, ReadWritePaths=, WatchPath=, StartBy=, AnswerBy=), where ";" parts
 * words and a stray "#" is refused as a word. */
static const ShiftdIniKey structured_keys[] = {
  { "Agent", "Model" },
  { "Agent", "Provider" },
  { "Agent", "ContextTokens" },
  { "Agent", "TokensPerRun" },
  { "Agent", "TokensPerDay" },
  { "Schedule", "Every" },
  { "Schedule", "OnCalendar" },
  { "Schedule", "MaxInterval" },
  { "Schedule", "QuietHours" },
  { "Schedule", "ReviewEvery" },
  { "Schedule", "OnBattery" },
  { "Schedule", "OnMetered" },
  { "Schedule", "PowerSaver" },
  { "Schedule", "MaxDefer" },
  { "Sandbox", "User" },
  { "Sandbox", "MemoryMax" },
  { "Sandbox", "CPUQuota" },
  { "Sandbox", "TasksMax" },
  { "Sandbox", "RuntimeMaxSec" },
  { "Sandbox", "PrivateNetwork" },
  { "Decisions", "Timeout" },
  { "Decisions", "Default" },
  { NULL, NULL },
};

static const char *const optional_tools[] = { "shell", "read_file", "write_file", "notes", NULL };
static const char *const builtin_tools[] = { "finish", "no_work", "ask_human", NULL };

#define INSTRUCTIONS_MAX (256 * 1024)

void
agent_config_free(AgentConfig *c)
{
  if (c == NULL)
    return;
  g_free(c->name);
  g_free(c->path);
  g_free(c->description);
  g_free(c->instructions);
  g_free(c->model);
  g_strfreev(c->tools);
  g_strfreev(c->mcp);
  g_free(c->on_calendar);
  g_free(c->wake_if);
  g_strfreev(c->watch_paths);
  g_free(c->user);
  g_strfreev(c->read_write_paths);
  g_free(c->decision_default);
  g_strfreev(c->answer_by);
  g_strfreev(c->start_by);
  g_strfreev(c->delegates);
  g_clear_pointer(&c->answer_by_ids.uids, g_array_unref);
  g_clear_pointer(&c->answer_by_ids.gids, g_array_unref);
  g_clear_pointer(&c->start_by_ids.uids, g_array_unref);
  g_clear_pointer(&c->start_by_ids.gids, g_array_unref);
  g_free(c);
}

gboolean
agent_name_is_valid(const char *name)
{
  if (name == NULL || *name == '\0' || strlen(name) > 64 || !g_ascii_isalnum(*name))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!(g_ascii_isalnum(*p) || *p == '-' || *p == '_'))
      return FALSE;
  return TRUE;
}

/* POSIX-portable user names, as useradd takes them: _apt, www-data, alice.b */
static gboolean
user_name_is_valid(const char *name)
{
  if (name == NULL || *name == '\0' || strlen(name) > 32 || !(g_ascii_isalpha(*name) || *name == '_'))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!(g_ascii_isalnum(*p) || *p == '_' || *p == '-' || *p == '.'))
      return FALSE;
  return TRUE;
}

/* Space- or semicolon-separated words. */
static char **
split_words(const char *value)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  g_auto(GStrv) parts = g_strsplit_set(value, " \t;", -1);
  for (char **p = parts; *p; p++)
    if (**p)
      g_strv_builder_add(b, *p);
  return g_strv_builder_end(b);
}

/* AnswerBy=/StartBy=: user names, uids and @groups. */
static gboolean
parse_principals(ShiftdIniFile *ini, const char *group, const char *key, char ***out, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, group, key);
  if (e == NULL)
    return TRUE;
  g_auto(GStrv) words = split_words(e->value);
  for (char **w = words; *w; w++) {
    const char *name = (*w)[0] == '@' ? *w + 1 : *w;
    guint64 n;
    gboolean uid = (*w)[0] != '@' && g_ascii_string_to_unsigned(name, 10, 0, G_MAXUINT32 - 1, &n, NULL);
    if (!uid && !user_name_is_valid(name)) {
      shiftd_ini_set_entry_error(error, ini, e, "\"%s\" is neither a user name, a uid nor an @group", *w);
      return FALSE;
    }
  }
  g_strfreev(*out);
  *out = g_steal_pointer(&words);
  return TRUE;
}

/* [Agent] key: a list of names, each valid by `valid` ("\"x\" is not WHAT"
 * otherwise); line: where the key is, when asked. */
static gboolean
parse_names(ShiftdIniFile *ini, const char *key, gboolean (*valid)(const char *), const char *what, char ***out,
            guint *line, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, "Agent", key);
  if (e == NULL)
    return TRUE;
  g_auto(GStrv) words = split_words(e->value);
  for (char **w = words; *w; w++)
    if (!valid(*w)) {
      shiftd_ini_set_entry_error(error, ini, e, "\"%s\" is not %s", *w, what);
      return FALSE;
    }
  g_strfreev(*out);
  *out = g_steal_pointer(&words);
  if (line)
    *line = e->line;
  return TRUE;
}

static gboolean
parse_tools(ShiftdIniFile *ini, AgentConfig *c, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, "Agent", "Tools");
  if (e == NULL)
    return TRUE;
  g_auto(GStrv) words = split_words(e->value);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  for (char **w = words; *w; w++) {
    if (g_strv_contains(builtin_tools, *w))
      continue; /* always there */
    if (!g_strv_contains(optional_tools, *w)) {
      shiftd_ini_set_entry_error(error, ini, e, "unknown tool \"%s\" (known: shell, read_file, write_file, notes)", *w);
      return FALSE;
    }
    g_strv_builder_add(b, *w);
  }
  g_strfreev(c->tools);
  c->tools = g_strv_builder_end(b);
  return TRUE;
}

gboolean
agent_config_check_mcp(const AgentConfig *c, GPtrArray *servers, GError **error)
{
  for (char **m = c->mcp; m && *m; m++)
    if (shiftd_mcp_config_find(servers, *m) == NULL) {
      g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_BAD_VALUE,
                  "%s:%u: MCP=: unknown MCP server \"%s\" (declare it as [MCP %s] in shiftd.conf)", c->path,
                  c->mcp_line, *m, *m);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_clock(const char *text, guint *minute)
{
  guint h = 0, m = 0;
  char extra;
  if (sscanf(text, "%u:%u%c", &h, &m, &extra) != 2 || h > 24 || m > 59 || (h == 24 && m != 0))
    return FALSE;
  *minute = (h * 60 + m) % (24 * 60);
  return TRUE;
}

static gboolean
parse_quiet_hours(ShiftdIniFile *ini, AgentConfig *c, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, "Schedule", "QuietHours");
  if (e == NULL || e->value[0] == '\0')
    return TRUE;
  g_auto(GStrv) parts = g_strsplit(e->value, "-", 2);
  if (g_strv_length(parts) != 2 || !parse_clock(g_strstrip(parts[0]), &c->quiet_hours.start_minute) ||
      !parse_clock(g_strstrip(parts[1]), &c->quiet_hours.end_minute)) {
    shiftd_ini_set_entry_error(error, ini, e, "expected HH:MM-HH:MM");
    return FALSE;
  }
  if (c->quiet_hours.start_minute == c->quiet_hours.end_minute) {
    shiftd_ini_set_entry_error(error, ini, e, "the window is empty");
    return FALSE;
  }
  c->quiet_hours.set = TRUE;
  return TRUE;
}

/* OnBattery=, OnMetered=, PowerSaver=: "defer" holds a scheduled wake while
 * the condition holds; "run" (the default) ignores it. */
static gboolean
parse_defer(ShiftdIniFile *ini, const char *key, WakeCondition condition, AgentConfig *c, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, "Schedule", key);
  if (e == NULL)
    return TRUE;
  if (g_str_equal(e->value, "defer"))
    c->defer_on |= condition;
  else if (g_str_equal(e->value, "run"))
    c->defer_on &= ~(guint)condition;
  else {
    shiftd_ini_set_entry_error(error, ini, e, "expected defer or run");
    return FALSE;
  }
  return TRUE;
}

/* Bytes with an optional K/M/G/T suffix (base 1024), or "infinity". */
static gboolean
parse_size(ShiftdIniFile *ini, const char *group, const char *key, guint64 *out, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, group, key);
  if (e == NULL)
    return TRUE;
  if (g_str_equal(e->value, "infinity")) {
    *out = G_MAXUINT64;
    return TRUE;
  }
  char *end = NULL;
  errno = 0;
  guint64 v = g_ascii_isdigit(e->value[0]) ? g_ascii_strtoull(e->value, &end, 10) : 0;
  guint64 mult = 1;
  if (end && *end) {
    switch (g_ascii_toupper(*end)) {
    case 'K': mult = 1ULL << 10; break;
    case 'M': mult = 1ULL << 20; break;
    case 'G': mult = 1ULL << 30; break;
    case 'T': mult = 1ULL << 40; break;
    default: mult = 0; break;
    }
    if (mult && end[1] != '\0' && !(g_ascii_toupper(end[1]) == 'B' && end[2] == '\0'))
      mult = 0;
  }
  if (errno || end == NULL || end == e->value || mult == 0 || v == 0 || v > G_MAXUINT64 / mult) {
    shiftd_ini_set_entry_error(error, ini, e, "expected a size such as 512M, 2G or infinity");
    return FALSE;
  }
  *out = v * mult;
  return TRUE;
}

static gboolean
parse_count(ShiftdIniFile *ini, const char *group, const char *key, guint64 *out, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, group, key);
  if (e == NULL)
    return TRUE;
  if (g_str_equal(e->value, "infinity")) {
    *out = G_MAXUINT64;
    return TRUE;
  }
  guint64 v = 0;
  if (!g_ascii_string_to_unsigned(e->value, 10, 1, G_MAXUINT32, &v, NULL)) {
    shiftd_ini_set_entry_error(error, ini, e, "expected a positive number or infinity");
    return FALSE;
  }
  *out = v;
  return TRUE;
}

/* A token budget: a positive number, with an optional k or M (x1000,
 * x1000000) as token counts are usually written. */
static gboolean
parse_tokens(ShiftdIniFile *ini, const char *key, guint64 *out, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, "Agent", key);
  if (e == NULL)
    return TRUE;
  char *end = NULL;
  errno = 0;
  guint64 v = g_ascii_isdigit(e->value[0]) ? g_ascii_strtoull(e->value, &end, 10) : 0;
  guint64 mult = 1;
  if (end && *end) {
    mult = g_str_equal(end, "k") || g_str_equal(end, "K") ? 1000 : g_str_equal(end, "M") ? 1000000 : 0;
  }
  if (errno || end == NULL || end == e->value || mult == 0 || v == 0 || v > G_MAXINT64 / mult) {
    shiftd_ini_set_entry_error(error, ini, e, "expected a positive number of tokens such as 50000, 50k or 2M");
    return FALSE;
  }
  *out = v * mult;
  return TRUE;
}

static gboolean
parse_cpu_quota(ShiftdIniFile *ini, AgentConfig *c, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, "Sandbox", "CPUQuota");
  if (e == NULL)
    return TRUE;
  g_autofree char *number = g_strndup(e->value, strlen(e->value) - (g_str_has_suffix(e->value, "%") ? 1 : 0));
  char *end = NULL;
  double v = g_ascii_isdigit(number[0]) ? g_ascii_strtod(number, &end) : -1;
  if (!g_str_has_suffix(e->value, "%") || end == NULL || *end != '\0' || v < 0.01 || v > 100000) {
    shiftd_ini_set_entry_error(error, ini, e, "expected a percentage such as 50%%, 12.5%% or 200%%");
    return FALSE;
  }
  c->cpu_quota_permille = (guint)(v * 10 + 0.5);
  return TRUE;
}

/* Absolute, and no ".." that could climb out of what it names. */
static gboolean
path_is_absolute_plain(const char *p)
{
  return g_path_is_absolute(p) && !strstr(p, "/../") && !g_str_has_suffix(p, "/..");
}

static gboolean
parse_paths(ShiftdIniFile *ini, AgentConfig *c, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, "Sandbox", "ReadWritePaths");
  if (e == NULL)
    return TRUE;
  g_auto(GStrv) words = split_words(e->value);
  for (char **w = words; *w; w++) {
    const char *p = (*w)[0] == '-' ? *w + 1 : *w; /* "-" prefix: ignore if missing, as systemd */
    if (!path_is_absolute_plain(p)) {
      shiftd_ini_set_entry_error(error, ini, e, "\"%s\" is not an absolute path", *w);
      return FALSE;
    }
  }
  g_strfreev(c->read_write_paths);
  c->read_write_paths = g_steal_pointer(&words);
  return TRUE;
}

/* WatchPath=: absolute paths, kept in their plain form (no "." or "//") so
 * that both backends and the Schedule property name them alike. Whether
 * they exist, or who may see them, is a matter for when they are watched. */
static gboolean
parse_watch_paths(ShiftdIniFile *ini, AgentConfig *c, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, "Schedule", "WatchPath");
  if (e == NULL)
    return TRUE;
  g_auto(GStrv) words = split_words(e->value);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  for (char **w = words; *w; w++) {
    if (!path_is_absolute_plain(*w)) {
      shiftd_ini_set_entry_error(error, ini, e, "\"%s\" is not an absolute path", *w);
      return FALSE;
    }
    g_autofree char *plain = g_canonicalize_filename(*w, "/");
    if (strlen(plain) >= PATH_MAX) {
      shiftd_ini_set_entry_error(error, ini, e, "\"%s\" is too long", *w);
      return FALSE;
    }
    g_strv_builder_add(b, plain);
  }
  g_strfreev(c->watch_paths);
  c->watch_paths = g_strv_builder_end(b);
  return TRUE;
}

static gboolean
parse_instructions(ShiftdIniFile *ini, AgentConfig *c, GError **error)
{
  const ShiftdIniEntry *inline_e = shiftd_ini_file_lookup(ini, "Agent", "Instructions");
  const ShiftdIniEntry *file_e = shiftd_ini_file_lookup(ini, "Agent", "InstructionsFile");
  if (inline_e && file_e) {
    shiftd_ini_set_entry_error(error, ini, file_e, "Instructions= and InstructionsFile= exclude each other");
    return FALSE;
  }
  if (inline_e) {
    g_free(c->instructions);
    c->instructions = g_strdup(inline_e->value);
  } else if (file_e) {
    g_autofree char *dir = g_path_get_dirname(ini->path);
    g_autofree char *path = g_path_is_absolute(file_e->value) ? g_strdup(file_e->value)
                                                               : g_build_filename(dir, file_e->value, NULL);
    g_autoptr(GError) local = NULL;
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!shiftd_ini_read_file(path, INSTRUCTIONS_MAX, &text, &len, &local)) {
      shiftd_ini_set_entry_error(error, ini, file_e, "%s", local->message);
      return FALSE;
    }
    if (!g_utf8_validate(text, (gssize)len, NULL)) {
      shiftd_ini_set_entry_error(error, ini, file_e, "not UTF-8 text");
      return FALSE;
    }
    g_free(c->instructions);
    c->instructions = g_steal_pointer(&text);
  }
  return TRUE;
}

/* Every problem of a file is reported, one "FILE:LINE: reason" line each,
 * not only the first: a key's problem does not stop the others' checks, and
 * a rule between keys is checked only when those keys read well (else it
 * would only repeat the first problem in other words). */
typedef struct {
  GPtrArray *lines;   /* char*: one per problem */
  GHashTable *failed; /* "Group/Key" of entries that did not read */
  gint code;          /* the first problem's SHIFTD_INI_ERROR code */
} Problems;

static void
problems_add(Problems *p, const char *group, const char *key, GError *error)
{
  if (p->lines->len == 0)
    p->code = error->code;
  g_ptr_array_add(p->lines, g_strdup(error->message));
  if (group != NULL)
    g_hash_table_add(p->failed, g_strconcat(group, "/", key, NULL));
}

static gboolean
problems_none_in(Problems *p, const char *group, const char *const *keys)
{
  for (const char *const *k = keys; *k; k++) {
    g_autofree char *id = g_strconcat(group, "/", *k, NULL);
    if (g_hash_table_contains(p->failed, id))
      return FALSE;
  }
  return TRUE;
}

/* Runs one check whose GError** argument is written `&e`, keeping its problem. */
#define CHECK(p, group, key, call)                                                                                    \
  G_STMT_START                                                                                                        \
  {                                                                                                                   \
    g_autoptr(GError) e = NULL;                                                                                       \
    if (!(call))                                                                                                      \
      problems_add((p), (group), (key), e);                                                                           \
  }                                                                                                                   \
  G_STMT_END

/* A rule between entries: its complaint is about entry e. */
static void
rule_broken(Problems *p, ShiftdIniFile *ini, const ShiftdIniEntry *e, const char *reason)
{
  g_autoptr(GError) error = NULL;
  shiftd_ini_set_entry_error(&error, ini, e, "%s", reason);
  problems_add(p, e->group, e->key, error);
}

/* The common checks, on a view of one entry: a known key, set once, and
 * (where the value is not free text) no "# comment" pasted after it. */
static gboolean
check_key(ShiftdIniFile *ini, guint index, GError **error)
{
  const ShiftdIniEntry *entry = g_ptr_array_index(ini->entries, index);
  g_autoptr(GPtrArray) one = g_ptr_array_new();
  g_ptr_array_add(one, (gpointer)entry);
  ShiftdIniFile view = { ini->path, one };
  if (!shiftd_ini_file_check_keys(&view, agent_keys, error) ||
      !shiftd_ini_file_check_no_comments(&view, structured_keys, error))
    return FALSE;
  /* a twice-set key is reported at its second line */
  for (guint i = 0; i < index; i++) {
    const ShiftdIniEntry *first = g_ptr_array_index(ini->entries, i);
    if (g_str_equal(first->group, entry->group) && g_str_equal(first->key, entry->key)) {
      shiftd_ini_set_entry_error(error, ini, entry, "set twice in [%s] (first on line %u)", entry->group,
                                 first->line);
      return FALSE;
    }
  }
  return TRUE;
}

AgentConfig *
agent_config_parse(const char *path, const char *text, gsize length, GError **error)
{
  g_autofree char *base = g_path_get_basename(path);
  if (!g_str_has_suffix(base, AGENT_FILE_SUFFIX)) {
    g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_SYNTAX, "%s: agent files end in .agent", path);
    return NULL;
  }
  g_autofree char *name = g_strndup(base, strlen(base) - strlen(AGENT_FILE_SUFFIX));
  if (!agent_name_is_valid(name)) {
    g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_SYNTAX,
                "%s: \"%s\" is not a valid agent name (letters, digits, - and _; up to 64)", path, name);
    return NULL;
  }
  /* a syntax error leaves nothing to check further */
  g_autoptr(ShiftdIniFile) ini = shiftd_ini_file_parse(path, text, length, error);
  if (ini == NULL)
    return NULL;

  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GHashTable) failed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  Problems p = { lines, failed, 0 };
  for (guint i = 0; i < ini->entries->len; i++) {
    const ShiftdIniEntry *entry = g_ptr_array_index(ini->entries, i);
    CHECK(&p, entry->group, entry->key, check_key(ini, i, &e));
  }

  g_autoptr(AgentConfig) c = g_new0(AgentConfig, 1);
  c->name = g_steal_pointer(&name);
  c->path = g_strdup(path);
  c->description = g_strdup("");
  c->instructions = g_strdup("");
  c->model = g_strdup("");
  c->tools = g_new0(char *, 1);
  c->context_tokens = AGENT_CONTEXT_TOKENS_DEFAULT;
  c->mcp = g_new0(char *, 1);
  c->read_write_paths = g_new0(char *, 1);
  c->watch_paths = g_new0(char *, 1);
  c->answer_by = g_new0(char *, 1);
  c->start_by = g_new0(char *, 1);
  c->max_defer = WAKE_DEFER_MAX_DEFAULT_USEC;
  c->delegates = g_new0(char *, 1);

  CHECK(&p, "Agent", "Description", shiftd_ini_get_string(ini, "Agent", "Description", &c->description, &e));
  {
    g_autoptr(GError) e = NULL;
    if (!parse_instructions(ini, c, &e)) {
      problems_add(&p, "Agent", "Instructions", e);
      g_hash_table_add(p.failed, g_strdup("Agent/InstructionsFile"));
    }
  }
  CHECK(&p, "Agent", "Model", shiftd_ini_get_string(ini, "Agent", "Model", &c->model, &e));
  CHECK(&p, "Agent", "Provider", shiftd_ini_get_provider(ini, "Agent", &c->provider, &e));
  CHECK(&p, "Agent", "Tools", parse_tools(ini, c, &e));
  /* a delegate not loaded (yet) is fine: start_run says so */
  CHECK(&p, "Agent", "Delegates",
        parse_names(ini, "Delegates", agent_name_is_valid, "an agent name", &c->delegates, NULL, &e));
  CHECK(&p, "Agent", "ContextTokens",
        shiftd_ini_get_uint(ini, "Agent", "ContextTokens", AGENT_CONTEXT_TOKENS_MIN, AGENT_CONTEXT_TOKENS_MAX,
                            &c->context_tokens, &e));
  CHECK(&p, "Agent", "TokensPerRun", parse_tokens(ini, "TokensPerRun", &c->tokens_per_run, &e));
  CHECK(&p, "Agent", "TokensPerDay", parse_tokens(ini, "TokensPerDay", &c->tokens_per_day, &e));
  CHECK(&p, "Agent", "MCP",
        parse_names(ini, "MCP", shiftd_mcp_name_is_valid, "an MCP server name", &c->mcp, &c->mcp_line, &e));
  CHECK(&p, "Schedule", "Every",
        shiftd_ini_get_time_span(ini, "Schedule", "Every", SHIFTD_USEC_PER_SEC, &c->every, &e));
  CHECK(&p, "Schedule", "OnCalendar", shiftd_ini_get_string(ini, "Schedule", "OnCalendar", &c->on_calendar, &e));
  CHECK(&p, "Schedule", "MaxInterval",
        shiftd_ini_get_time_span(ini, "Schedule", "MaxInterval", SHIFTD_USEC_PER_SEC, &c->max_interval, &e));
  CHECK(&p, "Schedule", "QuietHours", parse_quiet_hours(ini, c, &e));
  CHECK(&p, "Schedule", "ReviewEvery",
        shiftd_ini_get_time_span(ini, "Schedule", "ReviewEvery", SHIFTD_USEC_PER_SEC, &c->review_every, &e));
  CHECK(&p, "Schedule", "WakeIf", shiftd_ini_get_string(ini, "Schedule", "WakeIf", &c->wake_if, &e));
  CHECK(&p, "Schedule", "WatchPath", parse_watch_paths(ini, c, &e));
  CHECK(&p, "Sandbox", "User", shiftd_ini_get_string(ini, "Sandbox", "User", &c->user, &e));
  CHECK(&p, "Sandbox", "MemoryMax", parse_size(ini, "Sandbox", "MemoryMax", &c->memory_max, &e));
  CHECK(&p, "Sandbox", "CPUQuota", parse_cpu_quota(ini, c, &e));
  CHECK(&p, "Sandbox", "TasksMax", parse_count(ini, "Sandbox", "TasksMax", &c->tasks_max, &e));
  CHECK(&p, "Sandbox", "RuntimeMaxSec",
        shiftd_ini_get_time_span(ini, "Sandbox", "RuntimeMaxSec", SHIFTD_USEC_PER_SEC, &c->runtime_max, &e));
  CHECK(&p, "Sandbox", "ReadWritePaths", parse_paths(ini, c, &e));
  CHECK(&p, "Sandbox", "PrivateNetwork",
        shiftd_ini_get_bool(ini, "Sandbox", "PrivateNetwork", &c->private_network, &e));
  CHECK(&p, "Decisions", "Timeout",
        shiftd_ini_get_time_span(ini, "Decisions", "Timeout", SHIFTD_USEC_PER_SEC, &c->decision_timeout, &e));
  CHECK(&p, "Decisions", "Default",
        shiftd_ini_get_string(ini, "Decisions", "Default", &c->decision_default, &e));
  CHECK(&p, "Decisions", "AnswerBy", parse_principals(ini, "Decisions", "AnswerBy", &c->answer_by, &e));
  CHECK(&p, "Schedule", "StartBy", parse_principals(ini, "Schedule", "StartBy", &c->start_by, &e));
  CHECK(&p, "Schedule", "OnBattery", parse_defer(ini, "OnBattery", WAKE_CONDITION_ON_BATTERY, c, &e));
  CHECK(&p, "Schedule", "OnMetered", parse_defer(ini, "OnMetered", WAKE_CONDITION_METERED, c, &e));
  CHECK(&p, "Schedule", "PowerSaver", parse_defer(ini, "PowerSaver", WAKE_CONDITION_POWER_SAVER, c, &e));
  CHECK(&p, "Schedule", "MaxDefer",
        shiftd_ini_get_time_span(ini, "Schedule", "MaxDefer", SHIFTD_USEC_PER_SEC, &c->max_defer, &e));

  const ShiftdIniEntry *e;
  if (c->on_calendar && c->on_calendar[0] == '\0')
    g_clear_pointer(&c->on_calendar, g_free);
  if (c->wake_if && c->wake_if[0] == '\0')
    g_clear_pointer(&c->wake_if, g_free);
  if (c->user && c->user[0] == '\0')
    g_clear_pointer(&c->user, g_free);
  if (c->decision_default && c->decision_default[0] == '\0')
    g_clear_pointer(&c->decision_default, g_free);

  static const char *const finite[] = { "Every", "MaxInterval", "ReviewEvery", "MaxDefer", NULL };
  for (const char *const *k = finite; *k; k++) {
    e = shiftd_ini_file_lookup(ini, "Schedule", *k);
    if (e && g_str_equal(e->value, "infinity"))
      rule_broken(&p, ini, e, "must be a finite time span");
  }
  if (c->on_calendar) {
    g_autoptr(GError) local = NULL;
    g_autoptr(ShiftdCalendar) cal = shiftd_calendar_parse(c->on_calendar, &local);
    if (cal == NULL)
      rule_broken(&p, ini, shiftd_ini_file_lookup(ini, "Schedule", "OnCalendar"), local->message);
  }
  static const char *const schedule_keys[] = { "Every", "OnCalendar", "MaxInterval", NULL };
  if (problems_none_in(&p, "Schedule", schedule_keys)) {
    if (c->every && c->on_calendar)
      rule_broken(&p, ini, shiftd_ini_file_lookup(ini, "Schedule", "OnCalendar"),
                  "Every= and OnCalendar= exclude each other");
    if ((e = shiftd_ini_file_lookup(ini, "Schedule", "MaxInterval"))) {
      if (!c->every)
        rule_broken(&p, ini, e, "MaxInterval= needs Every=");
      else if (c->max_interval < c->every)
        rule_broken(&p, ini, e, "must not be shorter than Every=");
    }
  }
  if (c->every && c->max_interval == 0)
    c->max_interval = c->every > G_MAXUINT64 / 8 ? G_MAXUINT64 : c->every * 8;
  static const char *const instructions_keys[] = { "Instructions", "InstructionsFile", NULL };
  if ((c->every || c->on_calendar || agent_config_watches(c)) && c->instructions[0] == '\0' &&
      problems_none_in(&p, "Agent", instructions_keys)) {
    g_autoptr(GError) local = g_error_new(
      SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_BAD_VALUE,
      "%s: a scheduled agent needs Instructions= or InstructionsFile= (the task of every wake)", path);
    problems_add(&p, NULL, NULL, local);
  }
  static const char *const review_keys[] = { "Every", "OnCalendar", "ReviewEvery", NULL };
  if (c->review_every && !c->every && !c->on_calendar && problems_none_in(&p, "Schedule", review_keys))
    rule_broken(&p, ini, shiftd_ini_file_lookup(ini, "Schedule", "ReviewEvery"),
                "a review beat needs a schedule (Every= or OnCalendar=)");
  if (c->user && !user_name_is_valid(c->user))
    rule_broken(&p, ini, shiftd_ini_file_lookup(ini, "Sandbox", "User"), "not a user name");

  if (lines->len > 0) {
    g_ptr_array_add(lines, NULL);
    g_autofree char *all = g_strjoinv("\n", (char **)lines->pdata);
    g_set_error_literal(error, SHIFTD_INI_ERROR, p.code, all);
    return NULL;
  }
  return g_steal_pointer(&c);
}

AgentConfig *
agent_config_load(const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  if (!shiftd_ini_read_file(path, SHIFTD_INI_FILE_MAX, &text, &length, error))
    return NULL;
  return agent_config_parse(path, text, length, error);
}

gboolean
agent_config_watches(const AgentConfig *c)
{
  return c->watch_paths && c->watch_paths[0];
}

char *
agent_config_describe_schedule(const AgentConfig *c)
{
  GString *s = g_string_new(NULL);
  if (c->every) {
    g_autofree char *span = shiftd_time_span_format(c->every);
    g_string_append_printf(s, "every %s", span);
  } else if (c->on_calendar) {
    g_string_append(s, c->on_calendar);
  }
  if (agent_config_watches(c)) {
    g_autofree char *paths = g_strjoinv(" ", c->watch_paths);
    g_string_append_printf(s, "%swatch %s", s->len ? ", " : "", paths);
  }
  return g_string_free(s, FALSE);
}
