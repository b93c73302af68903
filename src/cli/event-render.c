#include "event-render.h"

#include <string.h>

#include "json-util.h"
#include "output.h"
#include "time-span.h"

#define DETAILS_MAX 240

char *
cli_flatten(const char *text)
{
  GString *out = g_string_new(NULL);
  gboolean space = FALSE;
  for (const char *p = text ? text : ""; *p; p++) {
    if (g_ascii_isspace(*p)) {
      space = out->len > 0;
      continue;
    }
    if (space)
      g_string_append_c(out, ' ');
    space = FALSE;
    g_string_append_c(out, *p);
  }
  return g_string_free(out, FALSE);
}

static gboolean
needs_quotes(const char *s)
{
  if (s[0] == '\0')
    return TRUE;
  for (const char *p = s; *p; p++)
    if (g_ascii_isspace(*p) || *p == '"' || *p == '=' || *p == ',')
      return TRUE;
  return FALSE;
}

static void
append_quoted(GString *out, const char *s)
{
  g_autofree char *flat = cli_flatten(s);
  g_autoptr(JsonNode) node = json_node_init_string(json_node_alloc(), flat);
  g_autofree char *quoted = json_to_string(node, FALSE);
  g_string_append(out, quoted);
}

static void
append_value(GString *out, JsonNode *node)
{
  if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
    const char *s = json_node_get_string(node);
    if (needs_quotes(s))
      append_quoted(out, s);
    else
      g_string_append(out, s);
    return;
  }
  if (JSON_NODE_HOLDS_ARRAY(node)) {
    /* a list of plain words reads best as a,b,c */
    JsonArray *array = json_node_get_array(node);
    gboolean plain = TRUE;
    for (guint i = 0; i < json_array_get_length(array) && plain; i++) {
      JsonNode *e = json_array_get_element(array, i);
      plain = JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING &&
              !needs_quotes(json_node_get_string(e));
    }
    if (plain && json_array_get_length(array) > 0) {
      for (guint i = 0; i < json_array_get_length(array); i++) {
        if (i > 0)
          g_string_append_c(out, ',');
        g_string_append(out, json_array_get_string_element(array, i));
      }
      return;
    }
  }
  g_autofree char *text = json_to_string(node, FALSE);
  g_string_append(out, text);
}

/* key=value for each member but the skipped ones. */
static void
append_members(GString *out, JsonObject *object, const char *const *skip)
{
  if (object == NULL)
    return;
  g_autoptr(GList) members = json_object_get_members(object);
  for (GList *l = members; l; l = l->next) {
    const char *key = l->data;
    if (skip && g_strv_contains(skip, key))
      continue;
    if (out->len > 0 && out->str[out->len - 1] != '(')
      g_string_append_c(out, ' ');
    JsonNode *value = json_object_get_member(object, key);
    /* "timeout_usec": 3600000000 reads as timeout=1h */
    if (g_str_has_suffix(key, "_usec") && JSON_NODE_HOLDS_VALUE(value) &&
        json_node_get_value_type(value) == G_TYPE_INT64 && json_node_get_int(value) >= 0) {
      g_autofree char *span = shiftd_time_span_format((guint64)json_node_get_int(value));
      g_string_append_printf(out, "%.*s=", (int)(strlen(key) - strlen("_usec")), key);
      if (needs_quotes(span))
        append_quoted(out, span);
      else
        g_string_append(out, span);
      continue;
    }
    g_string_append_printf(out, "%s=", key);
    append_value(out, value);
  }
}

static void
append_step(GString *out, JsonObject *data)
{
  gint64 step = shiftd_json_get_int(data, "step", 0);
  if (step > 0)
    g_string_append_printf(out, "step %" G_GINT64_FORMAT ": ", step);
}

static void
render_model_call(GString *out, JsonObject *data)
{
  append_step(out, data);
  g_string_append(out, shiftd_json_get_string(data, "model", "model"));
  gint64 n = shiftd_json_get_int(data, "messages", -1);
  if (n >= 0)
    g_string_append_printf(out, ", %" G_GINT64_FORMAT " message%s", n, n == 1 ? "" : "s");
}

static void
render_model_reply(GString *out, JsonObject *data)
{
  append_step(out, data);
  const char *content = shiftd_json_get_string(data, "content", "");
  if (content[0] != '\0')
    append_quoted(out, content);
  JsonArray *tools = shiftd_json_get_array(data, "tool_calls");
  if (tools != NULL && json_array_get_length(tools) > 0) {
    g_string_append(out, content[0] ? " \xe2\x86\x92 " : "\xe2\x86\x92 ");
    append_value(out, json_object_get_member(data, "tool_calls"));
  }
  gint64 ms = shiftd_json_get_int(data, "elapsed_ms", -1);
  if (ms >= 0)
    g_string_append_printf(out, " (%" G_GINT64_FORMAT " ms)", ms);
}

