#include "decision-text.h"

#include <glib/gi18n.h>
#include <string.h>

char *
decision_text_summary(const DecisionInfo *info)
{
  /* TRANSLATORS: a notification's title; %s is the agent's name (or "shiftd") */
  return g_strdup_printf(_("%s asks"), info->agent && info->agent[0] ? info->agent : "shiftd");
}

gboolean
decision_text_choices_are_keys(const char *const *choices)
{
  if (choices == NULL || choices[0] == NULL)
    return FALSE;
  for (guint i = 0; choices[i]; i++) {
    if (choices[i][0] == '\0' || g_ascii_strcasecmp(choices[i], "default") == 0)
      return FALSE;
    for (guint j = 0; j < i; j++)
      if (g_str_equal(choices[i], choices[j]))
        return FALSE;
  }
  return TRUE;
}

char *
decision_text_shell_word(const char *word)
{
  static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                             "@%+=:,./_-";
  if (word[0] != '\0' && strspn(word, safe) == strlen(word))
    return g_strdup(word);
  return g_shell_quote(word);
}

static void
append_command(GString *out, const DecisionInfo *info, const char *const *shiftctl_options, gboolean choices)
{
  g_string_append(out, "shiftctl ");
  for (guint i = 0; shiftctl_options && shiftctl_options[i]; i++) {
    g_autofree char *w = decision_text_shell_word(shiftctl_options[i]);
    g_string_append_printf(out, "%s ", w);
  }
  g_autofree char *name = decision_text_shell_word(info->name);
  /* TRANSLATORS: placeholders in a shell command: a choice, or free text in shell quotes */
  g_string_append_printf(out, "answer %s %s", name, choices ? _("CHOICE") : _("'your answer'"));
}

char *
decision_text_body(const DecisionInfo *info, gboolean buttons, const char *const *shiftctl_options,
                   gboolean markup)
{
  GString *out = g_string_new(info->question);
  g_string_append_c(out, '\n');
  /* TRANSLATORS: %s is the run's name */
  g_string_append_printf(out, _("Run %s"), info->name);
  if (!buttons) {
    gboolean choices = info->choices && info->choices[0];
    if (choices) {
      g_autofree char *list = g_strjoinv(", ", (char **)info->choices);
      g_string_append_c(out, '\n');
      g_string_append_printf(out, _("Choices: %s"), list);
    }
    g_string_append_c(out, '\n');
    /* TRANSLATORS: followed by a shiftctl command line */
    g_string_append(out, _("Answer with: "));
    append_command(out, info, shiftctl_options, choices);
  }
  if (!markup)
    return g_string_free(out, FALSE);
  g_autofree char *plain = g_string_free(out, FALSE);
  return g_markup_escape_text(plain, -1);
}

NotifyUrgency
decision_text_urgency(guint64 deadline, gint64 now_usec)
{
  if (deadline == 0)
    return NOTIFY_URGENCY_NORMAL;
  return (gint64)deadline - now_usec <= DECISION_CRITICAL_WITHIN_USEC ? NOTIFY_URGENCY_CRITICAL
                                                                    : NOTIFY_URGENCY_NORMAL;
}

gint64
decision_text_critical_in(guint64 deadline, gint64 now_usec)
{
  if (decision_text_urgency(deadline, now_usec) == NOTIFY_URGENCY_CRITICAL || deadline == 0)
    return -1;
  return (gint64)deadline - DECISION_CRITICAL_WITHIN_USEC - now_usec;
}
