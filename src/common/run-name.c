#include "run-name.h"

#include <string.h>

/* No 0/o, 1/l/i: names get read aloud and typed. */
static const char name_alphabet[] = "23456789abcdefghjkmnpqrstuvwxyz";

#define PREFIX_MAX 20

static char *
name_prefix(const char *agent)
{
  if (agent == NULL || *agent == '\0' || g_str_equal(agent, "default"))
    return g_strdup("run");

  GString *s = g_string_new(NULL);
  for (const char *p = agent; *p && s->len < PREFIX_MAX; p++) {
    char c = g_ascii_tolower(*p);
    if (g_ascii_isalnum(c))
      g_string_append_c(s, c);
    else if (s->len > 0 && s->str[s->len - 1] != '-')
      g_string_append_c(s, '-');
  }
  while (s->len > 0 && s->str[s->len - 1] == '-')
    g_string_truncate(s, s->len - 1);
  if (s->len == 0 || !g_ascii_isalpha(s->str[0]))
    g_string_prepend(s, "run-");
  if (s->len > PREFIX_MAX)
    g_string_truncate(s, PREFIX_MAX);
  while (s->len > 0 && s->str[s->len - 1] == '-')
    g_string_truncate(s, s->len - 1);
  return g_string_free(s, FALSE);
}

char *
shiftd_run_name_generate(const char *agent, guint suffix_len, GRand *rand)
{
  g_autofree char *prefix = name_prefix(agent);
  GString *s = g_string_new(prefix);
  g_string_append_c(s, '-');
  suffix_len = CLAMP(suffix_len, 3, 16);
  for (guint i = 0; i < suffix_len; i++)
    g_string_append_c(s, name_alphabet[g_rand_int_range(rand, 0, (gint32)strlen(name_alphabet))]);
  return g_string_free(s, FALSE);
}

gboolean
shiftd_run_name_is_valid(const char *name)
{
  if (name == NULL || *name == '\0' || strlen(name) > SHIFTD_RUN_NAME_MAX)
    return FALSE;
  if (!g_ascii_isalnum(name[0]))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '-'))
      return FALSE;
  return TRUE;
}
