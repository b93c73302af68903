#include "agent-registry.h"

#include "agent.h"

void
agent_registry_init(Daemon *d)
{
  d->agents = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)agent_free);
  Agent *def = agent_new_default(d);
  g_hash_table_insert(d->agents, def->name, def);
}

void
agent_registry_free(Daemon *d)
{
  g_clear_pointer(&d->agents, g_hash_table_unref);
}

static int
compare_agents(gconstpointer a, gconstpointer b)
{
  const Agent *x = *(Agent *const *)a;
  const Agent *y = *(Agent *const *)b;
  return g_strcmp0(x->name, y->name);
}

GPtrArray *
agent_registry_sorted(Daemon *d)
{
  GPtrArray *list = g_ptr_array_new();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, d->agents);
  while (g_hash_table_iter_next(&it, NULL, &value))
    g_ptr_array_add(list, value);
  g_ptr_array_sort(list, compare_agents);
  return list;
}

GPtrArray *
agent_registry_reload(Daemon *d)
{
  return g_ptr_array_new_with_free_func(g_free);
}

guint64
agent_next_wake(Agent *agent)
{
  return agent->state->next_wake;
}
