/* cancel, answer, reload: one call each, and a word on how it went. */
#include <glib/gi18n.h>
#include <stdio.h>
#include <unistd.h>

#include "bus-error.h"
#include "cli-context.h"
#include "output.h"
#include "prompt.h"
#include "props.h"
#include "run-api.h"
#include "shiftd-names.h"

/* After a call on a run: the state it is in now (a courtesy: its absence is no failure). */
static int
report_done(CliContext *ctx, const char *name, const char *path, const char *done_text)
{
  g_autoptr(GVariant) props = cli_get_all(&ctx->bus, path, SHIFTD_RUN_IFACE, NULL);
  const char *state = cli_props_str(props, "State");
  if (ctx->json) {
    g_autoptr(JsonObject) object = json_object_new();
    json_object_set_string_member(object, "name", name);
    json_object_set_string_member(object, "path", path);
    if (state[0] != '\0')
      json_object_set_string_member(object, "state", state);
    cli_print_json_object(object, FALSE);
  } else if (!ctx->quiet) {
    fputs(done_text, stdout);
    if (state[0] != '\0') {
      g_autofree char *shown = cli_colorize(state, cli_state_sgr(state), ctx->color);
      /* TRANSLATORS: follows "Cancelled NAME" or "Answered NAME"; %s is a run state */
      printf(_("; it is %s now"), shown);
    }
    printf("\n");
  }
  return CLI_EXIT_OK;
}

/* Calls method on the run called name, then reports the state it is in now. */
static int
call_on_run(CliContext *ctx, const char *name, const char *path, const char *method, GVariant *params,
            const char *done_text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
    cli_bus_call(&ctx->bus, path, SHIFTD_RUN_IFACE, method, params, G_VARIANT_TYPE_UNIT, &error);
  if (reply == NULL)
    return cli_fail(ctx, error);
  return report_done(ctx, name, path, done_text);
}

int
cli_cmd_cancel(CliContext *ctx, const CliArgs *args)
{
  const char *name = args->positional[0];
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cli_run_path(&ctx->bus, name, &error);
  if (path == NULL)
    return cli_fail(ctx, error);
  /* TRANSLATORS: %s is a run's name */
  g_autofree char *done = g_strdup_printf(_("Cancelled %s"), name);
  return call_on_run(ctx, name, path, "Cancel", NULL, done);
}

/* "answer NAME" on a terminal: the question, the choices, and a prompt. */
static char *
ask_for_answer(CliContext *ctx, const char *name, const char *path, GError **error)
{
  g_autoptr(GVariant) props = cli_get_all(&ctx->bus, path, SHIFTD_RUN_IFACE, error);
  if (props == NULL)
    return NULL;
  const char *state = cli_props_str(props, "State");
  if (!g_str_equal(state, SHIFTD_STATE_WAITING)) {
    g_autofree char *why = g_strdup_printf(_("run %s is not waiting for an answer (it is %s)"), name, state);
    g_propagate_error(error, g_dbus_error_new_for_dbus_error(SHIFTD_ERROR_NOT_WAITING, why));
    return NULL;
  }
  g_auto(GStrv) choices = cli_props_strv(props, "Choices");
  /* the prompt goes where the person is, even with stdout redirected */
  FILE *out = isatty(STDOUT_FILENO) ? stdout : stderr;
  char *answer = cli_prompt_answer(stdin, out, name, cli_props_str(props, "Question"),
                                   (const char *const *)choices, ctx->color);
  if (answer == NULL)
    g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("no answer given"));
  return answer;
}

int
cli_cmd_answer(CliContext *ctx, const CliArgs *args)
{
  const char *name = args->positional[0];
  const char *given = args->positional[1];
  if (given == NULL && !isatty(STDIN_FILENO))
    return cli_fail_usage(ctx->json,
                          _("missing argument: usage: shiftctl answer NAME CHOICE (asked for only on a terminal)"));
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cli_run_path(&ctx->bus, name, &error);
  if (path == NULL)
    return cli_fail(ctx, error);
  g_autofree char *asked = NULL;
  if (given == NULL) {
    asked = ask_for_answer(ctx, name, path, &error);
    if (asked == NULL)
      return cli_fail(ctx, error);
  }
  /* TRANSLATORS: %s is a run's name */
  g_autofree char *done = g_strdup_printf(_("Answered %s"), name);
  return call_on_run(ctx, name, path, "Answer", g_variant_new("(s)", given ? given : asked), done);
}

/* Reload's refusal lists every problem: "some agent files were refused: P1;
 * P2", each P one or more "FILE:LINE: reason" lines. One line each here. */
static GPtrArray *
refused_files(const GError *error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *name = g_dbus_error_get_remote_error(error);
  if (g_strcmp0(name, SHIFTD_ERROR_INVALID_ARGUMENT) != 0)
    return out;
  g_autoptr(GError) copy = g_error_copy(error);
  g_dbus_error_strip_remote_error(copy);
  static const char prefix[] = "some agent files were refused: ";
  if (!g_str_has_prefix(copy->message, prefix))
    return out;
  /* a problem begins with its file's path ("…/x.agent:3: …" or "…/x.agent: …") */
  g_autoptr(GRegex) split = g_regex_new("\n|; (?=[^ ;\n]*\\.agent:)", 0, 0, NULL);
  g_auto(GStrv) parts = g_regex_split(split, copy->message + strlen(prefix), 0);
  for (char **p = parts; *p; p++) {
    g_strstrip(*p);
    if (**p != '\0')
      g_ptr_array_add(out, g_strdup(*p));
  }
  return out;
}

int
cli_cmd_reload(CliContext *ctx, const CliArgs *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = cli_bus_call(&ctx->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE,
                                           "Reload", NULL, G_VARIANT_TYPE_UNIT, &error);
  if (reply == NULL) {
    g_autoptr(GPtrArray) refused = refused_files(error);
    if (refused->len == 0)
      return cli_fail(ctx, error);
    fflush(stdout);
    for (guint i = 0; i < refused->len; i++) {
      /* TRANSLATORS: an agent file shiftd would not load; %s is "FILE:LINE: reason" */
      g_autofree char *line = g_strdup_printf(_("refused: %s"), (char *)refused->pdata[i]);
      fprintf(stderr, "shiftctl: %s\n", line);
    }
    if (ctx->json) {
      g_autoptr(JsonObject) object = json_object_new();
      g_autoptr(GError) copy = g_error_copy(error);
      g_dbus_error_strip_remote_error(copy);
      json_object_set_string_member(object, "error", "InvalidArgument");
      json_object_set_string_member(object, "message", copy->message);
      json_object_set_string_member(object, "dbus_error", SHIFTD_ERROR_INVALID_ARGUMENT);
      JsonArray *array = json_array_new();
      for (guint i = 0; i < refused->len; i++)
        json_array_add_string_element(array, refused->pdata[i]);
      json_object_set_array_member(object, "refused", array);
      cli_print_json_object(object, FALSE);
    }
    return CLI_EXIT_FAILURE;
  }
  if (ctx->json) {
    g_autoptr(JsonObject) object = json_object_new();
    json_object_set_boolean_member(object, "reloaded", TRUE);
    cli_print_json_object(object, FALSE);
  }
  return CLI_EXIT_OK;
}
