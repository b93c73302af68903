/* What a decision's notification says: pure functions of the run's
 * properties, the server's capabilities and the clock. */
#pragma once

#include <glib.h>
#include <libnotify/notify.h>

/* A deadline this close (or closer) makes a decision critical. */
#define DECISION_CRITICAL_WITHIN_USEC ((gint64)G_USEC_PER_SEC * 3600)

typedef struct {
  const char *name;
  const char *path;
  const char *agent;
  const char *question;
  const char *const *choices; /* NULL or empty: a free-text question */
  guint64 deadline;           /* µs since the epoch, 0 = none */
} DecisionInfo;

/* "<agent> asks" */
char *decision_text_summary(const DecisionInfo *info);
/* TRUE when every choice can be an action key: none empty, none "default"
 * (the key of a click on the notification itself), no two alike. */
gboolean decision_text_choices_are_keys(const char *const *choices);
/* The question and the run's name; without buttons, also the choices and the
 * shiftctl command that answers. Escaped for servers that take body markup. */
char *decision_text_body(const DecisionInfo *info, gboolean buttons, const char *const *shiftctl_options,
                         gboolean markup);
NotifyUrgency decision_text_urgency(guint64 deadline, gint64 now_usec);
/* µs from now until the decision turns critical; -1 if it never will or already is. */
gint64 decision_text_critical_in(guint64 deadline, gint64 now_usec);
/* A word as a shell would need it typed ("unix:path=/x" stays, "a b" is quoted). */
char *decision_text_shell_word(const char *word);
