#include "json-util.h"

#include <math.h>
#include <string.h>

static gboolean
refuse(GError **error, gsize at, const char *what)
{
  g_set_error(error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE, "not JSON: %s (at byte %" G_GSIZE_FORMAT ")", what, at);
  return FALSE;
}

/* Four hex digits as a UTF-16 code unit, or -1. */
static int
hex4(const char *p, gsize left)
{
  if (left < 4)
    return -1;
  int unit = 0;
  for (int i = 0; i < 4; i++) {
    int d = g_ascii_xdigit_value(p[i]);
    if (d < 0)
      return -1;
    unit = unit * 16 + d;
  }
  return unit;
}

/* The escape at text[i] (a backslash inside a string); its length, or 0 when
 * it is not JSON's. A \u must be four hex digits, and surrogates must pair:
 * json-glib takes any four bytes after \u (a quote too, which would end the
 * string early for the count in shiftd_json_check_depth) and lets a broken
 * pair through as text that is not UTF-8. */
static gsize
escape_length(const char *text, gsize i, gsize n)
{
  if (i + 1 >= n)
    return 0;
  if (strchr("\"\\/bfnrt", text[i + 1]) && text[i + 1] != '\0')
    return 2;
  if (text[i + 1] != 'u')
    return 0;
  int unit = hex4(text + i + 2, n - i - 2);
  if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF))
    return 0;
  if (unit < 0xD800 || unit > 0xDBFF)
    return 6;
  if (i + 7 >= n || text[i + 6] != '\\' || text[i + 7] != 'u')
    return 0;
  int low = hex4(text + i + 8, n - i - 8);
  return low >= 0xDC00 && low <= 0xDFFF ? 12 : 0;
}

/* The length of the number at text (outside a string), or 0 when json-glib
 * would read it as infinity, which it then writes out as "inf.0": not JSON,
 * so the other side of the protocol would refuse the line. */
static gsize
finite_number_length(const char *text, gsize left)
{
  gsize len = 0;
  while (len < left && text[len] != '\0' && strchr("0123456789+-.eE", text[len]))
    len++;
  if (memchr(text, '.', len) == NULL && memchr(text, 'e', len) == NULL && memchr(text, 'E', len) == NULL)
    return len; /* an integer: json-glib never makes one infinite */
  g_autofree char *number = g_strndup(text, len);
  return isfinite(g_ascii_strtod(number, NULL)) ? len : 0;
}

gboolean
shiftd_json_check_depth(const char *text, gssize length, guint max_depth, GError **error)
{
  gsize n = length < 0 ? strlen(text) : (gsize)length;
  guint depth = 0;
  gboolean in_string = FALSE;
  for (gsize i = 0; i < n; i++) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        gsize len = escape_length(text, i, n);
        if (len == 0)
          return refuse(error, i, "a bad escape in a string");
        i += len - 1;
      } else if (c == '"') {
        in_string = FALSE;
      }
    } else if (c == '"') {
      in_string = TRUE;
    } else if (c == '\'' || c == '/') {
      /* json-glib reads 'single-quoted' strings and comments, where
       * brackets would be hidden from this count. JSON has neither. */
      return refuse(error, i, c == '/' ? "a comment" : "a single-quoted string");
    } else if (c == '-' || g_ascii_isdigit(c)) {
      gsize len = finite_number_length(text + i, n - i);
      if (len == 0)
        return refuse(error, i, "a number too large for a double");
      i += len - 1;
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
