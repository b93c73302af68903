#include "mcp-tools.h"

#include <string.h>

#include "json-util.h"
#include "log.h"
#include "mcp-client.h"
#include "mcp-error.h"

#define TOOL_NAME_MAX 64
#define DESCRIPTION_MAX 4096
/* A server's tool list is offered to the model on every call: bounded. */
#define TOOLS_PER_SERVER_MAX 256
#define LIST_PAGES_MAX 64
#define REASON_MAX 400

typedef struct {
  const ShiftdMcpServer *spec;
  ShiftdMcpClient *client; /* NULL once it failed */
  char *down;              /* why it is not running, or NULL */
} Server;

typedef struct {
  Server *server;
  char *name;     /* as the server knows it */
  char *offered;  /* SERVER__TOOL */
  JsonObject *schema; /* the OpenAI "function" object */
} Tool;

struct ShiftdMcpTools {
  const ShiftdHello *hello;
  GPtrArray *servers; /* Server* */
  GPtrArray *tools;   /* Tool* */
  GHashTable *by_name; /* offered name -> Tool* */
};

static void
server_free(Server *s)
{
  shiftd_mcp_client_free(s->client);
  g_free(s->down);
  g_free(s);
}

static void
tool_free(Tool *t)
{
  g_free(t->name);
  g_free(t->offered);
  if (t->schema)
    json_object_unref(t->schema);
  g_free(t);
}

char *
shiftd_mcp_tool_name(const char *server, const char *tool)
{
  g_autofree char *joined = g_strconcat(server, "__", tool, NULL);
  for (char *p = joined; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-')
      *p = '_';
  return g_strndup(joined, TOOL_NAME_MAX);
}

static gboolean
note(const ShiftdHello *hello, ShiftdLink *link, const char *text, GError **error)
{
  log_run(LOG_WARNING, hello->run, hello->agent, "%s", text);
  JsonObject *data = json_object_new();
  json_object_set_string_member(data, "text", text);
  return shiftd_link_send_event(link, "note", data, error);
}

/* Marks s as down (stopping it) and says so in a note. */
static gboolean
take_down(ShiftdMcpTools *t, ShiftdLink *link, Server *s, const char *why, GError **error)
{
  g_clear_pointer(&s->client, shiftd_mcp_client_free);
  g_free(s->down);
  s->down = shiftd_one_line(why, REASON_MAX);
  g_autofree char *text = g_strdup_printf("MCP server %s is not running: %s", s->spec->name, s->down);
  return note(t->hello, link, text, error);
}

static gboolean
is_link_error(const GError *e)
{
  return e->domain != SHIFTD_MCP_ERROR;
}

/* One entry of tools/list, or NULL (logged) when it is not usable. */
static Tool *
tool_from_json(Server *s, JsonNode *node)
{
  if (!JSON_NODE_HOLDS_OBJECT(node))
    return NULL;
  JsonObject *o = json_node_get_object(node);
  const char *name = shiftd_json_get_string(o, "name", NULL);
  JsonObject *input = shiftd_json_get_object(o, "inputSchema");
  if (name == NULL || *name == '\0' || input == NULL) {
    log_warning("MCP server %s lists a tool without a name or an inputSchema; left out", s->spec->name);
    return NULL;
  }
  Tool *tool = g_new0(Tool, 1);
  tool->server = s;
  tool->name = g_strdup(name);
  tool->offered = shiftd_mcp_tool_name(s->spec->name, name);
  tool->schema = json_object_new();
  json_object_set_string_member(tool->schema, "name", tool->offered);
  g_autofree char *description = shiftd_utf8_truncate(shiftd_json_get_string(o, "description", ""), DESCRIPTION_MAX);
  json_object_set_string_member(tool->schema, "description", description);
  json_object_set_member(tool->schema, "parameters", json_node_copy(json_object_get_member(o, "inputSchema")));
  return tool;
}

static void
add_tool(ShiftdMcpTools *t, Tool *tool)
{
  if (g_hash_table_contains(t->by_name, tool->offered)) {
    log_warning("MCP tool %s (%s) has the name of another; left out", tool->offered, tool->name);
    tool_free(tool);
    return;
  }
  g_ptr_array_add(t->tools, tool);
  g_hash_table_insert(t->by_name, tool->offered, tool);
}

/* tools/list, page by page. */
static gboolean
list_tools(ShiftdMcpTools *t, ShiftdLink *link, Server *s, GError **error)
{
  g_autofree char *cursor = NULL;
  guint count = 0;
  for (guint page = 0; page < LIST_PAGES_MAX; page++) {
    JsonObject *params = json_object_new();
    if (cursor)
      json_object_set_string_member(params, "cursor", cursor);
    g_autoptr(JsonObject) result = shiftd_mcp_client_request(s->client, link, "tools/list", params, error);
    if (result == NULL)
      return FALSE;
    JsonNode *list = json_object_get_member(result, "tools");
    if (list == NULL || !JSON_NODE_HOLDS_ARRAY(list)) {
      g_set_error(error, SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_BROKEN, "its answer to tools/list has no tools array");
      return FALSE;
    }
    JsonArray *a = json_node_get_array(list);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      if (++count > TOOLS_PER_SERVER_MAX) {
        log_warning("MCP server %s lists more than %d tools; the rest are left out", s->spec->name,
                    TOOLS_PER_SERVER_MAX);
        return TRUE;
      }
      Tool *tool = tool_from_json(s, json_array_get_element(a, i));
      if (tool)
        add_tool(t, tool);
    }
    g_free(cursor);
    cursor = g_strdup(shiftd_json_get_string(result, "nextCursor", NULL));
    if (cursor == NULL || *cursor == '\0')
      return TRUE;
  }
  return TRUE;
}

