/* Who may do what, as rules on numbers: the owner of a run, root, and (for
 * answers and reading) the users and groups its agent's AnswerBy= names; for
 * starting a standing agent's runs its User= and StartBy=. Anyone else only
 * if polkit grants the action (access.c asks). */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "daemon.h"

typedef enum {
  ACCESS_READ,    /* org.shiftd.Shift1.read-foreign */
  ACCESS_ANSWER,  /* org.shiftd.Shift1.answer */
  ACCESS_CANCEL,  /* org.shiftd.Shift1.cancel-foreign */
  ACCESS_MANAGE,  /* org.shiftd.Shift1.manage-agents */
  ACCESS_START,   /* org.shiftd.Shift1.start-agent: runs of a standing agent */
} AccessAction;

/* What the bus daemon says of a connection (GetConnectionCredentials),
 * never what the message body says. */
typedef struct {
  uid_t uid;
  GArray *gids; /* gid_t: its primary and supplementary groups; empty when the bus does not say */
} CallerCreds;

/* What a caller whose credentials are at hand may do without asking polkit.
 * Compares numbers only: AnswerBy=/StartBy= were resolved when the agent
 * file loaded, the caller's groups come from the bus. */
gboolean access_allowed_without_polkit(Daemon *d, const CallerCreds *caller, Run *run, Agent *agent,
                                       AccessAction action);
/* For lists: NULL when the caller may read every run; else the agents whose
 * runs it may read besides its own (AnswerBy=, its uid or groups). */
GStrv access_readable_agents(Daemon *d, const CallerCreds *caller);
