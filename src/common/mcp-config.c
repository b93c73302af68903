#include "mcp-config.h"

#include <string.h>

#include "config.h"
#include "time-span.h"

#define GROUP_PREFIX "MCP "
#define TIMEOUT_MIN_USEC (100 * 1000)
#define TIMEOUT_MAX_USEC (24ULL * 3600 * G_USEC_PER_SEC)
/* An environment file holds a few credentials, not a database. */
#define ENV_FILE_MAX (64 * 1024)
#define ENV_VARS_MAX 256

static const char *const server_keys[] = { "Exec", "URL", "Timeout", "EnvironmentFile", NULL };

void
shiftd_mcp_server_free(ShiftdMcpServer *s)
{
  if (s == NULL)
    return;
  g_free(s->name);
  g_strfreev(s->argv);
  g_free(s->url);
  for (char **e = s->env; e && *e; e++)
    memset(*e, 0, strlen(*e));
  g_strfreev(s->env);
  g_free(s);
}

gboolean
shiftd_mcp_name_is_valid(const char *name)
{
  gsize n = strlen(name);
  if (n == 0 || n > SHIFTD_MCP_NAME_MAX)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static const char *
server_name(const char *group)
{
  return g_str_has_prefix(group, GROUP_PREFIX) ? group + strlen(GROUP_PREFIX) : NULL;
}

GArray *
shiftd_mcp_config_keys(ShiftdIniFile *ini, const ShiftdIniKey *known)
{
  GArray *keys = g_array_new(TRUE, TRUE, sizeof(ShiftdIniKey));
  for (const ShiftdIniKey *k = known; k->group; k++)
    g_array_append_val(keys, *k);
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < ini->entries->len; i++) {
    const ShiftdIniEntry *e = g_ptr_array_index(ini->entries, i);
    if (server_name(e->group) == NULL || !g_hash_table_add(seen, e->group))
      continue;
    for (const char *const *key = server_keys; *key; key++) {
      ShiftdIniKey k = { e->group, *key };
      g_array_append_val(keys, k);
    }
  }
  return keys;
}

/* Consumes why. */
static gboolean
entry_error(GError **error, ShiftdIniFile *ini, const ShiftdIniEntry *e, char *why)
{
  shiftd_ini_set_entry_error(error, ini, e, "%s", why);
  g_free(why);
  return FALSE;
}

static gboolean
parse_exec(ShiftdIniFile *ini, const ShiftdIniEntry *e, ShiftdMcpServer *s, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) argv = NULL;
  if (!g_shell_parse_argv(e->value, NULL, &argv, &local))
    return entry_error(error, ini, e, g_strdup_printf("cannot split the command line: %s", local->message));
  if (!g_path_is_absolute(argv[0]))
    return entry_error(error, ini, e, g_strdup_printf("the program must be an absolute path, not \"%s\"", argv[0]));
  s->argv = g_steal_pointer(&argv);
  return TRUE;
}

static gboolean
parse_url(ShiftdIniFile *ini, const ShiftdIniEntry *e, ShiftdMcpServer *s, GError **error)
{
  char *why = NULL;
  if (!shiftd_config_check_base_url(e->value, &why))
    return entry_error(error, ini, e, why);
  s->url = g_strdup(e->value);
  return TRUE;
}

