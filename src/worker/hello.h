/* The daemon's `hello`, checked and turned into plain fields. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "model-provider.h"

typedef struct {
  char *run;
  char *agent;
  char *trigger;
  char *task;
  guint attempt;
  guint step;           /* model calls made by earlier attempts */
  JsonArray *messages;  /* the checkpoint (mutable copy), NULL = fresh start */
  char *answer;         /* NULL unless resuming after ask_human */
  char *answered_by;

  /* settings */
  char *instructions;
  GStrv tools;          /* opt-in tools */
  GStrv delegates;      /* the agents start_run may start (Delegates=); may be empty */
  guint max_steps;      /* 0 = no limit */
  guint64 shell_timeout_usec;
  gsize output_cap;
  guint context_tokens; /* the model's context window: the conversation is compacted to fit */
  char *workspace;      /* "" = none */
  char *notes_path;     /* "" = none */
  gboolean private_network; /* shell commands run without network */
  char *wake_if;        /* "" = none: the precheck before a fresh start's first model call */
  gboolean state_directory; /* workspace and notes_path are relative to $STATE_DIRECTORY */
  gboolean review;      /* the review beat: sees the notes, and its result replaces them */
  char *unconfined;     /* NULL, or why commands cannot be confined (they are refused) */
  GPtrArray *mcp;       /* ShiftdMcpServer* (mcp-config.h): the MCP servers it may use */

  /* model */
  char *base_url;
  ShiftdProvider provider; /* never UNSET; absent means openai */
  char *model_name;
  char *api_key;        /* "" = none; never logged */
  guint64 timeout_usec; /* 0 = no timeout */
  guint retries;
  guint64 retry_delay_usec;

  /* budget: model tokens (in + out), limits and what earlier calls used; 0 = no limit */
  guint64 tokens_per_run;
  guint64 tokens_run_used;
  guint64 tokens_per_day;
  guint64 tokens_day_used; /* by the agent's runs since local midnight */
} ShiftdHello;

/* Fails with SHIFTD_WORKER_ERROR_FAILED and a sentence saying what is wrong,
 * including "protocol version N not supported". */
ShiftdHello *shiftd_hello_parse(JsonObject *message, GError **error);
void shiftd_hello_free(ShiftdHello *hello);
gboolean shiftd_hello_tool_enabled(const ShiftdHello *hello, const char *tool);
/* Makes workspace and notes_path absolute (under state_dir, the unit's
 * $STATE_DIRECTORY, when the hello says so) and creates their directories. */
gboolean shiftd_hello_prepare_dirs(ShiftdHello *hello, const char *state_dir, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdHello, shiftd_hello_free)
