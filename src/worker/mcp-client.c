#include "mcp-client.h"

#include <string.h>

#include "build-config.h"
#include "json-util.h"
#include "mcp-error.h"
#include "mcp-http.h"
#include "mcp-stdio.h"
#include "time-span.h"

/* The newest revision we speak; the server may answer with another, and we
 * go on with what it says. */
#define PROTOCOL_VERSION "2025-06-18"
/* Messages it may send us before our answer comes: bounded, so a chatty or
 * looping server ends as a broken one instead of holding the call. */
#define MESSAGES_PER_REQUEST_MAX 10000
#define CANCEL_WRITE_USEC (200 * 1000)
#define SNIPPET_MAX 120

G_DEFINE_QUARK(shiftd-mcp-error-quark, shiftd_mcp_error)

struct ShiftdMcpClient {
  const ShiftdMcpServer *server;
  ShiftdMcpStdio *stdio;
  ShiftdMcpHttp *http;
  gint64 next_id;
  gboolean has_tools;
};

static char *
rpc_line(JsonObject *message)
{
  json_object_set_string_member(message, "jsonrpc", "2.0");
  g_autofree char *text = shiftd_json_object_to_string(message);
  return g_strconcat(text, "\n", NULL);
}

/* Sends a message that wants no answer (a notification, or our answer to a
 * request of the server's). Messages an HTTP reply carries are dropped. */
static gboolean
send_only(ShiftdMcpClient *c, ShiftdLink *link, JsonObject *message, guint64 timeout_usec, GError **error)
{
  g_autofree char *line = rpc_line(message);
  if (c->stdio)
    return shiftd_mcp_stdio_write(c->stdio, link, line, shiftd_now_monotonic_usec() + timeout_usec, error);
  g_autoptr(GPtrArray) ignored = NULL;
  return shiftd_mcp_http_post(c->http, link, line, timeout_usec, &ignored, error);
}

static GError *
garbage(const char *text, const char *why)
{
  g_autofree char *snippet = shiftd_one_line(text, SNIPPET_MAX);
  return g_error_new(SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_BROKEN, "it answered something that is not MCP (%s): %s",
                     why, snippet);
}

static gboolean
id_is(JsonNode *node, gint64 id)
{
  return node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_INT64 &&
         json_node_get_int(node) == id;
}

/* A request of the server's: ping is answered, anything else refused, as a
 * client with no capabilities must. */
static gboolean
answer_server_request(ShiftdMcpClient *c, ShiftdLink *link, JsonObject *request, GError **error)
{
  g_autoptr(JsonObject) reply = json_object_new();
  json_object_set_member(reply, "id", json_node_copy(json_object_get_member(request, "id")));
  const char *method = shiftd_json_get_string(request, "method", "");
  if (g_str_equal(method, "ping")) {
    json_object_set_object_member(reply, "result", json_object_new());
  } else {
    JsonObject *e = json_object_new();
    json_object_set_int_member(e, "code", -32601);
    json_object_set_string_member(e, "message", "method not supported by this client");
    json_object_set_object_member(reply, "error", e);
  }
  return send_only(c, link, reply, c->server->timeout_usec, error);
}

typedef enum { NOT_OURS, OURS, FAILED } Handled;

/* One message from the server while we wait for the answer to id. */
static Handled
handle(ShiftdMcpClient *c, ShiftdLink *link, const char *text, gint64 id, JsonObject **result, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(JsonNode) node = shiftd_json_parse(text, -1, &local);
  if (node == NULL) {
    g_propagate_error(error, garbage(text, local->message));
    return FAILED;
  }
  if (!JSON_NODE_HOLDS_OBJECT(node)) {
    g_propagate_error(error, garbage(text, "not a JSON object"));
    return FAILED;
  }
  JsonObject *m = json_node_get_object(node);
  JsonNode *msg_id = json_object_get_member(m, "id");
  if (json_object_has_member(m, "method")) {
    if (msg_id == NULL)
      return NOT_OURS; /* a notification: progress, logging, list_changed */
    return answer_server_request(c, link, m, error) ? NOT_OURS : FAILED;
  }
  if (!id_is(msg_id, id))
    return NOT_OURS; /* the late answer to a request that timed out */
  JsonObject *e = shiftd_json_get_object(m, "error");
  if (e) {
    g_autofree char *message = shiftd_one_line(shiftd_json_get_string(e, "message", "no message"), 500);
    g_set_error(error, SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_RPC, "%s (JSON-RPC error %" G_GINT64_FORMAT ")", message,
                shiftd_json_get_int(e, "code", 0));
    return FAILED;
  }
  JsonObject *r = shiftd_json_get_object(m, "result");
  if (r == NULL) {
    g_propagate_error(error, garbage(text, "an answer with neither result nor error"));
    return FAILED;
  }
  *result = json_object_ref(r);
  return OURS;
}

