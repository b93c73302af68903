#include "agent.h"

#include <glib/gstdio.h>

#include "json-util.h"
#include "log.h"
#include "run.h"
#include "shiftd-names.h"
#include "time-span.h"

#define SHELL_TIMEOUT_USEC (60 * G_USEC_PER_SEC)
#define TOOL_OUTPUT_CAP 65536

static char *
agent_path(const char *name)
{
  char *path = NULL;
  if (sd_bus_path_encode(SHIFTD_AGENT_PATH_PREFIX, name, &path) < 0)
    g_error("out of memory");
  char *copy = g_strdup(path);
  free(path);
  return copy;
}

static Agent *
agent_new(Daemon *d, const char *name)
{
  Agent *a = g_new0(Agent, 1);
  a->daemon = d;
  a->name = g_strdup(name);
  a->path = agent_path(name);
  a->description = g_strdup("");
  a->instructions = g_strdup("");
  a->model = g_strdup("");
  a->tools = g_new0(char *, 1);
  a->schedule = g_strdup("");
  a->state = g_new0(ShiftdAgentState, 1);
  a->state->name = g_strdup(name);
  a->state->enabled = TRUE;
  a->state->last_run = g_strdup("");
  return a;
}

Agent *
agent_new_default(Daemon *d)
{
  Agent *a = agent_new(d, "default");
  shiftd_set_string(&a->description, "The built-in agent: no schedule, the built-in tools only");
  return a;
}

void
agent_free(Agent *a)
{
  if (a == NULL)
    return;
  g_free(a->name);
  g_free(a->path);
  g_free(a->file);
  g_free(a->description);
  g_free(a->instructions);
  g_free(a->model);
  g_strfreev(a->tools);
  g_free(a->schedule);
  shiftd_agent_state_free(a->state);
  g_free(a->decision_default);
  g_free(a);
}

Agent *
daemon_find_agent(Daemon *d, const char *name)
{
  return name ? g_hash_table_lookup(d->agents, name) : NULL;
}

Agent *
daemon_find_agent_by_path(Daemon *d, const char *path)
{
  char *name = NULL;
  if (sd_bus_path_decode(path, SHIFTD_AGENT_PATH_PREFIX, &name) <= 0)
    return NULL;
  Agent *a = daemon_find_agent(d, name);
  free(name);
  return a;
}

static gboolean
has_tool(Agent *a, const char *tool)
{
  return g_strv_contains((const char *const *)a->tools, tool);
}

/* A directory of the agent's own under the state dir, made on first use. */
static char *
agent_dir(Agent *a, const char *kind)
{
  char *dir = g_build_filename(a->daemon->state_dir, kind, a->name, NULL);
  if (g_mkdir_with_parents(dir, 0750) < 0)
    log_run(LOG_WARNING, NULL, a->name, "cannot create %s: %s", dir, g_strerror(errno));
  return dir;
}

void
agent_fill_worker_settings(Agent *a, Run *run, JsonObject *settings)
{
  json_object_set_string_member(settings, "instructions", a->instructions);
  JsonArray *tools = json_array_new();
  for (char **t = a->tools; *t; t++)
    json_array_add_string_element(tools, *t);
  json_object_set_array_member(settings, "tools", tools);
  json_object_set_int_member(settings, "max_steps", run->pending->max_steps);
  json_object_set_int_member(settings, "shell_timeout_usec", SHELL_TIMEOUT_USEC);
  json_object_set_int_member(settings, "output_cap", TOOL_OUTPUT_CAP);

  g_autofree char *workspace = NULL;
  if (has_tool(a, "shell") || has_tool(a, "read_file") || has_tool(a, "write_file"))
    workspace = agent_dir(a, "workspace");
  json_object_set_string_member(settings, "workspace", workspace ? workspace : "");

  g_autofree char *notes = NULL;
  if (has_tool(a, "notes")) {
    g_autofree char *dir = agent_dir(a, "notes");
    notes = g_build_filename(dir, "notes.md", NULL);
  }
  json_object_set_string_member(settings, "notes_path", notes ? notes : "");
}

const char *
agent_timer_unit(Agent *agent)
{
  return "";
}

void
agent_set_enabled(Agent *agent, gboolean enabled)
{
  agent->state->enabled = enabled;
}
