#include "tools.h"

#include <string.h>

#include "json-util.h"
#include "log.h"
#include "shiftd-names.h"
#include "time-span.h"
#include "tool-files.h"
#include "tool-notes.h"
#include "tool-schemas.h"
#include "tool-shell.h"
#include "tool-start-run.h"

void
shiftd_tool_result_clear(ShiftdToolResult *result)
{
  g_free(result->text);
  g_strfreev(result->choices);
  g_free(result->default_choice);
  memset(result, 0, sizeof *result);
}

static gboolean
offered(const ShiftdHello *hello, const ShiftdToolSchema *schema)
{
  return schema->builtin || shiftd_hello_tool_enabled(hello, schema->name);
}

JsonArray *
shiftd_tools_schemas(const ShiftdHello *hello)
{
  gsize n = 0;
  const ShiftdToolSchema *schemas = shiftd_tool_schemas(&n);
  JsonArray *tools = json_array_new();
  for (gsize i = 0; i < n; i++) {
    if (!offered(hello, &schemas[i]))
      continue;
    g_autoptr(GError) error = NULL;
    JsonObject *function = shiftd_json_parse_object(schemas[i].schema, -1, &error);
    g_assert_no_error(error); /* the schemas are literals in tool-schemas.c */
    if (g_str_equal(schemas[i].name, "start_run"))
      shiftd_tool_start_run_schema(hello, function);
    JsonObject *tool = json_object_new();
    json_object_set_string_member(tool, "type", "function");
    json_object_set_object_member(tool, "function", function);
    json_array_add_object_element(tools, tool);
  }
  for (char **t = hello->tools; t && *t; t++) {
    gboolean known = FALSE;
    for (gsize i = 0; i < n && !known; i++)
      known = g_str_equal(schemas[i].name, *t);
    if (!known)
      log_warning("the agent lists tool \"%s\", which this worker does not have", *t);
  }
  return tools;
}

static char *
tool_names(const ShiftdHello *hello)
{
  gsize n = 0;
  const ShiftdToolSchema *schemas = shiftd_tool_schemas(&n);
  g_autoptr(GPtrArray) names = g_ptr_array_new();
  for (gsize i = 0; i < n; i++)
    if (offered(hello, &schemas[i]))
      g_ptr_array_add(names, (gpointer)schemas[i].name);
  g_ptr_array_add(names, NULL);
  return g_strjoinv(", ", (char **)names->pdata);
}

/* Sets a bad-arguments result; always returns FALSE so callers can `return bad(...)`. */
static gboolean
bad(ShiftdToolResult *result, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
bad(ShiftdToolResult *result, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_free(result->text);
  result->text = g_strdup_vprintf(format, ap);
  va_end(ap);
  result->ok = FALSE;
  result->outcome = SHIFTD_TOOL_CONTINUE;
  return FALSE;
}

/* A string argument; absent gives NULL, which `required` refuses. */
static gboolean
arg_string(JsonObject *args, const char *tool, const char *name, gboolean required,
           const char **out, ShiftdToolResult *result)
{
  JsonNode *node = json_object_get_member(args, name);
  if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
    *out = NULL;
    if (required)
      return bad(result, "%s needs a \"%s\" argument (a string)", tool, name);
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
    return bad(result, "the \"%s\" argument of %s must be a string", name, tool);
  *out = json_node_get_string(node);
  return TRUE;
}

static gboolean
parse_choices(JsonObject *args, ShiftdToolResult *result)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  JsonNode *node = json_object_get_member(args, "choices");
  if (node != NULL && !JSON_NODE_HOLDS_NULL(node)) {
    if (!JSON_NODE_HOLDS_ARRAY(node))
      return bad(result, "the \"choices\" argument of ask_human must be a list of strings");
    JsonArray *a = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      JsonNode *e = json_array_get_element(a, i);
      if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING ||
          *json_node_get_string(e) == '\0')
        return bad(result, "the \"choices\" argument of ask_human must be a list of non-empty strings");
      g_strv_builder_add(b, json_node_get_string(e));
    }
  }
  result->choices = g_strv_builder_end(b);
  return TRUE;
}