ShiftdMcpTools *
shiftd_mcp_tools_start(const ShiftdHello *hello, ShiftdLink *link, GError **error)
{
  g_autoptr(ShiftdMcpTools) t = g_new0(ShiftdMcpTools, 1);
  t->hello = hello;
  t->servers = g_ptr_array_new_with_free_func((GDestroyNotify)server_free);
  t->tools = g_ptr_array_new_with_free_func((GDestroyNotify)tool_free);
  t->by_name = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; hello->mcp && i < hello->mcp->len; i++) {
    Server *s = g_new0(Server, 1);
    s->spec = g_ptr_array_index(hello->mcp, i);
    g_ptr_array_add(t->servers, s);
    for (char **e = s->spec->env; e && *e; e++) {
      shiftd_log_add_secret(strchr(*e, '=') + 1);
      shiftd_link_set_secret(link, strchr(*e, '=') + 1);
    }
    g_autoptr(GError) local = NULL;
    /* PrivateNetwork= cuts a stdio server off the network like any tool;
     * an HTTP server is reached by the worker, which keeps it */
    s->client = shiftd_mcp_client_start(s->spec, hello->workspace, hello->private_network, link, &local);
    if (s->client && shiftd_mcp_client_has_tools(s->client))
      list_tools(t, link, s, &local);
    if (local == NULL) {
      log_run(LOG_INFO, hello->run, hello->agent, "MCP server %s is running", s->spec->name);
      continue;
    }
    if (is_link_error(local)) {
      g_propagate_error(error, g_steal_pointer(&local));
      return NULL;
    }
    g_autofree char *why = g_strdup_printf("it did not start: %s", local->message);
    if (!take_down(t, link, s, why, error))
      return NULL;
  }
  return g_steal_pointer(&t);
}

void
shiftd_mcp_tools_add_schemas(ShiftdMcpTools *t, JsonArray *tools)
{
  for (guint i = 0; i < t->tools->len; i++) {
    Tool *tool = g_ptr_array_index(t->tools, i);
    if (tool->server->down)
      continue;
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "type", "function");
    json_object_set_object_member(o, "function", json_object_ref(tool->schema));
    json_array_add_object_element(tools, o);
  }
}

/* The server whose SERVER__ prefix name has, or NULL. */
static Server *
server_of(ShiftdMcpTools *t, const char *name)
{
  for (guint i = 0; i < t->servers->len; i++) {
    Server *s = g_ptr_array_index(t->servers, i);
    gsize n = strlen(s->spec->name);
    if (strncmp(name, s->spec->name, n) == 0 && strncmp(name + n, "__", 2) == 0)
      return s;
  }
  return NULL;
}

gboolean
shiftd_mcp_tools_owns(ShiftdMcpTools *t, const char *name)
{
  return t && (g_hash_table_contains(t->by_name, name) || server_of(t, name) != NULL);
}

/* The text of a tools/call result: its text contents, joined; what is not
 * text is named, not shown. */
