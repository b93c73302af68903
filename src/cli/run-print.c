#include "run-print.h"

#include <stdio.h>

#include "event-render.h"
#include "output.h"
#include "props.h"
#include "shiftd-names.h"

void
cli_print_event(CliContext *ctx, const CliEvent *event)
{
  if (ctx->json) {
    g_autoptr(JsonObject) object = cli_event_to_json(event);
    cli_print_json_object(object, FALSE);
    return;
  }
  g_autofree char *line = cli_event_render_line(event, ctx->tz, ctx->color);
  printf("%s\n", line);
  fflush(stdout);
}

void
cli_print_question(CliContext *ctx, const char *name, GVariant *props)
{
  g_auto(GStrv) choices = cli_props_strv(props, "Choices");
  guint64 deadline = cli_props_u64(props, "DecisionDeadline");
  g_autofree char *flags = cli_bus_flags(&ctx->bus);
  g_autofree char *quoted = cli_shell_quote(name);

  printf("%s is waiting for a decision:\n  %s\n", name, cli_props_str(props, "Question"));
  if (choices[0] != NULL) {
    g_autofree char *list = g_strjoinv(", ", choices);
    printf("  Choices: %s\n", list);
  }
  if (deadline != 0) {
    g_autofree char *when = cli_format_when((guint64)g_get_real_time(), deadline, ctx->tz);
    printf("  Deadline: %s\n", when);
  }
  printf("Answer with: shiftctl %sanswer %s %s\n", flags, quoted, choices[0] ? "CHOICE" : "ANSWER");
  fflush(stdout);
}

int
cli_outcome_exit_code(const char *state)
{
  if (g_strcmp0(state, SHIFTD_STATE_FAILED) == 0 || g_strcmp0(state, SHIFTD_STATE_CANCELLED) == 0)
    return CLI_EXIT_FAILURE;
  return CLI_EXIT_OK;
}

void
cli_print_outcome(CliContext *ctx, const char *name, const char *path, GVariant *props)
{
  const char *state = cli_props_str(props, "State");
  if (ctx->json) {
    g_autoptr(JsonObject) object = json_object_new();
    json_object_set_string_member(object, "name", name);
    json_object_set_string_member(object, "path", path);
    json_object_set_string_member(object, "state", state);
    json_object_set_string_member(object, "summary", cli_props_str(props, "Summary"));
    if (g_str_equal(state, SHIFTD_STATE_WAITING)) {
      g_auto(GStrv) choices = cli_props_strv(props, "Choices");
      json_object_set_string_member(object, "question", cli_props_str(props, "Question"));
      JsonArray *array = json_array_new();
      for (char **c = choices; *c; c++)
        json_array_add_string_element(array, *c);
      json_object_set_array_member(object, "choices", array);
      json_object_set_int_member(object, "decision_deadline",
                                 (gint64)cli_props_u64(props, "DecisionDeadline"));
    } else {
      json_object_set_string_member(object, "result", cli_props_str(props, "Result"));
      json_object_set_string_member(object, "error", cli_props_str(props, "Error"));
    }
    cli_print_json_object(object, FALSE);
    return;
  }

  if (g_str_equal(state, SHIFTD_STATE_WAITING)) {
    cli_print_question(ctx, name, props);
    return;
  }
  g_autofree char *dot = cli_colorize("\xe2\x97\x8f", cli_state_sgr(state), ctx->color);
  g_autofree char *shown_state = cli_colorize(state, cli_state_sgr(state), ctx->color);
  const char *summary = cli_props_str(props, "Summary");
  const char *result = cli_props_str(props, "Result");
  const char *error = cli_props_str(props, "Error");
  gboolean failed = g_str_equal(state, SHIFTD_STATE_FAILED);
  /* the result says more than the summary (which is often its first line) */
  if (!failed && result[0] != '\0') {
    printf("%s %s %s\n%s\n", dot, name, shown_state, result);
  } else {
    printf("%s %s %s%s%s\n", dot, name, shown_state, summary[0] ? ": " : "", summary);
    if (failed && error[0] != '\0' && !g_str_equal(error, summary))
      printf("%s\n", error);
  }
  fflush(stdout);
}
