#include "hello.h"

#include <errno.h>
#include <string.h>

#include "json-util.h"
#include "mcp-config.h"
#include "protocol.h"
#include "time-span.h"
#include "worker-error.h"

#define DEFAULT_MAX_STEPS 20
#define DEFAULT_SHELL_TIMEOUT_USEC (60 * SHIFTD_USEC_PER_SEC)
#define DEFAULT_OUTPUT_CAP 65536
#define DEFAULT_CONTEXT_TOKENS 32000
#define DEFAULT_MODEL_TIMEOUT_USEC (300 * SHIFTD_USEC_PER_SEC)
#define DEFAULT_RETRIES 4
#define DEFAULT_RETRY_DELAY_USEC SHIFTD_USEC_PER_SEC

static gboolean
bad(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
bad(GError **error, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *message = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_set_error(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_FAILED, "bad hello from the daemon: %s", message);
  return FALSE;
}

/* A string member that may be absent or null; anything else is an error. */
static gboolean
opt_string(JsonObject *o, const char *member, const char *dflt, char **out, GError **error)
{
  JsonNode *node = o ? json_object_get_member(o, member) : NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
    *out = g_strdup(dflt);
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
    return bad(error, "\"%s\" is not a string", member);
  *out = g_strdup(json_node_get_string(node));
  return TRUE;
}

/* A non-negative integer member, or the default when absent. */
static gboolean
opt_uint(JsonObject *o, const char *member, guint64 dflt, guint64 max, guint64 *out, GError **error)
{
  JsonNode *node = o ? json_object_get_member(o, member) : NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
    *out = dflt;
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
    return bad(error, "\"%s\" is not an integer", member);
  gint64 v = json_node_get_int(node);
  if (v < 0 || (guint64)v > max)
    return bad(error, "\"%s\" is out of range (%" G_GINT64_FORMAT ")", member, v);
  *out = (guint64)v;
  return TRUE;
}

/* The checkpoint is edited as the run goes on; parsed nodes are sealed, so
 * take a mutable copy. */
static JsonArray *
mutable_copy(JsonArray *array)
{
  g_autoptr(JsonNode) node = json_node_init_array(json_node_alloc(), array);
  g_autofree char *text = json_to_string(node, FALSE);
  g_autoptr(JsonParser) parser = json_parser_new();
  if (!json_parser_load_from_data(parser, text, -1, NULL))
    return NULL;
  return json_array_ref(json_node_get_array(json_parser_get_root(parser)));
}

static gboolean
parse_tools(JsonObject *settings, ShiftdHello *h, GError **error)
{
  JsonNode *node = settings ? json_object_get_member(settings, "tools") : NULL;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  if (node != NULL && !JSON_NODE_HOLDS_NULL(node)) {
    if (!JSON_NODE_HOLDS_ARRAY(node))
      return bad(error, "\"tools\" is not an array");
    JsonArray *a = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      JsonNode *e = json_array_get_element(a, i);
      if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
        return bad(error, "\"tools\" holds something that is not a string");
      g_strv_builder_add(b, json_node_get_string(e));
    }
  }
  h->tools = g_strv_builder_end(b);
  return TRUE;
}

/* Delegates=: named to the model as start_run's choices; optional. */
static gboolean
parse_delegates(JsonObject *settings, ShiftdHello *h, GError **error)
{
  JsonArray *a = shiftd_json_get_array(settings, "delegates");
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  for (guint i = 0; a && i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
      return bad(error, "\"delegates\" holds something that is not a string");
    g_strv_builder_add(b, json_node_get_string(e));
  }
  h->delegates = g_strv_builder_end(b);
  return TRUE;
}

static gboolean
parse_mcp(JsonObject *message, ShiftdHello *h, GError **error)
{
  h->mcp = g_ptr_array_new_with_free_func((GDestroyNotify)shiftd_mcp_server_free);
  JsonNode *node = json_object_get_member(message, "mcp");
  if (node == NULL || JSON_NODE_HOLDS_NULL(node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY(node))
    return bad(error, "\"mcp\" is not an array");
  JsonArray *a = json_node_get_array(node);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_OBJECT(e))
      return bad(error, "\"mcp\" holds something that is not an object");
    g_autoptr(GError) local = NULL;
    ShiftdMcpServer *server = shiftd_mcp_server_from_json(json_node_get_object(e), &local);
    if (server == NULL)
      return bad(error, "%s", local->message);
    g_ptr_array_add(h->mcp, server);
  }
  return TRUE;
}

