#include "run-row.h"

#include "shiftd-names.h"

ShiftdRunRow *
shiftd_run_row_new(void)
{
  ShiftdRunRow *r = g_new0(ShiftdRunRow, 1);
  r->name = g_strdup("");
  r->agent = g_strdup("default");
  r->task = g_strdup("");
  r->trigger = SHIFTD_TRIGGER_MANUAL;
  r->state = SHIFTD_RUN_QUEUED;
  r->summary = g_strdup("");
  r->result = g_strdup("");
  r->error = g_strdup("");
  r->question = g_strdup("");
  r->choices = g_new0(char *, 1);
  r->unit = g_strdup("");
  r->model = g_strdup("");
  r->label = g_strdup("");
  r->parent = g_strdup("");
  r->children = g_new0(char *, 1);
  r->wait_child = g_strdup("");
  return r;
}

ShiftdRunRow *
shiftd_run_row_copy(const ShiftdRunRow *s)
{
  ShiftdRunRow *r = g_memdup2(s, sizeof *s);
  r->name = g_strdup(s->name);
  r->agent = g_strdup(s->agent);
  r->task = g_strdup(s->task);
  r->summary = g_strdup(s->summary);
  r->result = g_strdup(s->result);
  r->error = g_strdup(s->error);
  r->question = g_strdup(s->question);
  r->choices = g_strdupv(s->choices);
  r->decision_default = g_strdup(s->decision_default);
  r->unit = g_strdup(s->unit);
  r->model = g_strdup(s->model);
  r->label = g_strdup(s->label);
  r->answer = g_strdup(s->answer);
  r->parent = g_strdup(s->parent);
  r->children = g_strdupv(s->children);
  r->wait_child = g_strdup(s->wait_child);
  return r;
}

void
shiftd_run_row_free(ShiftdRunRow *r)
{
  if (r == NULL)
    return;
  g_free(r->name);
  g_free(r->agent);
  g_free(r->task);
  g_free(r->summary);
  g_free(r->result);
  g_free(r->error);
  g_free(r->question);
  g_strfreev(r->choices);
  g_free(r->decision_default);
  g_free(r->unit);
  g_free(r->model);
  g_free(r->label);
  g_free(r->answer);
  g_free(r->parent);
  g_strfreev(r->children);
  g_free(r->wait_child);
  g_free(r);
}

static const char *const final_states[] = {
  SHIFTD_STATE_DONE, SHIFTD_STATE_IDLE, SHIFTD_STATE_FAILED, SHIFTD_STATE_CANCELLED, NULL
};
static const char *const all_states[] = {
  SHIFTD_STATE_QUEUED, SHIFTD_STATE_RUNNING, SHIFTD_STATE_WAITING, SHIFTD_STATE_DONE,
  SHIFTD_STATE_IDLE, SHIFTD_STATE_FAILED, SHIFTD_STATE_CANCELLED, NULL
};

static const char *const state_names[] = {
  [SHIFTD_RUN_QUEUED] = SHIFTD_STATE_QUEUED, [SHIFTD_RUN_RUNNING] = SHIFTD_STATE_RUNNING,
  [SHIFTD_RUN_WAITING] = SHIFTD_STATE_WAITING, [SHIFTD_RUN_DONE] = SHIFTD_STATE_DONE,
  [SHIFTD_RUN_IDLE] = SHIFTD_STATE_IDLE, [SHIFTD_RUN_FAILED] = SHIFTD_STATE_FAILED,
  [SHIFTD_RUN_CANCELLED] = SHIFTD_STATE_CANCELLED,
};
static const char *const trigger_names[] = {
  [SHIFTD_TRIGGER_MANUAL] = "manual", [SHIFTD_TRIGGER_SCHEDULE] = "schedule", [SHIFTD_TRIGGER_REVIEW] = "review",
  [SHIFTD_TRIGGER_WATCH] = "watch", [SHIFTD_TRIGGER_DELEGATED] = "delegated",
};

static gboolean
lookup(const char *const *names, guint n, const char *name, int *out)
{
  for (guint i = 0; name && i < n; i++)
    if (g_str_equal(names[i], name)) {
      *out = (int)i;
      return TRUE;
    }
  return FALSE;
}

const char *
shiftd_run_state_to_string(ShiftdRunState state)
{
  return (guint)state < G_N_ELEMENTS(state_names) ? state_names[state] : "?";
}

gboolean
shiftd_run_state_from_string(const char *name, ShiftdRunState *out)
{
  int i;
  if (!lookup(state_names, G_N_ELEMENTS(state_names), name, &i))
    return FALSE;
  *out = (ShiftdRunState)i;
  return TRUE;
}

gboolean
shiftd_run_state_final(ShiftdRunState state)
{
  return state >= SHIFTD_RUN_DONE;
}

gboolean
shiftd_run_state_live(ShiftdRunState state)
{
  return state <= SHIFTD_RUN_WAITING;
}

const char *
shiftd_run_trigger_to_string(ShiftdRunTrigger trigger)
{
  return (guint)trigger < G_N_ELEMENTS(trigger_names) ? trigger_names[trigger] : "?";
}

gboolean
shiftd_run_trigger_from_string(const char *name, ShiftdRunTrigger *out)
{
  int i;
  if (!lookup(trigger_names, G_N_ELEMENTS(trigger_names), name, &i))
    return FALSE;
  *out = (ShiftdRunTrigger)i;
  return TRUE;
}

gboolean
shiftd_run_state_is_final(const char *state)
{
  return state && g_strv_contains(final_states, state);
}

gboolean
shiftd_run_state_is_valid(const char *state)
{
  return state && g_strv_contains(all_states, state);
}

gboolean
shiftd_set_string(char **field, const char *value)
{
  if (g_strcmp0(*field, value) == 0)
    return FALSE;
  g_free(*field);
  *field = g_strdup(value);
  return TRUE;
}

ShiftdAgentState *
shiftd_agent_state_copy(const ShiftdAgentState *s)
{
  ShiftdAgentState *a = g_memdup2(s, sizeof *s);
  a->name = g_strdup(s->name);
  a->last_run = g_strdup(s->last_run);
  return a;
}

void
shiftd_agent_state_free(ShiftdAgentState *a)
{
  if (a == NULL)
    return;
  g_free(a->name);
  g_free(a->last_run);
  g_free(a);
}
