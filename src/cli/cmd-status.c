/* status: a run at a glance, like systemctl status. */
#include <glib/gi18n.h>
#include <stdio.h>

#include "cli-context.h"
#include "event-render.h"
#include "output.h"
#include "props.h"
#include "run-api.h"
#include "run-print.h"
#include "run-row.h"
#include "run-tree.h"
#include "shiftd-names.h"
#include "table.h"

/* Events shown without -n. */
#define RECENT_EVENTS 5

/* The labels, right-aligned on one column whatever their language. */
static const char *const labels[] = {
  N_("Agent"),   N_("State"), N_("Trigger"),  N_("Task"),     N_("Progress"), N_("Created"),
  N_("Started"), N_("Updated"), N_("Finished"), N_("Unit"),   N_("Owner"),    N_("Tokens"), N_("Question"),
  N_("Choices"), N_("Deadline"), N_("Answer"),  N_("Result"), N_("Error"),    N_("Parent"),
  N_("Children"),
};

typedef struct {
  CliContext *ctx;
  guint column; /* label width */
} Block;

/* "      Label: value", with later lines of value indented under the first. */
static void
field(Block *b, const char *label, const char *value)
{
  if (value == NULL || value[0] == '\0')
    return;
  const char *shown = _(label);
  g_auto(GStrv) lines = g_strsplit(value, "\n", -1);
  for (guint pad = cli_text_width(shown); pad < b->column; pad++)
    putchar(' ');
  printf("%s: %s\n", shown, lines[0]);
  for (char **l = lines + 1; *l; l++)
    printf("%*s%s\n", (int)b->column + 2, "", *l);
}

static void
time_field(Block *b, const char *label, GVariant *props, const char *key)
{
  guint64 usec = cli_props_u64(props, key);
  if (usec == 0)
    return;
  g_autofree char *when = cli_format_when(b->ctx->now, usec, b->ctx->tz);
  field(b, label, when);
}

/* Where the run is in the run tree: the run that started it, those it started. */
static void
tree_fields(Block *b, CliTreeRun *parent, GPtrArray *children)
{
  if (parent) {
    g_autofree char *line = cli_tree_run_describe(parent);
    field(b, N_("Parent"), line);
  }
  g_autoptr(GString) lines = g_string_new(NULL);
  for (guint i = 0; i < children->len; i++) {
    g_autofree char *line = cli_tree_run_describe(children->pdata[i]);
    g_string_append_printf(lines, "%s%s", i ? "\n" : "", line);
  }
  field(b, N_("Children"), lines->str);
}