static void
render_tool_call(GString *out, JsonObject *data)
{
  append_step(out, data);
  g_string_append(out, shiftd_json_get_string(data, "tool", "?"));
  g_string_append_c(out, '(');
  append_members(out, shiftd_json_get_object(data, "arguments"), NULL);
  g_string_append_c(out, ')');
}

static void
render_tool_result(GString *out, JsonObject *data)
{
  append_step(out, data);
  g_string_append(out, shiftd_json_get_string(data, "tool", "?"));
  g_string_append(out, shiftd_json_get_bool(data, "ok", TRUE) ? " ok" : " failed");
  const char *result = shiftd_json_get_string(data, "result", NULL);
  if (result != NULL && result[0] != '\0') {
    g_autofree char *flat = cli_flatten(result);
    g_string_append_printf(out, ": %s", flat);
  }
}

/* Kinds whose json we only know in outline: the first of these members that
 * holds a string leads, the rest follow as key=value. */
static const struct {
  const char *kind;
  const char *lead[3];
} leads[] = {
  { "created", { "task" } },
  { "asked", { "question" } },
  { "answered", { "answer", "choice" } },
  { "child_ended", { "outcome" } },
  { "done", { "result" } },
  { "no_work", { "reason" } },
  { "idle", { "reason" } },
  { "failed", { "error", "reason" } },
  { "cancelled", { "reason" } },
  { "note", { "text", "message" } },
};

static void
render_generic(GString *out, const char *kind, JsonObject *data)
{
  const char *lead_key = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(leads) && lead_key == NULL; i++) {
    if (!g_str_equal(leads[i].kind, kind))
      continue;
    for (gsize k = 0; k < G_N_ELEMENTS(leads[i].lead) && leads[i].lead[k]; k++)
      if (shiftd_json_get_string(data, leads[i].lead[k], NULL) != NULL) {
        lead_key = leads[i].lead[k];
        break;
      }
  }
  if (lead_key != NULL) {
    g_autofree char *flat = cli_flatten(shiftd_json_get_string(data, lead_key, ""));
    g_string_append(out, flat);
  }
  /* a decision deadline is a time, not a number to read */
  gint64 deadline = g_str_equal(kind, "asked") ? shiftd_json_get_int(data, "deadline", -1) : -1;
  const char *skip[] = { lead_key ? lead_key : "deadline", lead_key && deadline >= 0 ? "deadline" : NULL, NULL };
  append_members(out, data, lead_key || deadline >= 0 ? skip : NULL);
  if (deadline > 0) {
    g_autoptr(GTimeZone) tz = g_time_zone_new_local();
    g_autofree char *when = cli_format_event_time((guint64)deadline, tz);
    g_string_append_printf(out, " deadline=\"%s\"", when);
  } else if (deadline == 0) {
    g_string_append(out, " deadline=none");
  }
}

char *
cli_event_render_details(const char *kind, const char *json, gsize max_bytes)
{
  g_autoptr(JsonNode) root = shiftd_json_parse(json ? json : "", -1, NULL);
  g_autoptr(GString) out = g_string_new(NULL);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
    /* not an object: show what there is */
    g_autofree char *flat = root && JSON_NODE_HOLDS_VALUE(root) &&
                                json_node_get_value_type(root) == G_TYPE_STRING
                              ? cli_flatten(json_node_get_string(root))
                              : cli_flatten(json);
    g_string_append(out, flat);
  } else {
    JsonObject *data = json_node_get_object(root);
    if (g_str_equal(kind, "model_call"))
      render_model_call(out, data);
    else if (g_str_equal(kind, "model_reply"))
      render_model_reply(out, data);
    else if (g_str_equal(kind, "tool_call"))
      render_tool_call(out, data);
    else if (g_str_equal(kind, "tool_result"))
      render_tool_result(out, data);
    else
      render_generic(out, kind, data);
  }
  return shiftd_utf8_truncate(out->str, max_bytes);
}

char *
cli_event_render_line(const CliEvent *event, GTimeZone *tz, gboolean color)
{
  g_autofree char *when = cli_format_event_time(event->time, tz);
  g_autofree char *details = cli_event_render_details(event->kind, event->json, DETAILS_MAX);
  /* pad the kind before colouring so the details line up */
  g_autofree char *padded = g_strdup_printf("%-12s", event->kind);
  g_autofree char *kind = cli_colorize(padded, cli_event_kind_sgr(event->kind), color);
  g_autofree char *line = g_strdup_printf("%5u %s %s %s", event->seq, when, kind, details);
  g_strchomp(line);
  return g_steal_pointer(&line);
}
