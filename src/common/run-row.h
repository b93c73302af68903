/* A run's persistent record: what the store keeps and the bus shows. */
#pragma once

#include <glib.h>

/* The states of DESIGN.md; on the bus and in the store by name. */
typedef enum {
  SHIFTD_RUN_QUEUED,
  SHIFTD_RUN_RUNNING,
  SHIFTD_RUN_WAITING,
  SHIFTD_RUN_DONE,
  SHIFTD_RUN_IDLE,
  SHIFTD_RUN_FAILED,
  SHIFTD_RUN_CANCELLED,
} ShiftdRunState;

/* How a run began. */
typedef enum {
  SHIFTD_TRIGGER_MANUAL,
  SHIFTD_TRIGGER_SCHEDULE,
  SHIFTD_TRIGGER_REVIEW,
  SHIFTD_TRIGGER_WATCH,
  SHIFTD_TRIGGER_DELEGATED,
} ShiftdRunTrigger;

const char *shiftd_run_state_to_string(ShiftdRunState state);
gboolean shiftd_run_state_from_string(const char *name, ShiftdRunState *out);
/* done, idle, failed, cancelled */
gboolean shiftd_run_state_final(ShiftdRunState state);
/* queued, running, waiting */
gboolean shiftd_run_state_live(ShiftdRunState state);
const char *shiftd_run_trigger_to_string(ShiftdRunTrigger trigger);
gboolean shiftd_run_trigger_from_string(const char *name, ShiftdRunTrigger *out);

typedef struct {
  char *name;
  char *agent;
  char *task;
  ShiftdRunTrigger trigger;
  ShiftdRunState state;
  char *summary;
  char *result;
  char *error;
  char *question;
  char **choices;
  char *decision_default; /* NULL: no default */
  guint64 decision_deadline;
  guint32 step;
  guint32 attempt;
  guint32 event_count;
  guint64 created_at;
  guint64 started_at;
  guint64 updated_at;
  guint64 finished_at;
  char *unit;
  guint32 owner;
  /* StartRun options */
  char *model; /* "" = the agent's or the daemon's */
  guint32 max_steps;
  guint64 timeout_usec;
  char *label;
  /* time spent in earlier attempts, counted against timeout_usec */
  guint64 active_usec;
  /* an answer not yet handed to a worker; NULL when none */
  char *answer;
  /* model tokens, the sum of the model_reply events' usage */
  guint64 tokens_in;
  guint64 tokens_out;
  /* start_run: the run that started this one ("" none), how many runs up
   * the chain there are (0 for a run nobody started), the runs this one
   * started (by creation) and the child it waits for ("" none) */
  char *parent;
  guint32 depth;
  char **children;
  char *wait_child;
} ShiftdRunRow;

ShiftdRunRow *shiftd_run_row_new(void);
ShiftdRunRow *shiftd_run_row_copy(const ShiftdRunRow *row);
void shiftd_run_row_free(ShiftdRunRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdRunRow, shiftd_run_row_free)

/* The same by name (for clients, which see names). */
gboolean shiftd_run_state_is_final(const char *state);
gboolean shiftd_run_state_is_valid(const char *state);
/* Replaces *field with a copy of value; TRUE when it changed. */
gboolean shiftd_set_string(char **field, const char *value);

/* A standing agent's persistent schedule state. */
typedef struct {
  char *name;
  gboolean enabled;
  guint64 current_interval;
  guint32 idle_streak;
  guint64 next_wake;
  guint64 last_run_at;
  char *last_run;
  guint64 last_review_at;
  /* model tokens of its runs: in all, and on the local day that began at
   * tokens_day (agent-tokens.c turns the day over) */
  guint64 tokens_total;
  guint64 tokens_today;
  guint64 tokens_day;
} ShiftdAgentState;

ShiftdAgentState *shiftd_agent_state_copy(const ShiftdAgentState *state);
void shiftd_agent_state_free(ShiftdAgentState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdAgentState, shiftd_agent_state_free)
