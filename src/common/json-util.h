/* Small json-glib helpers shared by daemon, worker and CLI. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

/* Deeper documents are refused before they are parsed (DESIGN.md: hostile input). */
#define SHIFTD_JSON_MAX_DEPTH 64

/* FALSE (with a sentence) when arrays and objects nest deeper than max_depth,
 * or when the text uses what json-glib accepts beyond JSON ('quoted' strings,
 * comments, malformed \u escapes or unpaired surrogates, numbers beyond a
 * double): those could hide nesting from this count, or decode to what
 * json-glib cannot write back as UTF-8 JSON. */
gboolean shiftd_json_check_depth(const char *text, gssize length, guint max_depth, GError **error);
/* Every parse goes through the depth check. */
JsonNode *shiftd_json_parse(const char *text, gssize length, GError **error);
JsonObject *shiftd_json_parse_object(const char *text, gssize length, GError **error);
/* Compact, single-line. */
char *shiftd_json_to_string(JsonNode *node);
char *shiftd_json_object_to_string(JsonObject *object);

/* Typed member access: a missing member, or one of another type, gives the default. */
const char *shiftd_json_get_string(JsonObject *object, const char *member, const char *dflt);
gint64 shiftd_json_get_int(JsonObject *object, const char *member, gint64 dflt);
gboolean shiftd_json_get_bool(JsonObject *object, const char *member, gboolean dflt);
JsonArray *shiftd_json_get_array(JsonObject *object, const char *member);
JsonObject *shiftd_json_get_object(JsonObject *object, const char *member);

/* A string, shortened to max_bytes at a UTF-8 boundary with "…" appended. */
char *shiftd_utf8_truncate(const char *text, gsize max_bytes);
/* The first line of text, trimmed and shortened. */
char *shiftd_one_line(const char *text, gsize max_bytes);

