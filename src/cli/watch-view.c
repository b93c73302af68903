#include "watch-view.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "output.h"
#include "run-row.h"
#include "shiftd-names.h"
#include "table.h"

/* the highlight of what waits for a person */
#define SGR_PENDING "\033[1;30;43m"

static void
watch_run_free(WatchRun *r)
{
  g_free(r->name);
  g_free(r->agent);
  g_free(r->state);
  g_free(r->summary);
  g_free(r);
}

static void
watch_decision_free(WatchDecision *d)
{
  g_free(d->name);
  g_free(d->question);
  g_strfreev(d->choices);
  g_free(d);
}

static void
watch_agent_free(WatchAgent *a)
{
  g_free(a->name);
  g_free(a->schedule);
  g_free(a->last_state);
  g_free(a);
}

WatchModel *
watch_model_new(void)
{
  WatchModel *m = g_new0(WatchModel, 1);
  m->where = g_strdup("");
  m->version = g_strdup("");
  m->runs = g_ptr_array_new_with_free_func((GDestroyNotify)watch_run_free);
  m->decisions = g_ptr_array_new_with_free_func((GDestroyNotify)watch_decision_free);
  m->agents = g_ptr_array_new_with_free_func((GDestroyNotify)watch_agent_free);
  return m;
}

void
watch_model_free(WatchModel *m)
{
  if (m == NULL)
    return;
  g_free(m->where);
  g_free(m->version);
  g_free(m->problem);
  g_ptr_array_unref(m->runs);
  g_ptr_array_unref(m->decisions);
  g_ptr_array_unref(m->agents);
  g_free(m);
}

WatchRun *
watch_run_new(const char *name, const char *agent, const char *state, const char *summary, guint64 created)
{
  WatchRun *r = g_new0(WatchRun, 1);
  r->name = g_strdup(name);
  r->agent = g_strdup(agent);
  r->state = g_strdup(state);
  r->summary = g_strdup(summary);
  r->created = created;
  return r;
}

WatchDecision *
watch_decision_new(const char *name, const char *question, const char *const *choices, guint64 deadline)
{
  WatchDecision *d = g_new0(WatchDecision, 1);
  d->name = g_strdup(name);
  d->question = g_strdup(question);
  d->choices = g_strdupv((char **)choices);
  if (d->choices == NULL)
    d->choices = g_new0(char *, 1);
  d->deadline = deadline;
  return d;
}

WatchAgent *
watch_agent_new(const char *name, const char *schedule, guint64 next_wake, gboolean enabled, const char *last_state)
{
  WatchAgent *a = g_new0(WatchAgent, 1);
  a->name = g_strdup(name);
  a->schedule = g_strdup(schedule);
  a->next_wake = next_wake;
  a->enabled = enabled;
  a->last_state = g_strdup(last_state);
  return a;
}

/* waiting, running, queued, then the finished ones; newest first within each */
static int
run_rank(const char *state)
{
  if (g_str_equal(state, SHIFTD_STATE_WAITING))
    return 0;
  if (g_str_equal(state, SHIFTD_STATE_RUNNING))
    return 1;
  if (g_str_equal(state, SHIFTD_STATE_QUEUED))
    return 2;
  return 3;
}

static gint
compare_runs(gconstpointer a, gconstpointer b)
{
  const WatchRun *x = *(WatchRun *const *)a, *y = *(WatchRun *const *)b;
  int rx = run_rank(x->state), ry = run_rank(y->state);
  if (rx != ry)
    return rx - ry;
  if (x->created != y->created)
    return x->created > y->created ? -1 : 1;
  return strcmp(x->name, y->name);
}

static gint
compare_decisions(gconstpointer a, gconstpointer b)
{
  const WatchDecision *x = *(WatchDecision *const *)a, *y = *(WatchDecision *const *)b;
  /* the nearest deadline first; none last */
  guint64 dx = x->deadline ? x->deadline : G_MAXUINT64, dy = y->deadline ? y->deadline : G_MAXUINT64;
  if (dx != dy)
    return dx < dy ? -1 : 1;
  return strcmp(x->name, y->name);
}

static gint
compare_agents(gconstpointer a, gconstpointer b)
{
  return strcmp((*(WatchAgent *const *)a)->name, (*(WatchAgent *const *)b)->name);
}

typedef struct {
  GString *out;
  const WatchScreen *screen;
  guint lines;
} Frame;

/* One line, cut to the width. */
static void
emit(Frame *f, const char *line)
{
  g_autofree char *fitted = f->screen->width ? cli_text_truncate_sgr(line, f->screen->width) : g_strdup(line);
  g_string_append(f->out, fitted);
  g_string_append_c(f->out, '\n');
  f->lines++;
}

static void
emit_block(Frame *f, const char *text, guint max_lines)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i] && lines[i][0] && i < max_lines; i++)
    emit(f, lines[i]);
}

static void
emit_heading(Frame *f, const char *title)
{
  g_autofree char *bold = cli_colorize(title, CLI_SGR_BOLD, f->screen->color);
  emit(f, bold);
}

