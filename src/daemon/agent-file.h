/* agents.d/NAME.agent: what a standing agent does, when it wakes, how it rests,
 * its sandbox and who may answer its questions. */
#pragma once

#include <glib.h>

#include "model-provider.h"
#include "wake-defer.h"

#define AGENT_FILE_SUFFIX ".agent"

/* ContextTokens=: the model's context window. Below the minimum the system
 * prompt and the tool schemas alone would not fit. */
#define AGENT_CONTEXT_TOKENS_DEFAULT 32000
#define AGENT_CONTEXT_TOKENS_MIN 1000
#define AGENT_CONTEXT_TOKENS_MAX 100000000

typedef struct {
  gboolean set;
  guint start_minute; /* minutes after local midnight */
  guint end_minute;
} QuietHours;

/* AnswerBy=/StartBy= as numbers, resolved in the user database when the file
 * loads (agent-registry.c), so that no access check asks it. NULL arrays
 * until then: nobody. */
typedef struct {
  GArray *uids; /* uid_t */
  GArray *gids; /* gid_t */
} AgentPrincipals;

typedef struct {
  char *name;
  char *path;
  /* [Agent] */
  char *description;
  char *instructions;
  char *model;
  ShiftdProvider provider; /* UNSET: [Model] Provider= */
  char **tools;
  guint context_tokens;   /* the worker compacts the conversation to stay below it */
  guint64 tokens_per_run; /* model tokens (in + out) a run may use; 0: no limit */
  guint64 tokens_per_day; /* the agent's runs together, since local midnight; 0: no limit */
  char **mcp;             /* MCP server names ([MCP NAME] in shiftd.conf) */
  guint mcp_line;         /* where MCP= is, for agent_config_check_mcp() */
  char **delegates;       /* agents whose runs its runs may start (start_run) */
  /* [Schedule] */
  guint64 every;          /* 0: none */
  char *on_calendar;      /* NULL: none */
  guint64 max_interval;   /* 0: 8 x Every */
  QuietHours quiet_hours;
  guint64 review_every;   /* 0: no review beat */
  char *wake_if;          /* NULL: always work */
  char **watch_paths;     /* WatchPath=: absolute, canonical; empty: none */
  char **start_by;        /* user names, uids and @groups who may start its runs */
  guint defer_on;         /* WakeCondition bits: OnBattery=, OnMetered=, PowerSaver= set to defer */
  guint64 max_defer;      /* MaxDefer=: a held wake runs after this long */
  /* [Sandbox] */
  char *user;
  guint64 memory_max;     /* bytes; 0: unset */
  guint cpu_quota_permille; /* tenths of a percent; 0: unset */
  guint64 tasks_max;      /* 0: unset */
  guint64 runtime_max;    /* µs; 0: unset */
  char **read_write_paths;
  gboolean private_network;
  /* [Decisions] */
  guint64 decision_timeout;
  char *decision_default;
  char **answer_by;       /* user names and @groups */
  AgentPrincipals answer_by_ids;
  AgentPrincipals start_by_ids;
} AgentConfig;

void agent_config_free(AgentConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AgentConfig, agent_config_free)

gboolean agent_name_is_valid(const char *name);
/* Reads and checks one file; errors say "FILE:LINE: reason". */
AgentConfig *agent_config_load(const char *path, GError **error);
AgentConfig *agent_config_parse(const char *path, const char *text, gsize length, GError **error);
/* Every MCP= name must be a server of servers (ShiftdMcpServer*); errors
 * say "FILE:LINE: reason". */
gboolean agent_config_check_mcp(const AgentConfig *config, GPtrArray *servers, GError **error);
/* WatchPath= names at least one path. */
gboolean agent_config_watches(const AgentConfig *config);
/* The schedule as one line: "every 15min", "OnCalendar=daily", "", with
 * ", watch PATH..." after it (or alone) for WatchPath=. */
char *agent_config_describe_schedule(const AgentConfig *config);