/* A deadline is a systemd time span ("1h 30min") or a number of seconds. */
static gboolean
parse_deadline(JsonObject *args, ShiftdToolResult *result)
{
  JsonNode *node = json_object_get_member(args, "deadline");
  result->timeout_usec = 0;
  if (node == NULL || JSON_NODE_HOLDS_NULL(node))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE(node) &&
      (json_node_get_value_type(node) == G_TYPE_INT64 || json_node_get_value_type(node) == G_TYPE_DOUBLE)) {
    gdouble seconds = json_node_get_double(node);
    if (seconds < 0 || seconds > 1e10)
      return bad(result, "the deadline of ask_human must be a positive number of seconds");
    result->timeout_usec = (guint64)(seconds * (gdouble)SHIFTD_USEC_PER_SEC);
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
    return bad(result, "the deadline of ask_human must be a time span like \"4h\" or a number of seconds");
  const char *text = json_node_get_string(node);
  g_autofree char *trimmed = g_strstrip(g_strdup(text));
  if (*trimmed == '\0')
    return TRUE;
  g_autoptr(GError) error = NULL;
  guint64 usec = 0;
  if (!shiftd_time_span_parse(text, &usec, &error) || usec == SHIFTD_USEC_INFINITY)
    return bad(result, "the deadline of ask_human is not a time span like \"30min\" or \"1d\": %s",
               error ? error->message : "infinity is not a deadline");
  result->timeout_usec = usec;
  return TRUE;
}

static void
run_ask_human(JsonObject *args, ShiftdToolResult *result)
{
  const char *question = NULL, *dflt = NULL;
  if (!arg_string(args, "ask_human", "question", TRUE, &question, result) ||
      !arg_string(args, "ask_human", "default", FALSE, &dflt, result) ||
      !parse_choices(args, result) || !parse_deadline(args, result))
    return;
  if (*question == '\0') {
    bad(result, "ask_human needs a non-empty question");
    return;
  }
  /* what a person can read in a notification: the daemon refuses more */
  if (strlen(question) > SHIFTD_QUESTION_MAX_BYTES) {
    bad(result, "the question of ask_human is %zu bytes; ask it in at most %u", strlen(question),
        SHIFTD_QUESTION_MAX_BYTES);
    return;
  }
  if (g_strv_length(result->choices) > SHIFTD_CHOICES_MAX) {
    bad(result, "ask_human offers %u choices; offer at most %u", g_strv_length(result->choices), SHIFTD_CHOICES_MAX);
    return;
  }
  for (char **c = result->choices; *c; c++) {
    if (strlen(*c) > SHIFTD_CHOICE_MAX_BYTES) {
      bad(result, "a choice of ask_human is %zu bytes; keep each to at most %u", strlen(*c), SHIFTD_CHOICE_MAX_BYTES);
      return;
    }
  }
  if (dflt && *dflt == '\0')
    dflt = NULL;
  if (dflt && result->choices[0] && !g_strv_contains((const char *const *)result->choices, dflt)) {
    bad(result, "the default \"%s\" of ask_human is not one of its choices", dflt);
    return;
  }
  result->outcome = SHIFTD_TOOL_ASK;
  result->ok = TRUE;
  result->text = g_strdup(question);
  result->default_choice = g_strdup(dflt);
}

static void
run_ending(JsonObject *args, const char *tool, const char *member, ShiftdToolOutcome outcome,
           ShiftdToolResult *result)
{
  const char *text = NULL;
  if (!arg_string(args, tool, member, TRUE, &text, result))
    return;
  result->outcome = outcome;
  result->ok = TRUE;
  result->text = g_strdup(text);
}

/* For tools whose failures are GErrors: the message becomes the result. */
static void
set_outcome(ShiftdToolResult *result, char *text, GError *error)
{
  result->ok = text != NULL;
  result->text = text ? text : g_strdup(error->message);
}