static ShiftdMcpServer *
parse_server(ShiftdIniFile *ini, const char *group, GError **error)
{
  const char *name = server_name(group);
  const ShiftdIniEntry *exec = shiftd_ini_file_lookup(ini, group, "Exec");
  const ShiftdIniEntry *url = shiftd_ini_file_lookup(ini, group, "URL");
  const ShiftdIniEntry *env = shiftd_ini_file_lookup(ini, group, "EnvironmentFile");
  const ShiftdIniEntry *first = exec ? exec : url ? url : env ? env : shiftd_ini_file_lookup(ini, group, "Timeout");

  if (!shiftd_mcp_name_is_valid(name)) {
    entry_error(error, ini, first,
                g_strdup_printf("\"%s\" is not a valid MCP server name (letters, digits, - and _; up to %d)", name,
                                SHIFTD_MCP_NAME_MAX));
    return NULL;
  }
  if ((exec == NULL) == (url == NULL)) {
    entry_error(error, ini, first, g_strdup_printf("[%s] needs exactly one of Exec= (stdio) and URL= (HTTP)", group));
    return NULL;
  }
  g_autoptr(ShiftdMcpServer) s = g_new0(ShiftdMcpServer, 1);
  s->name = g_strdup(name);
  s->timeout_usec = SHIFTD_MCP_DEFAULT_TIMEOUT_USEC;
  if (exec ? !parse_exec(ini, exec, s, error) : !parse_url(ini, url, s, error))
    return NULL;
  if (!shiftd_ini_get_time_span(ini, group, "Timeout", TIMEOUT_MIN_USEC, &s->timeout_usec, error))
    return NULL;
  if (s->timeout_usec > TIMEOUT_MAX_USEC) {
    entry_error(error, ini, shiftd_ini_file_lookup(ini, group, "Timeout"), g_strdup("must be at most 1d"));
    return NULL;
  }
  if (env == NULL) {
    s->env = g_new0(char *, 1);
    return g_steal_pointer(&s);
  }
  if (url) {
    entry_error(error, ini, env, g_strdup("EnvironmentFile= is for servers started with Exec="));
    return NULL;
  }
  if (!g_path_is_absolute(env->value)) {
    entry_error(error, ini, env, g_strdup("must be an absolute path"));
    return NULL;
  }
  g_autoptr(GError) local = NULL;
  s->env = shiftd_env_file_read(env->value, &local);
  if (s->env == NULL) {
    entry_error(error, ini, env, g_strdup(local->message));
    return NULL;
  }
  return g_steal_pointer(&s);
}

GPtrArray *
shiftd_mcp_config_parse(ShiftdIniFile *ini, GError **error)
{
  g_autoptr(GPtrArray) servers = g_ptr_array_new_with_free_func((GDestroyNotify)shiftd_mcp_server_free);
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < ini->entries->len; i++) {
    const ShiftdIniEntry *e = g_ptr_array_index(ini->entries, i);
    if (server_name(e->group) == NULL || !g_hash_table_add(seen, e->group))
      continue;
    ShiftdMcpServer *s = parse_server(ini, e->group, error);
    if (s == NULL)
      return NULL;
    g_ptr_array_add(servers, s);
  }
  return g_steal_pointer(&servers);
}

const ShiftdMcpServer *
shiftd_mcp_config_find(GPtrArray *servers, const char *name)
{
  for (guint i = 0; servers && i < servers->len; i++) {
    const ShiftdMcpServer *s = g_ptr_array_index(servers, i);
    if (g_str_equal(s->name, name))
      return s;
  }
  return NULL;
}

static gboolean
env_name_is_valid(const char *name)
{
  if (!g_ascii_isalpha(*name) && *name != '_')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '_')
      return FALSE;
  return TRUE;
}

/* One line's KEY=VALUE, or NULL with the reason in *why. */
static char *
env_line(char *line, char **why)
{
  char *eq = strchr(line, '=');
  if (eq == NULL) {
    *why = g_strdup("expected KEY=VALUE");
    return NULL;
  }
  *eq = '\0';
  char *key = g_strstrip(line);
  if (!env_name_is_valid(key)) {
    *why = g_strdup_printf("\"%s\" is not a variable name", key);
    return NULL;
  }
  char *value = g_strstrip(eq + 1);
  gsize n = strlen(value);
  if (n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n - 1] == value[0]) {
    value[n - 1] = '\0';
    value++;
  }
  for (const char *p = value; *p; p++)
    if (g_ascii_iscntrl(*p)) {
      *why = g_strdup_printf("the value of %s holds a control character", key);
      return NULL;
    }
  return g_strconcat(key, "=", value, NULL);
}