static gboolean
parse_settings(JsonObject *s, ShiftdHello *h, GError **error)
{
  guint64 v;
  if (!opt_string(s, "instructions", "", &h->instructions, error) ||
      !opt_string(s, "workspace", "", &h->workspace, error) ||
      !opt_string(s, "notes_path", "", &h->notes_path, error) ||
      !opt_string(s, "wake_if", "", &h->wake_if, error) ||
      !opt_string(s, "unconfined", NULL, &h->unconfined, error) ||
      !parse_tools(s, h, error) || !parse_delegates(s, h, error))
    return FALSE;
  if (!opt_uint(s, "max_steps", DEFAULT_MAX_STEPS, G_MAXUINT, &v, error))
    return FALSE;
  h->max_steps = (guint)v;
  if (!opt_uint(s, "shell_timeout_usec", DEFAULT_SHELL_TIMEOUT_USEC, G_MAXINT64, &h->shell_timeout_usec, error))
    return FALSE;
  if (!opt_uint(s, "output_cap", DEFAULT_OUTPUT_CAP, SHIFTD_PROTOCOL_MAX_LINE / 4, &v, error))
    return FALSE;
  h->output_cap = (gsize)v;
  if (!opt_uint(s, "context_tokens", DEFAULT_CONTEXT_TOKENS, G_MAXUINT, &v, error))
    return FALSE;
  if (v == 0)
    return bad(error, "\"context_tokens\" is 0");
  h->context_tokens = (guint)v;
  h->private_network = shiftd_json_get_bool(s, "private_network", FALSE);
  h->state_directory = shiftd_json_get_bool(s, "state_directory", FALSE);
  h->review = shiftd_json_get_bool(s, "review", FALSE);
  return TRUE;
}

static gboolean
parse_model(JsonObject *m, ShiftdHello *h, GError **error)
{
  guint64 v;
  if (m == NULL)
    return bad(error, "no \"model\" object");
  if (!opt_string(m, "base_url", "", &h->base_url, error) ||
      !opt_string(m, "name", "", &h->model_name, error) ||
      !opt_string(m, "api_key", "", &h->api_key, error))
    return FALSE;
  if (*h->base_url == '\0')
    return bad(error, "no model base_url");
  g_autofree char *provider = NULL;
  if (!opt_string(m, "provider", "openai", &provider, error))
    return FALSE;
  h->provider = shiftd_provider_from_string(provider);
  if (h->provider == SHIFTD_PROVIDER_UNSET) {
    g_autofree char *shown = shiftd_one_line(provider, 64);
    return bad(error, "unknown model provider \"%s\" (expected " SHIFTD_PROVIDER_CHOICES ")", shown);
  }
  if (!opt_uint(m, "timeout_usec", DEFAULT_MODEL_TIMEOUT_USEC, G_MAXINT64, &h->timeout_usec, error) ||
      !opt_uint(m, "retry_delay_usec", DEFAULT_RETRY_DELAY_USEC, G_MAXINT64, &h->retry_delay_usec, error) ||
      !opt_uint(m, "retries", DEFAULT_RETRIES, 1000, &v, error))
    return FALSE;
  h->retries = (guint)v;
  return TRUE;
}

/* The token budget; absent: no limits. */
static gboolean
parse_budget(JsonObject *b, ShiftdHello *h, GError **error)
{
  return opt_uint(b, "per_run", 0, G_MAXINT64, &h->tokens_per_run, error) &&
         opt_uint(b, "run_used", 0, G_MAXINT64, &h->tokens_run_used, error) &&
         opt_uint(b, "per_day", 0, G_MAXINT64, &h->tokens_per_day, error) &&
         opt_uint(b, "day_used", 0, G_MAXINT64, &h->tokens_day_used, error);
}

