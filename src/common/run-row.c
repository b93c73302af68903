#include "run-row.h"

#include "shiftd-names.h"

ShiftdRunRow *
shiftd_run_row_new(void)
{
  ShiftdRunRow *r = g_new0(ShiftdRunRow, 1);
  r->name = g_strdup("");
  r->agent = g_strdup("default");
  r->task = g_strdup("");
  r->trigger = g_strdup("manual");
  r->state = g_strdup(SHIFTD_STATE_QUEUED);
  r->summary = g_strdup("");
  r->result = g_strdup("");
  r->error = g_strdup("");
  r->question = g_strdup("");
  r->choices = g_new0(char *, 1);
  r->unit = g_strdup("");
  r->model = g_strdup("");
  r->label = g_strdup("");
  return r;
}

ShiftdRunRow *
shiftd_run_row_copy(const ShiftdRunRow *s)
{
  ShiftdRunRow *r = g_memdup2(s, sizeof *s);
  r->name = g_strdup(s->name);
  r->agent = g_strdup(s->agent);
  r->task = g_strdup(s->task);
  r->trigger = g_strdup(s->trigger);
  r->state = g_strdup(s->state);
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
  g_free(r->trigger);
  g_free(r->state);
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
  g_free(r);
}

static const char *const final_states[] = {
  SHIFTD_STATE_DONE, SHIFTD_STATE_IDLE, SHIFTD_STATE_FAILED, SHIFTD_STATE_CANCELLED, NULL
};
static const char *const all_states[] = {
  SHIFTD_STATE_QUEUED, SHIFTD_STATE_RUNNING, SHIFTD_STATE_WAITING, SHIFTD_STATE_DONE,
  SHIFTD_STATE_IDLE, SHIFTD_STATE_FAILED, SHIFTD_STATE_CANCELLED, NULL
};

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
