/* The documentation's examples of shiftd.conf and agent files are parsed by
 * the daemon's own parsers, so an example that would not load fails here.
 *
 * Usage: check-doc-examples README.md [PAGE.scd...]
 *
 * In README.md every ```ini block is an example; in an scdoc page every ```
 * block whose first section is one of ours ([Model], [Limits], [Store], [MCP NAME] for
 * shiftd.conf; [Agent], [Schedule], [Sandbox], [Decisions] for an agent
 * file; blocks of other files, such as a unit drop-in, are skipped). An scdoc
 * block right after the comment line "; check-doc-examples: refused" shows a
 * mistake and must be refused. Every other example must load, and must carry
 * no comment after a value ("Key=value # note"): shiftd.conf refuses that,
 * and an agent file would take the comment as part of the value.
 *
 * Errors name the documentation file and its line. An agent example is
 * written to a temporary agents.d/ as NAME.agent (NAME from a "NAME.agent"
 * in its comments, else "example"), with a placeholder for a relative
 * InstructionsFile= it names. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "agent-file.h"
#include "config.h"

#define REFUSED_MARK "; check-doc-examples: refused"

typedef enum { KIND_NONE, KIND_CONFIG, KIND_AGENT } Kind;

typedef struct {
  const char *file;
  guint first_line; /* of the block's text, 1-based */
  GString *text;
  gboolean expect_refused;
} Example;

static guint n_checked, n_failed;
static char *tmp_dir;

static void G_GNUC_PRINTF(2, 3)
failed(const Example *ex, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_printerr("%s:%u: example: %s\n", ex->file, ex->first_line, msg);
  n_failed++;
}

static Kind
kind_of(const char *text)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    const char *s = g_strstrip(*l);
    if (s[0] != '[')
      continue;
    if (g_str_equal(s, "[Model]") || g_str_equal(s, "[Limits]") || g_str_equal(s, "[Store]") ||
        g_str_has_prefix(s, "[MCP "))
      return KIND_CONFIG;
    if (g_str_equal(s, "[Agent]") || g_str_equal(s, "[Schedule]") || g_str_equal(s, "[Sandbox]") ||
        g_str_equal(s, "[Decisions]"))
      return KIND_AGENT;
  }
  return KIND_NONE;
}

/* As config.c's rule: white space, then # or ;, inside a value. */
static void
check_trailing_comments(const Example *ex)
{
  g_auto(GStrv) lines = g_strsplit(ex->text->str, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    const char *s = g_strstrip(lines[i]);
    const char *eq = strchr(s, '=');
    if (s[0] == '#' || s[0] == ';' || s[0] == '[' || eq == NULL)
      continue;
    for (const char *p = eq + 1; *p; p++)
      if (g_ascii_isspace(*p)) {
        const char *q = p;
        while (g_ascii_isspace(*q))
          q++;
        if (*q == '#' || *q == ';') {
          g_printerr("%s:%u: example: a comment after a value (\"%s\"): put it on a line of its own\n", ex->file,
                     ex->first_line + i, s);
          n_failed++;
          break;
        }
      }
  }
}

/* The block's text behind as many empty lines as come before it in its
 * file, so that the parsers' line numbers are the file's. */
static char *
padded(const Example *ex)
{
  GString *s = g_string_new(NULL);
  for (guint i = 1; i < ex->first_line; i++)
    g_string_append_c(s, '\n');
  g_string_append(s, ex->text->str);
  return g_string_free(s, FALSE);
}

static char *
agent_name(const char *text)
{
  g_autoptr(GRegex) re = g_regex_new("([A-Za-z0-9][A-Za-z0-9_-]*)\\.agent\\b", 0, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;
  if (g_regex_match(re, text, 0, &m))
    return g_match_info_fetch(m, 1);
  return g_strdup("example");
}

/* The text with each EnvironmentFile= (an [MCP NAME] server's credentials,
 * read at load) pointing at a placeholder of the same name in tmp_dir: the
 * example's own path (/etc/shiftd/...) is not on this machine. Lines stay
 * where they were. */
static char *
with_environment_files(const char *text)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    g_autofree char *line = g_strstrip(g_strdup(*l));
    if (!g_str_has_prefix(line, "EnvironmentFile="))
      continue;
    g_autofree char *base = g_path_get_basename(g_strstrip(line + strlen("EnvironmentFile=")));
    g_autofree char *placeholder = g_build_filename(tmp_dir, base, NULL);
    g_file_set_contents(placeholder, "EXAMPLE_TOKEN=placeholder\n", -1, NULL);
    g_free(*l);
    *l = g_strconcat("EnvironmentFile=", placeholder, NULL);
  }
  return g_strjoinv("\n", lines);
}

/* Writes a placeholder for a relative InstructionsFile= into dir. */
static void
write_instructions_file(const char *dir, const char *text)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l; l++) {
    const char *s = g_strstrip(*l);
    if (!g_str_has_prefix(s, "InstructionsFile="))
      continue;
    const char *value = s + strlen("InstructionsFile=");
    while (g_ascii_isspace(*value))
      value++;
    if (*value == '\0' || g_path_is_absolute(value))
      continue;
    g_autofree char *path = g_build_filename(dir, value, NULL);
    g_autofree char *parent = g_path_get_dirname(path);
    g_mkdir_with_parents(parent, 0700);
    g_file_set_contents(path, "Placeholder instructions for the documentation's example.\n", -1, NULL);
  }
}

