/* status: a run at a glance, like systemctl status. */
#include <stdio.h>

#include "cli-context.h"
#include "event-render.h"
#include "output.h"
#include "props.h"
#include "run-api.h"
#include "run-print.h"
#include "run-row.h"
#include "shiftd-names.h"

#define RECENT_EVENTS 5

/* "  Label: value", with later lines of value indented under the first. */
static void
field(const char *label, const char *value)
{
  if (value == NULL || value[0] == '\0')
    return;
  g_auto(GStrv) lines = g_strsplit(value, "\n", -1);
  printf("%11s: %s\n", label, lines[0]);
  for (char **l = lines + 1; *l; l++)
    printf("%13s%s\n", "", *l);
}

static void
time_field(CliContext *ctx, const char *label, GVariant *props, const char *key, guint64 now)
{
  guint64 usec = cli_props_u64(props, key);
  if (usec == 0)
    return;
  g_autofree char *when = cli_format_when(now, usec, ctx->tz);
  field(label, when);
}

static void
print_block(CliContext *ctx, const char *name, GVariant *props, GPtrArray *events)
{
  guint64 now = (guint64)g_get_real_time();
  const char *state = cli_props_str(props, "State");
  const char *summary = cli_props_str(props, "Summary");
  g_autofree char *dot = cli_colorize("\xe2\x97\x8f", cli_state_sgr(state), ctx->color);
  g_autofree char *shown_state = cli_colorize(state, cli_state_sgr(state), ctx->color);

  printf("%s %s%s%s\n", dot, name, summary[0] ? " - " : "", summary);
  field("Agent", cli_props_str(props, "Agent"));
  printf("%11s: %s\n", "State", shown_state);
  field("Trigger", cli_props_str(props, "Trigger"));
  field("Task", cli_props_str(props, "Task"));
  g_autofree char *progress = g_strdup_printf("step %u, attempt %u", cli_props_u32(props, "Step"),
                                              cli_props_u32(props, "Attempt"));
  field("Progress", progress);
  time_field(ctx, "Created", props, "CreatedAt", now);
  time_field(ctx, "Started", props, "StartedAt", now);
  time_field(ctx, "Updated", props, "UpdatedAt", now);
  time_field(ctx, "Finished", props, "FinishedAt", now);
  field("Unit", cli_props_str(props, "Unit"));
  if (cli_props_has(props, "Owner", "u")) {
    g_autofree char *owner = g_strdup_printf("uid %u", cli_props_u32(props, "Owner"));
    field("Owner", owner);
  }
  if (g_str_equal(state, SHIFTD_STATE_WAITING)) {
    g_auto(GStrv) choices = cli_props_strv(props, "Choices");
    g_autofree char *list = g_strjoinv(", ", choices);
    field("Question", cli_props_str(props, "Question"));
    field("Choices", list);
    time_field(ctx, "Deadline", props, "DecisionDeadline", now);
    g_autofree char *flags = cli_bus_flags(&ctx->bus);
    g_autofree char *quoted = cli_shell_quote(name);
    g_autofree char *how = g_strdup_printf("shiftctl %sanswer %s %s", flags, quoted,
                                           choices[0] ? "CHOICE" : "ANSWER");
    field("Answer", how);
  }
  if (shiftd_run_state_is_final(state)) {
    field("Result", cli_props_str(props, "Result"));
    field("Error", cli_props_str(props, "Error"));
  }
  if (events->len > 0) {
    printf("\nEvents (last %u of %u):\n", events->len, cli_props_u32(props, "EventCount"));
    for (guint i = 0; i < events->len; i++) {
      g_autofree char *line = cli_event_render_line(events->pdata[i], ctx->tz, ctx->color);
      printf("%s\n", line);
    }
  }
}

static void
print_json(const char *path, GVariant *props, GPtrArray *events)
{
  g_autoptr(JsonObject) object = cli_props_to_json(props);
  json_object_set_string_member(object, "path", path);
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

  guint32 count = cli_props_u32(props, "EventCount");
  guint32 from = count > RECENT_EVENTS ? count - RECENT_EVENTS + 1 : 1;
  g_autoptr(GPtrArray) events = NULL;
  if (count > 0) {
    events = cli_run_get_events(&ctx->bus, path, from, RECENT_EVENTS, &error);
    if (events == NULL)
      return cli_fail(ctx, error);
  } else {
    events = g_ptr_array_new();
  }

  if (ctx->json)
    print_json(path, props, events);
  else
    print_block(ctx, cli_props_str(props, "Name")[0] ? cli_props_str(props, "Name") : name, props,
                events);
  return CLI_EXIT_OK;
}
