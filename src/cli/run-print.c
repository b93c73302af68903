#include "run-print.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

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

char *
cli_answer_command(CliContext *ctx, const char *name, gboolean choices)
{
  g_autofree char *flags = cli_bus_flags(&ctx->bus);
  g_autofree char *quoted = cli_shell_quote(name);
  /* TRANSLATORS: placeholders in a command line, for a choice or free text */
  return g_strdup_printf("shiftctl %sanswer %s %s", flags, quoted, choices ? _("CHOICE") : _("ANSWER"));
}

void
cli_print_question(CliContext *ctx, const char *name, GVariant *props)
{
  g_auto(GStrv) choices = cli_props_strv(props, "Choices");
  guint64 deadline = cli_props_u64(props, "DecisionDeadline");

  printf(_("%s is waiting for a decision:\n"), name);
  printf("  %s\n", cli_props_str(props, "Question"));
  if (choices[0] != NULL) {
    g_autofree char *list = g_strjoinv(", ", choices);
    printf(_("  Choices: %s\n"), list);
  }
  if (deadline != 0) {
    g_autofree char *when = cli_format_when(ctx->now, deadline, ctx->tz);
    printf(_("  Deadline: %s\n"), when);
  }
  if (!ctx->quiet) {
    g_autofree char *how = cli_answer_command(ctx, name, choices[0] != NULL);
    printf(_("Answer with: %s\n"), how);
  }
  fflush(stdout);
}

int
cli_outcome_exit_code(const char *state)
{
  if (g_strcmp0(state, SHIFTD_STATE_FAILED) == 0 || g_strcmp0(state, SHIFTD_STATE_CANCELLED) == 0)
    return CLI_EXIT_FAILURE;
  return CLI_EXIT_OK;
}

const char *
cli_summary_after_state(const char *state, const char *summary)
{
  gsize n = strlen(state);
  if (n == 0 || strncmp(summary, state, n) != 0)
    return summary;
  const char *rest = summary + n;
  if (rest[0] == ':')
    rest++;
  else if (rest[0] != ' ' && rest[0] != '\0')
    return summary; /* "done-ish" is not "done" */
  while (rest[0] == ' ')
    rest++;
  return rest;
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
  const char *summary = cli_summary_after_state(state, cli_props_str(props, "Summary"));
  const char *result = cli_props_str(props, "Result");
  const char *error = cli_props_str(props, "Error");
  gboolean failed = g_str_equal(state, SHIFTD_STATE_FAILED);
  if (failed && error[0] != '\0') {
    /* the error is the whole story; the summary is at most its first 200 bytes */
    printf("%s %s %s: %s\n", dot, name, shown_state, error);
  } else if (!failed && result[0] != '\0') {
    /* the result says more than the summary (which is often its first line) */
    printf("%s %s %s\n%s\n", dot, name, shown_state, result);
  } else if (summary[0] != '\0') {
    /* "cancelled by uid 0" reads on from the state, "failed: …" after a colon */
    gboolean reads_on = summary != cli_props_str(props, "Summary") && summary[-1] == ' ' &&
                        summary[-2] != ':';
    printf("%s %s %s%s%s\n", dot, name, shown_state, reads_on ? " " : ": ", summary);
  } else {
    printf("%s %s %s\n", dot, name, shown_state);
  }
  fflush(stdout);
}
