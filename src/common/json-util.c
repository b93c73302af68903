#include "json-util.h"

#include <string.h>

gboolean
shiftd_json_check_depth(const char *text, gssize length, guint max_depth, GError **error)
{
  gsize n = length < 0 ? strlen(text) : (gsize)length;
  guint depth = 0;
  gboolean in_string = FALSE, escaped = FALSE;
  for (gsize i = 0; i < n; i++) {
    char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = FALSE;
      else if (c == '\\')
        escaped = TRUE;
      else if (c == '"')
        in_string = FALSE;
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        g_set_error(error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                    "JSON nested deeper than %u levels (at byte %" G_GSIZE_FORMAT ")", max_depth, i);
        return FALSE;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return TRUE;
}

JsonNode *
shiftd_json_parse(const char *text, gssize length, GError **error)
{
  /* json-glib recurses per level: a deep document would overflow the stack. */
  if (!shiftd_json_check_depth(text, length, SHIFTD_JSON_MAX_DEPTH, error))
    return NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  if (!json_parser_load_from_data(parser, text, length, error))
    return NULL;
  JsonNode *root = json_parser_get_root(parser);
  if (root == NULL) {
    g_set_error(error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE, "empty JSON document");
    return NULL;
  }
  return json_node_ref(root);
}

JsonObject *
shiftd_json_parse_object(const char *text, gssize length, GError **error)
{
  g_autoptr(JsonNode) root = shiftd_json_parse(text, length, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT(root)) {
    g_set_error(error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE, "expected a JSON object");
    return NULL;
  }
  return json_object_ref(json_node_get_object(root));
}

char *
shiftd_json_to_string(JsonNode *node)
{
  return json_to_string(node, FALSE);
}

char *
shiftd_json_object_to_string(JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), object);
  return json_to_string(node, FALSE);
}

static JsonNode *
member_of_type(JsonObject *object, const char *member, JsonNodeType type)
{
  if (object == NULL || !json_object_has_member(object, member))
    return NULL;
  JsonNode *node = json_object_get_member(object, member);
  if (node == NULL || JSON_NODE_TYPE(node) != type)
    return NULL;
  return node;
}

const char *
shiftd_json_get_string(JsonObject *object, const char *member, const char *dflt)
{
  JsonNode *node = member_of_type(object, member, JSON_NODE_VALUE);
  if (node == NULL || json_node_get_value_type(node) != G_TYPE_STRING)
    return dflt;
  return json_node_get_string(node);
}

gint64
shiftd_json_get_int(JsonObject *object, const char *member, gint64 dflt)
{
  JsonNode *node = member_of_type(object, member, JSON_NODE_VALUE);
  if (node == NULL)
    return dflt;
  GType t = json_node_get_value_type(node);
  if (t == G_TYPE_INT64)
    return json_node_get_int(node);
  if (t == G_TYPE_DOUBLE)
    return (gint64)json_node_get_double(node);
  return dflt;
}

gboolean
shiftd_json_get_bool(JsonObject *object, const char *member, gboolean dflt)
{
  JsonNode *node = member_of_type(object, member, JSON_NODE_VALUE);
  if (node == NULL || json_node_get_value_type(node) != G_TYPE_BOOLEAN)
    return dflt;
  return json_node_get_boolean(node);
}

JsonArray *
shiftd_json_get_array(JsonObject *object, const char *member)
{
  JsonNode *node = member_of_type(object, member, JSON_NODE_ARRAY);
  return node ? json_node_get_array(node) : NULL;
}

JsonObject *
shiftd_json_get_object(JsonObject *object, const char *member)
{
  JsonNode *node = member_of_type(object, member, JSON_NODE_OBJECT);
  return node ? json_node_get_object(node) : NULL;
}

char *
shiftd_utf8_truncate(const char *text, gsize max_bytes)
{
  if (text == NULL)
    return g_strdup("");
  gsize len = strlen(text);
  if (len <= max_bytes)
    return g_strdup(text);
  const char *end = text + max_bytes;
  /* step back to the start of a character */
  while (end > text && ((guchar)*end & 0xC0) == 0x80)
    end--;
  g_autofree char *head = g_strndup(text, end - text);
  return g_strconcat(head, "\xe2\x80\xa6", NULL);
}

char *
shiftd_one_line(const char *text, gsize max_bytes)
{
  if (text == NULL)
    return g_strdup("");
  while (g_ascii_isspace(*text))
    text++;
  const char *nl = strchr(text, '\n');
  g_autofree char *line = nl ? g_strndup(text, nl - text) : g_strdup(text);
  g_strchomp(line);
  if (nl && nl[1] != '\0') {
    g_autofree char *more = g_strconcat(line, " \xe2\x80\xa6", NULL);
    return shiftd_utf8_truncate(more, max_bytes);
  }
  return shiftd_utf8_truncate(line, max_bytes);
}
