/* Model tokens on the daemon's side: each model_reply's usage counted to its
 * run (TokensIn, TokensOut) and its agent (TokensToday, TokensTotal) in the
 * transaction that stores the event; today's count turned over at local
 * midnight; and the budgets (TokensPerRun=, TokensPerDay=) told to the worker
 * and kept by the daemon when it starts runs. The arithmetic of days is
 * schedule-rules.c's. */
#pragma once

#include <json-glib/json-glib.h>

#include "daemon.h"
#include "run.h"

/* A model_reply event's tokens_in and tokens_out (data), counted to the run's
 * record and its agent's state, both staged in t. */
void agent_tokens_count_reply(RunTxn *t, Run *run, JsonObject *data);
/* NULL when the agent may start a run at `now`; else why not, a sentence
 * (transfer full): its TokensPerDay= is spent. */
char *agent_tokens_refusal(Agent *agent, guint64 now);
/* The hello's "budget": the limits and what is used of them (0 = none). */
JsonObject *agent_tokens_budget(Agent *agent, const ShiftdRunRow *row, guint64 now);
/* Turns every agent's day over at each local midnight, and at once for
 * counts of an earlier day. */
int agent_tokens_start(Daemon *d);
void agent_tokens_stop(Daemon *d);