ShiftdHello *
shiftd_hello_parse(JsonObject *message, GError **error)
{
  JsonNode *version = json_object_get_member(message, "version");
  if (version == NULL || !JSON_NODE_HOLDS_VALUE(version) || json_node_get_value_type(version) != G_TYPE_INT64) {
    bad(error, "no numeric \"version\"");
    return NULL;
  }
  if (json_node_get_int(version) != SHIFTD_PROTOCOL_VERSION) {
    g_set_error(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_FAILED,
                "protocol version %" G_GINT64_FORMAT " not supported", json_node_get_int(version));
    return NULL;
  }

  g_autoptr(ShiftdHello) h = g_new0(ShiftdHello, 1);
  guint64 v;
  if (!opt_string(message, "run", "", &h->run, error) ||
      !opt_string(message, "agent", "", &h->agent, error) ||
      !opt_string(message, "trigger", "manual", &h->trigger, error) ||
      !opt_string(message, "task", NULL, &h->task, error) ||
      !opt_string(message, "answer", NULL, &h->answer, error) ||
      !opt_string(message, "answered_by", NULL, &h->answered_by, error))
    return NULL;
  if (!opt_uint(message, "attempt", 1, G_MAXUINT, &v, error))
    return NULL;
  h->attempt = (guint)v;
  if (!opt_uint(message, "step", 0, G_MAXUINT, &v, error))
    return NULL;
  h->step = (guint)v;

  JsonNode *messages = json_object_get_member(message, "messages");
  if (messages != NULL && !JSON_NODE_HOLDS_NULL(messages)) {
    if (!JSON_NODE_HOLDS_ARRAY(messages)) {
      bad(error, "\"messages\" is neither an array nor null");
      return NULL;
    }
    /* An empty checkpoint is a fresh start. */
    if (json_array_get_length(json_node_get_array(messages)) > 0)
      h->messages = mutable_copy(json_node_get_array(messages));
  }
  if (h->messages == NULL && h->task == NULL) {
    bad(error, "no task and no messages");
    return NULL;
  }

  JsonNode *settings = json_object_get_member(message, "settings");
  if (settings != NULL && !JSON_NODE_HOLDS_NULL(settings) && !JSON_NODE_HOLDS_OBJECT(settings)) {
    bad(error, "\"settings\" is not an object");
    return NULL;
  }
  if (!parse_settings(shiftd_json_get_object(message, "settings"), h, error) ||
      !parse_model(shiftd_json_get_object(message, "model"), h, error) ||
      !parse_budget(shiftd_json_get_object(message, "budget"), h, error) || !parse_mcp(message, h, error))
    return NULL;
  return g_steal_pointer(&h);
}

void
shiftd_hello_free(ShiftdHello *h)
{
  if (h == NULL)
    return;
  g_free(h->run);
  g_free(h->agent);
  g_free(h->trigger);
  g_free(h->task);
  if (h->messages)
    json_array_unref(h->messages);
  g_free(h->answer);
  g_free(h->answered_by);
  g_free(h->instructions);
  g_strfreev(h->tools);
  g_strfreev(h->delegates);
  g_free(h->workspace);
  g_free(h->notes_path);
  g_free(h->wake_if);
  g_free(h->unconfined);
  if (h->mcp)
    g_ptr_array_unref(h->mcp);
  g_free(h->base_url);
  g_free(h->model_name);
  if (h->api_key)
    memset(h->api_key, 0, strlen(h->api_key));
  g_free(h->api_key);
  g_free(h);
}

gboolean
shiftd_hello_tool_enabled(const ShiftdHello *hello, const char *tool)
{
  return g_strv_contains((const char *const *)hello->tools, tool);
}

static gboolean
make_dir(const char *dir, GError **error)
{
  if (g_mkdir_with_parents(dir, 0700) == 0)
    return TRUE;
  int e = errno;
  g_set_error(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_FAILED, "cannot create %s: %s", dir, g_strerror(e));
  return FALSE;
}

static gboolean
resolve(char **path, const char *state_dir, gboolean is_dir, GError **error)
{
  if (**path == '\0')
    return TRUE;
  if (!g_path_is_absolute(*path)) {
    if (state_dir == NULL) {
      g_set_error(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_FAILED, "%s is not an absolute path", *path);
      return FALSE;
    }
    g_autofree char *relative = *path;
    *path = g_build_filename(state_dir, relative, NULL);
  }
  g_autofree char *dir = is_dir ? g_strdup(*path) : g_path_get_dirname(*path);
  return make_dir(dir, error);
}

gboolean
shiftd_hello_prepare_dirs(ShiftdHello *h, const char *state_dir, GError **error)
{
  if (h->state_directory && (state_dir == NULL || !g_path_is_absolute(state_dir))) {
    g_set_error(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_FAILED,
                "the agent's files are in the unit's StateDirectory=, but $STATE_DIRECTORY is not set");
    return FALSE;
  }
  const char *base = h->state_directory ? state_dir : NULL;
  return resolve(&h->workspace, base, TRUE, error) && resolve(&h->notes_path, base, FALSE, error);
}
