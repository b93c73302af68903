#include "access-rules.h"

#include <unistd.h>

#include "agent.h"
#include "run.h"

/* AnswerBy=/StartBy=, resolved when the file loaded: the caller's uid, or
 * one of the groups the bus says it has. */
static gboolean
principals_allow(const AgentPrincipals *ids, const CallerCreds *caller)
{
  for (guint i = 0; ids->uids && i < ids->uids->len; i++)
    if (g_array_index(ids->uids, uid_t, i) == caller->uid)
      return TRUE;
  for (guint i = 0; ids->gids && i < ids->gids->len; i++)
    for (guint j = 0; j < caller->gids->len; j++)
      if (g_array_index(ids->gids, gid_t, i) == g_array_index(caller->gids, gid_t, j))
        return TRUE;
  return FALSE;
}

/* Starting: the default agent is everyone's (it works as its caller); a
 * standing agent's runs are for its owner (User=) and StartBy=. */
static gboolean
start_allowed(Agent *agent, const CallerCreds *caller)
{
  if (agent == NULL)
    return FALSE;
  if (g_str_equal(agent->name, "default"))
    return TRUE;
  if (agent->user && agent->user->uid == caller->uid)
    return TRUE;
  return principals_allow(&agent->config->start_by_ids, caller);
}

gboolean
access_allowed_without_polkit(Daemon *d, const CallerCreds *caller, Run *run, Agent *agent, AccessAction action)
{
  uid_t uid = caller->uid;
  if (uid == 0 || uid == geteuid())
    return TRUE;
  switch (action) {
  case ACCESS_MANAGE:
    return FALSE;
  case ACCESS_START:
    return start_allowed(agent, caller);
  case ACCESS_CANCEL:
    return run != NULL && uid == run->published->owner;
  case ACCESS_ANSWER:
  case ACCESS_READ:
    if (run == NULL)
      return FALSE;
    if (uid == run->published->owner)
      return TRUE;
    Agent *a = daemon_find_agent(d, run->published->agent);
    return a != NULL && principals_allow(&a->config->answer_by_ids, caller);
  }
  return FALSE;
}

GStrv
access_readable_agents(Daemon *d, const CallerCreds *caller)
{
  if (caller->uid == 0 || caller->uid == geteuid())
    return NULL;
  g_autoptr(GStrvBuilder) names = g_strv_builder_new();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, d->agents);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    Agent *a = value;
    if (principals_allow(&a->config->answer_by_ids, caller))
      g_strv_builder_add(names, a->name);
  }
  return g_strv_builder_end(names);
}
