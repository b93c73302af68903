/* Agents: the built-in `default` and (later) the standing agents of agents.d. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "daemon.h"
#include "run-row.h"

struct Agent {
  Daemon *daemon;
  char *name;
  char *path;
  char *file;          /* the .agent file, NULL for the built-in default */
  char *description;
  char *instructions;  /* the task of every wake */
  char *model;         /* "" = the daemon's */
  char **tools;        /* opt-in tools */
  char *schedule;      /* as written: "every 15min", "daily", "" */
  guint64 base_interval;
  guint64 max_interval;
  ShiftdAgentState *state;
  /* [Decisions] */
  guint64 decision_timeout;
  char *decision_default;
};

Agent *agent_new_default(Daemon *d);
void agent_free(Agent *agent);

Agent *daemon_find_agent(Daemon *d, const char *name);
Agent *daemon_find_agent_by_path(Daemon *d, const char *path);

/* The "settings" member of a worker's hello. */
void agent_fill_worker_settings(Agent *agent, Run *run, JsonObject *settings);



/* The transient timer unit arming its wakes ("" in the embedded backend). */
const char *agent_timer_unit(Agent *agent);
void agent_set_enabled(Agent *agent, gboolean enabled);