static void
check_example(const Example *ex)
{
  Kind kind = kind_of(ex->text->str);
  if (kind == KIND_NONE) {
    if (g_str_has_suffix(ex->file, ".md"))
      failed(ex, "an ini block with none of shiftd.conf's or an agent file's sections");
    return;
  }
  n_checked++;
  if (!ex->expect_refused)
    check_trailing_comments(ex);

  g_autofree char *text = padded(ex);
  g_autoptr(GError) error = NULL;
  gboolean ok;
  if (kind == KIND_CONFIG) {
    g_autofree char *with_files = with_environment_files(text);
    g_autoptr(ShiftdConfig) config = shiftd_config_new();
    ok = shiftd_config_parse(config, ex->file, with_files, strlen(with_files), &error);
  } else {
    g_autofree char *name = agent_name(ex->text->str);
    g_autofree char *dir = g_build_filename(tmp_dir, "agents.d", NULL);
    g_mkdir_with_parents(dir, 0700);
    write_instructions_file(dir, ex->text->str);
    g_autofree char *base = g_strconcat(name, ".agent", NULL);
    g_autofree char *path = g_build_filename(dir, base, NULL);
    g_autoptr(AgentConfig) agent = agent_config_parse(path, text, strlen(text), &error);
    ok = agent != NULL;
    if (!ok) {
      /* say where in the documentation, not in the temporary directory
       * (each problem is a line of its own, "PATH:LINE: reason") */
      g_autofree char *where = g_strconcat(path, ":", NULL);
      g_autofree char *doc = g_strconcat(ex->file, ":", NULL);
      GString *message = g_string_new(error->message);
      g_string_replace(message, where, doc, 0);
      g_string_append_printf(message, " (as %s)", base);
      g_free(error->message);
      error->message = g_string_free(message, FALSE);
    }
  }
  if (ex->expect_refused && ok)
    failed(ex, "shown as a mistake, but the %s parser takes it", kind == KIND_CONFIG ? "shiftd.conf" : "agent file");
  else if (!ex->expect_refused && !ok) {
    g_printerr("%s\n", error->message);
    n_failed++;
  }
}

/* Markdown: ```ini ... ```. scdoc: ``` ... ```, with \ escaping the next
 * character, and the "refused" mark on the line before. */
static void
check_file(const char *file)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(file, &contents, NULL, &error))
    g_error("%s", error->message);
  gboolean scdoc = g_str_has_suffix(file, ".scd");
  g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);
  Example ex = { file, 0, NULL, FALSE };
  guint blocks = 0;
  for (guint i = 0; lines[i]; i++) {
    const char *line = lines[i];
    g_autofree char *trimmed = g_strstrip(g_strdup(line));
    if (ex.text == NULL) {
      gboolean opens = scdoc ? g_str_equal(trimmed, "```") : g_str_equal(trimmed, "```ini");
      if (!opens)
        continue;
      ex.text = g_string_new(NULL);
      ex.first_line = i + 2;
      g_autofree char *before = i > 0 ? g_strstrip(g_strdup(lines[i - 1])) : g_strdup("");
      ex.expect_refused = scdoc && g_str_equal(before, REFUSED_MARK);
      continue;
    }
    if (g_str_equal(trimmed, "```")) {
      check_example(&ex);
      g_string_free(ex.text, TRUE);
      ex.text = NULL;
      blocks++;
      continue;
    }
    if (!scdoc) {
      g_string_append_printf(ex.text, "%s\n", line);
      continue;
    }
    for (const char *p = line; *p; p++) {
      if (*p == '\\' && p[1] != '\0')
        p++;
      g_string_append_c(ex.text, *p);
    }
    g_string_append_c(ex.text, '\n');
  }
  if (ex.text != NULL) {
    failed(&ex, "a block that is never closed");
    g_string_free(ex.text, TRUE);
  }
  if (!scdoc && blocks == 0) {
    g_printerr("%s: no ```ini blocks found\n", file);
    n_failed++;
  }
}

static void
remove_tree(const char *path)
{
  if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;
    while (dir && (name = g_dir_read_name(dir))) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      remove_tree(child);
    }
  }
  g_remove(path);
}

int
main(int argc, char **argv)
{
  if (argc < 2) {
    g_printerr("usage: %s README.md [PAGE.scd...]\n", argv[0]);
    return 2;
  }
  g_autoptr(GError) error = NULL;
  tmp_dir = g_dir_make_tmp("check-doc-examples-XXXXXX", &error);
  if (tmp_dir == NULL)
    g_error("%s", error->message);
  for (int i = 1; i < argc; i++)
    check_file(argv[i]);
  remove_tree(tmp_dir);
  g_free(tmp_dir);
  if (n_failed > 0) {
    g_printerr("%u of the documentation's examples are wrong\n", n_failed);
    return 1;
  }
  g_print("%u examples of shiftd.conf and agent files parse as documented\n", n_checked);
  return 0;
}
