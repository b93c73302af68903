#include "tool-start-run.h"

#include "json-util.h"
#include "protocol.h"

void
shiftd_tool_start_run_schema(const ShiftdHello *hello, JsonObject *function)
{
  JsonObject *params = shiftd_json_get_object(function, "parameters");
  JsonObject *agent = shiftd_json_get_object(shiftd_json_get_object(params, "properties"), "agent");
  if (agent == NULL || hello->delegates == NULL || hello->delegates[0] == NULL)
    return;
  JsonArray *names = json_array_new();
  for (char **d = hello->delegates; *d; d++)
    json_array_add_string_element(names, *d);
  json_object_set_array_member(agent, "enum", names);
}

static gboolean
refuse(ShiftdToolResult *result, const char *text)
{
  result->ok = FALSE;
  result->outcome = SHIFTD_TOOL_CONTINUE;
  result->text = g_strdup(text);
  return TRUE;
}

gboolean
shiftd_tool_start_run(ShiftdLink *link, JsonObject *args, ShiftdToolResult *result, GError **error)
{
  const char *agent = shiftd_json_get_string(args, "agent", NULL);
  const char *task = shiftd_json_get_string(args, "task", NULL);
  if (agent == NULL || *agent == '\0')
    return refuse(result, "start_run needs an \"agent\" argument (a string: one of the agents you may delegate to)");
  if (task == NULL)
    return refuse(result, "start_run needs a \"task\" argument (a string)");
  JsonNode *w = json_object_get_member(args, "wait");
  gboolean wait = FALSE;
  if (w && !JSON_NODE_HOLDS_NULL(w)) {
    if (!JSON_NODE_HOLDS_VALUE(w) || json_node_get_value_type(w) != G_TYPE_BOOLEAN)
      return refuse(result, "the \"wait\" argument of start_run must be true or false");
    wait = json_node_get_boolean(w);
  }

  g_autoptr(JsonObject) request = shiftd_protocol_message_new("start_run");
  json_object_set_string_member(request, "agent", agent);
  json_object_set_string_member(request, "task", task);
  json_object_set_boolean_member(request, "wait", wait);
  g_autoptr(JsonObject) reply = shiftd_link_request(link, request, error);
  if (reply == NULL)
    return FALSE;
  if (!shiftd_json_get_bool(reply, "ok", FALSE))
    return refuse(result, shiftd_json_get_string(reply, "error", "the daemon refused to start the run"));
  const char *child = shiftd_json_get_string(reply, "run", "");
  result->ok = TRUE;
  if (wait) {
    /* the run pauses here; the child's result comes back as this call's result */
    result->outcome = SHIFTD_TOOL_WAIT;
    result->text = g_strdup(child);
  } else {
    result->outcome = SHIFTD_TOOL_CONTINUE;
    result->text = g_strdup_printf("started run %s; it works on its own (not waited for)", child);
  }
  return TRUE;
}
