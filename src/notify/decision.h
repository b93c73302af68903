/* One run's pending decision on the desktop: its notification, a button per
 * choice, its urgency (raised to critical when the deadline comes within the
 * hour), and its withdrawal. */
#pragma once

#include <glib.h>

#include "decision-text.h"

typedef struct {
  const char *const *shiftctl_options; /* borrowed; outlives every decision */
  /* A choice's button was clicked. */
  void (*answer)(const char *name, const char *path, const char *choice, gpointer user_data);
  /* The notification itself was clicked (the "default" action). */
  void (*open)(const char *name, gpointer user_data);
  gpointer user_data;
} DecisionHandlers;

typedef struct _Decision Decision;

/* Shows it; NULL with error when the notification server cannot be reached. */
Decision *decision_show(const DecisionInfo *info, const DecisionHandlers *handlers, GError **error);
/* DecisionDeadline changed while the run waits. */
void decision_set_deadline(Decision *d, guint64 deadline);
/* Closes the notification (unless the server already did) and frees the
 * decision once the server confirms, or after a few seconds. Until then a
 * click that crossed the withdrawal still reaches the answer handler, so the
 * person learns that their answer was not taken. `why` goes to the log. */
void decision_withdraw(Decision *d, const char *why);
