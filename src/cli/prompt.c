#include "prompt.h"

#include <glib/gi18n.h>
#include <string.h>

#include "output.h"

char *
cli_prompt_pick(const char *line, const char *const *choices)
{
  g_autofree char *text = g_strstrip(g_strdup(line ? line : ""));
  if (text[0] == '\0')
    return NULL;
  guint n = choices ? g_strv_length((char **)choices) : 0;
  if (n == 0)
    return g_steal_pointer(&text);
  guint64 number = 0;
  if (g_ascii_string_to_unsigned(text, 10, 1, n, &number, NULL))
    return g_strdup(choices[number - 1]);
  const char *folded = NULL;
  guint matches = 0;
  for (guint i = 0; i < n; i++) {
    if (g_str_equal(choices[i], text))
      return g_strdup(choices[i]);
    g_autofree char *a = g_utf8_casefold(choices[i], -1);
    g_autofree char *b = g_utf8_casefold(text, -1);
    if (g_str_equal(a, b)) {
      folded = choices[i];
      matches++;
    }
  }
  return matches == 1 ? g_strdup(folded) : NULL;
}

char *
cli_prompt_answer(FILE *in, FILE *out, const char *name, const char *question, const char *const *choices,
                  gboolean color)
{
  guint n = choices ? g_strv_length((char **)choices) : 0;
  g_autofree char *shown = cli_colorize(question, CLI_SGR_BOLD, color);
  fprintf(out, _("%s is waiting for a decision:\n"), name);
  fprintf(out, "  %s\n", shown);
  for (guint i = 0; i < n; i++)
    fprintf(out, "  %u) %s\n", i + 1, choices[i]);
  for (;;) {
    if (n > 0)
      /* TRANSLATORS: the prompt for a choice by number or by name; %u is how many there are */
      fprintf(out, _("Choice [1-%u]: "), n);
    else
      fprintf(out, "%s", _("Answer: "));
    fflush(out);
    char buf[4096];
    if (fgets(buf, sizeof buf, in) == NULL) {
      fputc('\n', out);
      return NULL;
    }
    char *picked = cli_prompt_pick(buf, choices);
    if (picked != NULL)
      return picked;
    g_autofree char *line = g_strstrip(g_strdup(buf));
    if (line[0] != '\0')
      fprintf(out, _("\"%s\" is not one of the choices.\n"), line);
  }
}