static gboolean
run_optional(const ShiftdHello *hello, ShiftdLink *link, const char *name, JsonObject *args,
             ShiftdToolResult *result, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (g_str_equal(name, "shell")) {
    if (hello->unconfined) {
      bad(result, "the shell tool is refused: commands cannot be confined here (%s)", hello->unconfined);
      return TRUE;
    }
    ShiftdShellRequest req = {
      .workdir = hello->workspace,
      .timeout_usec = hello->shell_timeout_usec,
      .output_cap = hello->output_cap,
      .private_network = hello->private_network,
    };
    if (!arg_string(args, name, "command", TRUE, &req.command, result))
      return TRUE;
    return shiftd_tool_shell(link, &req, &result->ok, &result->text, error);
  }
  if (g_str_equal(name, "read_file")) {
    const char *path = NULL;
    if (arg_string(args, name, "path", TRUE, &path, result)) {
      char *text = shiftd_tool_read_file(hello->workspace, path, hello->output_cap, &local);
      set_outcome(result, text, local);
    }
    return TRUE;
  }
  if (g_str_equal(name, "write_file")) {
    const char *path = NULL, *content = NULL;
    if (arg_string(args, name, "path", TRUE, &path, result) &&
        arg_string(args, name, "content", TRUE, &content, result)) {
      char *text = shiftd_tool_write_file(hello->workspace, path, content, &local);
      set_outcome(result, text, local);
    }
    return TRUE;
  }
  if (g_str_equal(name, "notes")) {
    const char *action = NULL, *text_arg = NULL;
    if (arg_string(args, name, "action", TRUE, &action, result) &&
        arg_string(args, name, "text", FALSE, &text_arg, result)) {
      char *text = shiftd_tool_notes(hello->notes_path, action, text_arg, hello->output_cap, &local);
      set_outcome(result, text, local);
    }
    return TRUE;
  }
  if (g_str_equal(name, "start_run"))
    return shiftd_tool_start_run(link, args, result, error);
  g_autofree char *names = tool_names(hello);
  bad(result, "unknown tool \"%s\"; the tools are: %s", name, names);
  return TRUE;
}

gboolean
shiftd_tools_run(const ShiftdHello *hello, ShiftdLink *link, const ShiftdToolCall *call,
                 ShiftdToolResult *result, GError **error)
{
  memset(result, 0, sizeof *result);
  result->outcome = SHIFTD_TOOL_CONTINUE;

  /* Some models send "" for a call without arguments. */
  const char *raw = call->arguments;
  g_autofree char *trimmed = g_strstrip(g_strdup(raw ? raw : ""));
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(JsonObject) args =
    *trimmed ? shiftd_json_parse_object(trimmed, -1, &parse_error) : json_object_new();
  if (args == NULL) {
    bad(result, "the arguments of %s are not a valid JSON object (%s); call it again with a JSON object",
        call->name, parse_error->message);
    return TRUE;
  }

  if (g_str_equal(call->name, "finish"))
    run_ending(args, "finish", "result", SHIFTD_TOOL_FINISH, result);
  else if (g_str_equal(call->name, "no_work"))
    run_ending(args, "no_work", "reason", SHIFTD_TOOL_NO_WORK, result);
  else if (g_str_equal(call->name, "ask_human"))
    run_ask_human(args, result);
  else if (shiftd_hello_tool_enabled(hello, call->name))
    return run_optional(hello, link, call->name, args, result, error);
  else {
    gsize n = 0;
    const ShiftdToolSchema *schemas = shiftd_tool_schemas(&n);
    gboolean exists = FALSE;
    for (gsize i = 0; i < n && !exists; i++)
      exists = g_str_equal(schemas[i].name, call->name);
    g_autofree char *names = tool_names(hello);
    bad(result, "%s \"%s\"; the tools are: %s",
        exists ? "this agent may not use the tool" : "unknown tool", call->name, names);
  }
  return TRUE;
}