/* "shiftd 0.1.0 on the session bus" */
static char *
title_line(const WatchModel *m)
{
  g_autofree char *shiftd = m->version[0] ? g_strdup_printf("shiftd %s", m->version) : g_strdup("shiftd");
  /* TRANSLATORS: "shiftd VERSION" and where it is: "the session bus" or the like */
  return g_strdup_printf(_("%s on %s"), shiftd, m->where);
}

/* "3 active runs · 1 waits for you · model slots 1/2 busy" */
static char *
counts_line(const WatchModel *m, const WatchScreen *s)
{
  GString *line = g_string_new(NULL);
  g_string_append_printf(line, ngettext("%u active run", "%u active runs", m->active), m->active);
  if (m->decisions->len > 0) {
    g_string_append(line, " \xc2\xb7 ");
    g_autofree char *waiting = g_strdup_printf(ngettext("%u waits for you", "%u wait for you", m->decisions->len),
                                               m->decisions->len);
    g_autofree char *shown = cli_colorize(waiting, SGR_PENDING, s->color);
    g_string_append(line, shown);
  }
  if (m->slots > 0) {
    g_string_append(line, " \xc2\xb7 ");
    g_string_append_printf(line, _("model slots %u/%u busy"), m->slots_in_use, m->slots);
    if (m->queue_length > 0) {
      g_string_append(line, ", ");
      g_string_append_printf(line, ngettext("%u run waits for one", "%u runs wait for one", m->queue_length),
                             m->queue_length);
    }
  }
  return g_string_free(line, FALSE);
}

static void
emit_decisions(Frame *f, GPtrArray *decisions)
{
  const WatchScreen *s = f->screen;
  emit_heading(f, _("Waiting for you"));
  for (guint i = 0; i < decisions->len; i++) {
    const WatchDecision *d = decisions->pdata[i];
    g_autofree char *flat = g_strdelimit(g_strdup(d->question), "\n\r\t", ' ');
    /* highlighted with a margin of one space on either side */
    g_autofree char *head = g_strdup_printf("%s\xe2\x96\xb6 %s: %s%s", s->color ? " " : "", d->name, flat,
                                            s->color ? " " : "");
    g_autofree char *shown = cli_colorize(head, SGR_PENDING, s->color);
    emit(f, shown);
    GString *detail = g_string_new(s->color ? "   " : "  ");
    if (d->choices[0] != NULL) {
      g_autofree char *list = g_strjoinv(" / ", d->choices);
      g_string_append_printf(detail, "[%s]  ", list);
    }
    if (d->deadline != 0) {
      g_autofree char *when = cli_format_relative(s->now, d->deadline);
      /* TRANSLATORS: %s is a time such as "in 57 min" */
      g_string_append_printf(detail, _("deadline %s"), when);
      g_string_append(detail, "  ");
    }
    g_autofree char *name = cli_shell_quote(d->name);
    g_string_append_printf(detail, "shiftctl %sanswer %s", s->answer_flags ? s->answer_flags : "", name);
    g_autofree char *text = g_string_free(detail, FALSE);
    emit(f, text);
  }
  emit(f, "");
}

static void
emit_agents(Frame *f, GPtrArray *agents)
{
  const WatchScreen *s = f->screen;
  emit_heading(f, _("Agents"));
  const char *const headers[] = { _("NAME"), _("SCHEDULE"), _("NEXT-WAKE"), _("LAST-RUN") };
  g_autoptr(CliTable) table = cli_table_new(G_N_ELEMENTS(headers), headers);
  for (guint i = 0; i < agents->len; i++) {
    const WatchAgent *a = agents->pdata[i];
    g_autofree char *wake = a->next_wake ? cli_format_relative(s->now, a->next_wake) : NULL;
    const char *cells[] = { a->name, a->schedule, a->enabled ? wake : _("disabled"), a->last_state };
    guint r = cli_table_add_row(table, cells);
    if (a->last_state)
      cli_table_set_sgr(table, r, 3, cli_state_sgr(a->last_state));
  }
  g_autofree char *text = cli_table_render(table, s->color, s->width, TRUE);
  emit_block(f, text, G_MAXUINT);
}

static void
emit_runs(Frame *f, GPtrArray *runs, guint max_lines)
{
  const WatchScreen *s = f->screen;
  emit_heading(f, _("Runs"));
  if (runs->len == 0) {
    emit(f, _("No runs."));
    return;
  }
  /* the heading and the table's header are lines too; keep one for "… more" */
  guint room = max_lines > 3 ? max_lines - 2 : 1;
  guint shown = runs->len <= room ? runs->len : room - 1;
  const char *const headers[] = { _("NAME"), _("AGENT"), _("STATE"), _("CREATED"), _("SUMMARY") };
  g_autoptr(CliTable) table = cli_table_new(G_N_ELEMENTS(headers), headers);
  for (guint i = 0; i < shown; i++) {
    const WatchRun *r = runs->pdata[i];
    g_autofree char *when = cli_format_relative(s->now, r->created);
    const char *cells[] = { r->name, r->agent, r->state, when, r->summary };
    guint row = cli_table_add_row(table, cells);
    cli_table_set_sgr(table, row, 2, cli_state_sgr(r->state));
    if (g_str_equal(r->state, SHIFTD_STATE_WAITING))
      cli_table_set_sgr(table, row, 0, SGR_PENDING);
  }
  g_autofree char *text = cli_table_render(table, s->color, s->width, TRUE);
  emit_block(f, text, G_MAXUINT);
  if (shown < runs->len) {
    g_autofree char *more = g_strdup_printf(ngettext("\xe2\x80\xa6 and %u more run", "\xe2\x80\xa6 and %u more runs",
                                                     runs->len - shown),
                                            runs->len - shown);
    emit(f, more);
  }
}