static void
print_block(CliContext *ctx, const char *name, GVariant *props, GPtrArray *events, CliTreeRun *parent,
            GPtrArray *children)
{
  Block b = { ctx, 11 };
  for (gsize i = 0; i < G_N_ELEMENTS(labels); i++)
    b.column = MAX(b.column, cli_text_width(_(labels[i])));
  const char *state = cli_props_str(props, "State");
  const char *summary = cli_props_str(props, "Summary");
  g_autofree char *dot = cli_colorize("\xe2\x97\x8f", cli_state_sgr(state), ctx->color);
  g_autofree char *shown_state = cli_colorize(state, cli_state_sgr(state), ctx->color);

  printf("%s %s%s%s\n", dot, name, summary[0] ? " - " : "", summary);
  field(&b, N_("Agent"), cli_props_str(props, "Agent"));
  field(&b, N_("State"), shown_state);
  field(&b, N_("Trigger"), cli_props_str(props, "Trigger"));
  field(&b, N_("Task"), cli_props_str(props, "Task"));
  g_autofree char *progress = g_strdup_printf(_("step %u, attempt %u"), cli_props_u32(props, "Step"),
                                              cli_props_u32(props, "Attempt"));
  field(&b, N_("Progress"), progress);
  time_field(&b, N_("Created"), props, "CreatedAt");
  time_field(&b, N_("Started"), props, "StartedAt");
  time_field(&b, N_("Updated"), props, "UpdatedAt");
  time_field(&b, N_("Finished"), props, "FinishedAt");
  field(&b, N_("Unit"), cli_props_str(props, "Unit"));
  if (cli_props_has(props, "Owner", "u")) {
    g_autofree char *owner = g_strdup_printf(_("uid %u"), cli_props_u32(props, "Owner"));
    field(&b, N_("Owner"), owner);
  }
  if (cli_props_has(props, "TokensIn", "t")) {
    g_autofree char *in = g_strdup_printf("%" G_GUINT64_FORMAT, cli_props_u64(props, "TokensIn"));
    g_autofree char *out = g_strdup_printf("%" G_GUINT64_FORMAT, cli_props_u64(props, "TokensOut"));
    /* TRANSLATORS: model tokens of the prompts and of the replies */
    g_autofree char *tokens = g_strdup_printf(_("%s in, %s out"), in, out);
    field(&b, N_("Tokens"), tokens);
  }
  tree_fields(&b, parent, children);
  /* (a run waiting for its child run has no question, and no answer to give) */
  if (g_str_equal(state, SHIFTD_STATE_WAITING) && cli_props_str(props, "Question")[0]) {
    g_auto(GStrv) choices = cli_props_strv(props, "Choices");
    g_autofree char *list = g_strjoinv(", ", choices);
    field(&b, N_("Question"), cli_props_str(props, "Question"));
    field(&b, N_("Choices"), list);
    time_field(&b, N_("Deadline"), props, "DecisionDeadline");
    g_autofree char *how = cli_answer_command(ctx, name, choices[0] != NULL);
    field(&b, N_("Answer"), how);
  }
  if (shiftd_run_state_is_final(state)) {
    field(&b, N_("Result"), cli_props_str(props, "Result"));
    field(&b, N_("Error"), cli_props_str(props, "Error"));
  }
  if (events->len > 0) {
    printf("\n");
    printf(_("Events (last %u of %u):\n"), events->len, cli_props_u32(props, "EventCount"));
    for (guint i = 0; i < events->len; i++) {
      g_autofree char *line = cli_event_render_line(events->pdata[i], ctx->tz, ctx->color);
      g_autofree char *fitted = ctx->width ? cli_text_truncate_sgr(line, ctx->width) : g_strdup(line);
      printf("%s\n", fitted);
    }
  }
}

static void
print_json(const char *path, GVariant *props, GPtrArray *events, CliTreeRun *parent, GPtrArray *children)
{
  g_autoptr(JsonObject) object = cli_props_to_json(props);
  json_object_set_string_member(object, "path", path);
  /* beside the paths in "parent" and "children": the runs by name and state
   * (from a daemon that knows the run tree) */
  if (cli_props_has(props, "Parent", "o")) {
    if (parent)
      json_object_set_object_member(object, "parent_run", cli_tree_run_to_json(parent));
    else
      json_object_set_null_member(object, "parent_run");
    JsonArray *kids = json_array_new();
    for (guint i = 0; i < children->len; i++)
      json_array_add_object_element(kids, cli_tree_run_to_json(children->pdata[i]));
    json_object_set_array_member(object, "child_runs", kids);
  }
  JsonArray *array = json_array_new();
  for (guint i = 0; i < events->len; i++)
    json_array_add_object_element(array, cli_event_to_json(events->pdata[i]));
  json_object_set_array_member(object, "events", array);
  cli_print_json_object(object, TRUE);
}

int
cli_cmd_status(CliContext *ctx, const CliArgs *args)
{
  const char *name = args->positional[0];
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cli_run_path(&ctx->bus, name, &error);
  if (path == NULL)
    return cli_fail(ctx, error);
  g_autoptr(GVariant) props = cli_get_all(&ctx->bus, path, SHIFTD_RUN_IFACE, &error);
  if (props == NULL)
    return cli_fail(ctx, error);

  guint32 want = args->have_lines ? args->lines : RECENT_EVENTS;
  guint32 count = cli_props_u32(props, "EventCount");
  guint32 from = count > want ? count - want + 1 : 1;
  g_autoptr(GPtrArray) events = NULL;
  if (count > 0 && want > 0) {
    events = cli_run_get_events(&ctx->bus, path, from, MIN(want, count), &error);
    if (events == NULL)
      return cli_fail(ctx, error);
  } else {
    events = g_ptr_array_new();
  }

  g_autoptr(CliTreeRun) parent = cli_run_tree_parent(&ctx->bus, props);
  g_autoptr(GPtrArray) children = cli_run_tree_children(&ctx->bus, props);

  cli_page(ctx);
  if (ctx->json)
    print_json(path, props, events, parent, children);
  else
    print_block(ctx, cli_props_str(props, "Name")[0] ? cli_props_str(props, "Name") : name, props, events, parent,
                children);
  return CLI_EXIT_OK;
}