static void
cancel_request(ShiftdMcpClient *c, ShiftdLink *link, gint64 id)
{
  g_autoptr(JsonObject) n = json_object_new();
  json_object_set_string_member(n, "method", "notifications/cancelled");
  JsonObject *params = json_object_new();
  json_object_set_int_member(params, "requestId", id);
  json_object_set_string_member(params, "reason", "timed out");
  json_object_set_object_member(n, "params", params);
  g_autoptr(GError) ignored = NULL;
  (void)send_only(c, link, n, CANCEL_WRITE_USEC, &ignored); /* best effort: the call has failed anyway */
}

JsonObject *
shiftd_mcp_client_request(ShiftdMcpClient *c, ShiftdLink *link, const char *method, JsonObject *params,
                          GError **error)
{
  gint64 id = c->next_id++;
  g_autoptr(JsonObject) request = json_object_new();
  json_object_set_int_member(request, "id", id);
  json_object_set_string_member(request, "method", method);
  if (params)
    json_object_set_object_member(request, "params", params);
  g_autofree char *line = rpc_line(request);
  guint64 deadline = shiftd_now_monotonic_usec() + c->server->timeout_usec;
  JsonObject *result = NULL;
  g_autoptr(GError) local = NULL;

  if (c->http) {
    g_autoptr(GPtrArray) messages = NULL;
    if (shiftd_mcp_http_post(c->http, link, line, c->server->timeout_usec, &messages, &local)) {
      for (guint i = 0; i < messages->len && result == NULL && local == NULL; i++)
        handle(c, link, g_ptr_array_index(messages, i), id, &result, &local);
      if (result == NULL && local == NULL)
        local = g_error_new(SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_BROKEN, "its HTTP reply to %s held no answer", method);
    }
  } else if (shiftd_mcp_stdio_write(c->stdio, link, line, deadline, &local)) {
    for (guint n = 0; result == NULL && local == NULL; n++) {
      if (n >= MESSAGES_PER_REQUEST_MAX) {
        local = g_error_new(SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_BROKEN,
                            "it sent %d messages without answering %s", MESSAGES_PER_REQUEST_MAX, method);
        break;
      }
      g_autofree char *text = shiftd_mcp_stdio_read(c->stdio, link, deadline, &local);
      if (text && *g_strstrip(text))
        handle(c, link, text, id, &result, &local);
    }
  }
  if (result)
    return result;
  if (g_error_matches(local, SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_TIMEOUT)) {
    g_autofree char *span = shiftd_time_span_format(c->server->timeout_usec);
    g_clear_error(&local);
    cancel_request(c, link, id);
    local = g_error_new(SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_TIMEOUT, "no answer to %s within %s (its Timeout=)",
                        method, span);
  }
  g_propagate_error(error, g_steal_pointer(&local));
  return NULL;
}

static gboolean
handshake(ShiftdMcpClient *c, ShiftdLink *link, GError **error)
{
  JsonObject *params = json_object_new();
  json_object_set_string_member(params, "protocolVersion", PROTOCOL_VERSION);
  json_object_set_object_member(params, "capabilities", json_object_new());
  JsonObject *info = json_object_new();
  json_object_set_string_member(info, "name", "shiftd");
  json_object_set_string_member(info, "version", PACKAGE_VERSION);
  json_object_set_object_member(params, "clientInfo", info);
  g_autoptr(JsonObject) result = shiftd_mcp_client_request(c, link, "initialize", params, error);
  if (result == NULL)
    return FALSE;
  const char *version = shiftd_json_get_string(result, "protocolVersion", NULL);
  if (version == NULL || *version == '\0' || strlen(version) > 64) {
    g_set_error(error, SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_BROKEN, "its answer to initialize has no protocolVersion");
    return FALSE;
  }
  JsonObject *caps = shiftd_json_get_object(result, "capabilities");
  c->has_tools = caps && json_object_has_member(caps, "tools");
  if (c->http)
    shiftd_mcp_http_set_protocol_version(c->http, version);
  g_autoptr(JsonObject) initialized = json_object_new();
  json_object_set_string_member(initialized, "method", "notifications/initialized");
  return send_only(c, link, initialized, c->server->timeout_usec, error);
}

ShiftdMcpClient *
shiftd_mcp_client_start(const ShiftdMcpServer *server, const char *workdir, gboolean private_network,
                        ShiftdLink *link, GError **error)
{
  g_autoptr(ShiftdMcpClient) c = g_new0(ShiftdMcpClient, 1);
  c->server = server;
  c->next_id = 1;
  if (server->argv) {
    c->stdio = shiftd_mcp_stdio_spawn(server->argv, server->env, workdir, private_network, error);
    if (c->stdio == NULL)
      return NULL;
  } else {
    c->http = shiftd_mcp_http_new(server->url);
  }
  if (!handshake(c, link, error))
    return NULL;
  return g_steal_pointer(&c);
}

gboolean
shiftd_mcp_client_has_tools(ShiftdMcpClient *c)
{
  return c->has_tools;
}

void
shiftd_mcp_client_free(ShiftdMcpClient *c)
{
  if (c == NULL)
    return;
  shiftd_mcp_stdio_free(c->stdio);
  shiftd_mcp_http_free(c->http);
  g_free(c);
}