char *
watch_render(const WatchModel *m, const WatchScreen *s)
{
  Frame f = { g_string_new(NULL), s, 0 };
  /* sorted views; the model keeps the entries (a copy would take its free function too) */
  g_autoptr(GPtrArray) runs = g_ptr_array_new();
  g_autoptr(GPtrArray) decisions = g_ptr_array_new();
  g_autoptr(GPtrArray) agents = g_ptr_array_new();
  g_ptr_array_extend(runs, m->runs, NULL, NULL);
  g_ptr_array_extend(decisions, m->decisions, NULL, NULL);
  g_ptr_array_extend(agents, m->agents, NULL, NULL);
  g_ptr_array_sort(runs, compare_runs);
  g_ptr_array_sort(decisions, compare_decisions);
  g_ptr_array_sort(agents, compare_agents);

  g_autofree char *title = title_line(m);
  g_autofree char *bold = cli_colorize(title, CLI_SGR_BOLD, s->color);
  emit(&f, bold);
  if (m->problem != NULL) {
    g_autofree char *problem = cli_colorize(m->problem, cli_state_sgr(SHIFTD_STATE_FAILED), s->color);
    emit(&f, problem);
  } else {
    g_autofree char *counts = counts_line(m, s);
    emit(&f, counts);
  }
  emit(&f, "");
  if (decisions->len > 0)
    emit_decisions(&f, decisions);

  /* the agents and the footer are kept whole; the runs get what is left */
  guint agent_lines = agents->len > 0 ? agents->len + 3 : 0;
  guint footer_lines = s->height ? 2 : 0;
  guint left = G_MAXUINT;
  if (s->height) {
    guint used = f.lines + agent_lines + footer_lines;
    left = s->height > used + 4 ? s->height - used : 4;
  }
  emit_runs(&f, runs, left);
  if (agents->len > 0) {
    emit(&f, "");
    emit_agents(&f, agents);
  }
  if (s->height) {
    emit(&f, "");
    g_autofree char *hint = cli_colorize(_("Ctrl-C to quit"), CLI_SGR_DIM, s->color);
    emit(&f, hint);
  }
  return g_string_free(f.out, FALSE);
}

char *
watch_to_json(const WatchModel *m)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "active");
  json_builder_add_int_value(b, m->active);
  if (m->problem) {
    json_builder_set_member_name(b, "problem");
    json_builder_add_string_value(b, m->problem);
  }
  json_builder_set_member_name(b, "decisions");
  json_builder_begin_array(b);
  for (guint i = 0; i < m->decisions->len; i++) {
    const WatchDecision *d = m->decisions->pdata[i];
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, d->name);
    json_builder_set_member_name(b, "question");
    json_builder_add_string_value(b, d->question);
    json_builder_set_member_name(b, "choices");
    json_builder_begin_array(b);
    for (char **c = d->choices; *c; c++)
      json_builder_add_string_value(b, *c);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "decision_deadline");
    json_builder_add_int_value(b, (gint64)d->deadline);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "runs");
  json_builder_begin_array(b);
  for (guint i = 0; i < m->runs->len; i++) {
    const WatchRun *r = m->runs->pdata[i];
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, r->name);
    json_builder_set_member_name(b, "agent");
    json_builder_add_string_value(b, r->agent);
    json_builder_set_member_name(b, "state");
    json_builder_add_string_value(b, r->state);
    json_builder_set_member_name(b, "summary");
    json_builder_add_string_value(b, r->summary);
    json_builder_set_member_name(b, "created_at");
    json_builder_add_int_value(b, (gint64)r->created);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "agents");
  json_builder_begin_array(b);
  for (guint i = 0; i < m->agents->len; i++) {
    const WatchAgent *a = m->agents->pdata[i];
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, a->name);
    json_builder_set_member_name(b, "schedule");
    json_builder_add_string_value(b, a->schedule);
    json_builder_set_member_name(b, "next_wake");
    json_builder_add_int_value(b, (gint64)a->next_wake);
    json_builder_set_member_name(b, "enabled");
    json_builder_add_boolean_value(b, a->enabled);
    if (a->last_state) {
      json_builder_set_member_name(b, "last_run_state");
      json_builder_add_string_value(b, a->last_state);
    }
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return json_to_string(root, FALSE);
}