static char *
result_text(JsonObject *result, gsize cap)
{
  g_autoptr(GString) s = g_string_new(NULL);
  JsonNode *content = json_object_get_member(result, "content");
  JsonArray *a = content && JSON_NODE_HOLDS_ARRAY(content) ? json_node_get_array(content) : NULL;
  for (guint i = 0; a && i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_OBJECT(e))
      continue;
    JsonObject *o = json_node_get_object(e);
    const char *type = shiftd_json_get_string(o, "type", "");
    if (s->len > 0)
      g_string_append_c(s, '\n');
    if (g_str_equal(type, "text")) {
      g_string_append(s, shiftd_json_get_string(o, "text", ""));
    } else if (g_str_equal(type, "resource")) {
      JsonObject *r = shiftd_json_get_object(o, "resource");
      const char *text = r ? shiftd_json_get_string(r, "text", NULL) : NULL;
      if (text)
        g_string_append(s, text);
      else
        g_string_append_printf(s, "[resource %s: not text, not shown]", r ? shiftd_json_get_string(r, "uri", "") : "");
    } else if (g_str_equal(type, "resource_link")) {
      g_string_append_printf(s, "[resource link: %s]", shiftd_json_get_string(o, "uri", ""));
    } else {
      g_string_append_printf(s, "[%s content (%s): not shown]", type, shiftd_json_get_string(o, "mimeType", "?"));
    }
  }
  JsonNode *structured = json_object_get_member(result, "structuredContent");
  if (s->len == 0 && structured) {
    g_autofree char *json = shiftd_json_to_string(structured);
    g_string_append(s, json);
  }
  if (s->len > cap) {
    g_autofree char *cut = shiftd_utf8_truncate(s->str, cap);
    gsize dropped = s->len - strlen(cut);
    g_string_assign(s, cut);
    g_string_append_printf(s, "\n[output truncated: %" G_GSIZE_FORMAT " more bytes not shown]", dropped);
  }
  g_autofree char *valid = g_utf8_make_valid(s->str, (gssize)s->len);
  return g_steal_pointer(&valid);
}

gboolean
shiftd_mcp_tools_call(ShiftdMcpTools *t, ShiftdLink *link, const ShiftdToolCall *call, gboolean *ok, char **text,
                      GError **error)
{
  *ok = FALSE;
  Tool *tool = g_hash_table_lookup(t->by_name, call->name);
  Server *s = tool ? tool->server : server_of(t, call->name);
  if (s->down) {
    *text = g_strdup_printf("MCP server %s is not running: %s", s->spec->name, s->down);
    return TRUE;
  }
  if (tool == NULL) {
    *text = g_strdup_printf("MCP server %s has no tool \"%s\"", s->spec->name, call->name + strlen(s->spec->name) + 2);
    return TRUE;
  }
  const char *raw = call->arguments ? call->arguments : "";
  g_autofree char *trimmed = g_strstrip(g_strdup(raw));
  g_autoptr(GError) local = NULL;
  g_autoptr(JsonNode) args = *trimmed ? shiftd_json_parse(trimmed, -1, &local) : NULL;
  if (*trimmed && (args == NULL || !JSON_NODE_HOLDS_OBJECT(args))) {
    *text = g_strdup_printf("the arguments of %s are not a valid JSON object (%s); call it again with a JSON object",
                            call->name, local ? local->message : "not an object");
    return TRUE;
  }
  JsonObject *params = json_object_new();
  json_object_set_string_member(params, "name", tool->name);
  if (args)
    json_object_set_member(params, "arguments", json_node_copy(args));
  else
    json_object_set_object_member(params, "arguments", json_object_new());

  g_autoptr(JsonObject) result = shiftd_mcp_client_request(s->client, link, "tools/call", params, &local);
  if (result) {
    *ok = !shiftd_json_get_bool(result, "isError", FALSE);
    *text = result_text(result, t->hello->output_cap);
    return TRUE;
  }
  if (is_link_error(local)) {
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  if (g_error_matches(local, SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_TIMEOUT)) {
    *text = g_strdup_printf("%s timed out (MCP server %s: %s); the call was cancelled", call->name, s->spec->name,
                            local->message);
    return note(t->hello, link, *text, error);
  }
  if (g_error_matches(local, SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_RPC)) {
    *text = g_strdup_printf("MCP server %s refused the call to %s: %s", s->spec->name, tool->name, local->message);
    return TRUE;
  }
  if (!take_down(t, link, s, local->message, error))
    return FALSE;
  *text = g_strdup_printf("MCP server %s is not running: %s", s->spec->name, s->down);
  return TRUE;
}

void
shiftd_mcp_tools_free(ShiftdMcpTools *t)
{
  if (t == NULL)
    return;
  g_hash_table_unref(t->by_name);
  g_ptr_array_unref(t->tools);
  g_ptr_array_unref(t->servers); /* stops them */
  g_free(t);
}