GStrv
shiftd_env_file_read(const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  if (!shiftd_ini_read_file(path, ENV_FILE_MAX, &text, &length, error))
    return NULL;
  if (memchr(text, '\0', length) || !g_utf8_validate(text, (gssize)length, NULL)) {
    g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_SYNTAX, "%s: not a text file", path);
    return NULL;
  }
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  guint count = 0;
  for (guint i = 0; lines[i]; i++) {
    char *line = g_strstrip(lines[i]);
    if (*line == '\0' || *line == '#' || *line == ';')
      continue;
    g_autofree char *why = NULL;
    char *var = env_line(line, &why);
    if (var == NULL || ++count > ENV_VARS_MAX) {
      g_set_error(error, SHIFTD_INI_ERROR, SHIFTD_INI_ERROR_BAD_VALUE, "%s:%u: %s", path, i + 1,
                  var ? "too many variables" : why);
      g_free(var);
      return NULL;
    }
    g_strv_builder_add(b, var);
    memset(var, 0, strlen(var));
    g_free(var);
  }
  return g_strv_builder_end(b);
}

JsonObject *
shiftd_mcp_server_to_json(const ShiftdMcpServer *s)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "name", s->name);
  if (s->argv) {
    JsonArray *argv = json_array_new();
    for (char **a = s->argv; *a; a++)
      json_array_add_string_element(argv, *a);
    json_object_set_array_member(o, "argv", argv);
  } else {
    json_object_set_string_member(o, "url", s->url);
  }
  json_object_set_int_member(o, "timeout_usec", (gint64)s->timeout_usec);
  JsonObject *env = json_object_new();
  for (char **e = s->env; e && *e; e++) {
    g_autofree char *key = g_strndup(*e, (gsize)(strchr(*e, '=') - *e));
    json_object_set_string_member(env, key, strchr(*e, '=') + 1);
  }
  json_object_set_object_member(o, "env", env);
  return o;
}

static gboolean
bad(GError **error, const char *name, const char *what)
{
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "MCP server \"%s\": %s", name, what);
  return FALSE;
}

static gboolean
strings_of(JsonNode *node, GStrv *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node))
    return FALSE;
  JsonArray *a = json_node_get_array(node);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
      return FALSE;
    g_strv_builder_add(b, json_node_get_string(e));
  }
  *out = g_strv_builder_end(b);
  return TRUE;
}

ShiftdMcpServer *
shiftd_mcp_server_from_json(JsonObject *o, GError **error)
{
  JsonNode *node = json_object_get_member(o, "name");
  const char *name = node && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING
                       ? json_node_get_string(node) : "";
  if (!shiftd_mcp_name_is_valid(name)) {
    bad(error, name, "not a valid server name");
    return NULL;
  }
  g_autoptr(ShiftdMcpServer) s = g_new0(ShiftdMcpServer, 1);
  s->name = g_strdup(name);
  if (json_object_has_member(o, "argv")) {
    if (!strings_of(json_object_get_member(o, "argv"), &s->argv) || s->argv[0] == NULL) {
      bad(error, name, "\"argv\" is not a non-empty list of strings");
      return NULL;
    }
  } else {
    node = json_object_get_member(o, "url");
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
      bad(error, name, "neither \"argv\" nor \"url\"");
      return NULL;
    }
    s->url = g_strdup(json_node_get_string(node));
  }
  node = json_object_get_member(o, "timeout_usec");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64 ||
      json_node_get_int(node) <= 0) {
    bad(error, name, "\"timeout_usec\" is not a positive integer");
    return NULL;
  }
  s->timeout_usec = (guint64)json_node_get_int(node);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  node = json_object_get_member(o, "env");
  if (node && JSON_NODE_HOLDS_OBJECT(node)) {
    JsonObjectIter iter;
    const char *key;
    JsonNode *value;
    json_object_iter_init(&iter, json_node_get_object(node));
    while (json_object_iter_next(&iter, &key, &value)) {
      if (!env_name_is_valid(key) || !JSON_NODE_HOLDS_VALUE(value) ||
          json_node_get_value_type(value) != G_TYPE_STRING) {
        bad(error, name, "\"env\" holds something that is not NAME: \"value\"");
        return NULL;
      }
      g_autofree char *var = g_strconcat(key, "=", json_node_get_string(value), NULL);
      g_strv_builder_add(b, var);
    }
  } else if (node && !JSON_NODE_HOLDS_NULL(node)) {
    bad(error, name, "\"env\" is not an object");
    return NULL;
  }
  s->env = g_strv_builder_end(b);
  return g_steal_pointer(&s);
}
