#include "fuzz-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"

char *
fuzz_strdup(const uint8_t *data, size_t size)
{
  char *s = g_malloc(size + 1);
  if (size > 0)
    memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

void
fuzz_fail(const char *file, int line, const char *what)
{
  fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  abort();
}

/* The nesting of node, but no more than limit + 1. */
static guint
depth_capped(JsonNode *node, guint limit)
{
  if (node == NULL || limit == 0)
    return 0;
  guint deepest = 0;
  if (JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray *a = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(a); i++) {
      guint d = depth_capped(json_array_get_element(a, i), limit - 1);
      deepest = MAX(deepest, d); /* not MAX(deepest, depth_capped(...)): that walks twice */
    }
  } else if (JSON_NODE_HOLDS_OBJECT(node)) {
    JsonObjectIter iter;
    JsonNode *member = NULL;
    json_object_iter_init(&iter, json_node_get_object(node));
    while (json_object_iter_next(&iter, NULL, &member)) {
      guint d = depth_capped(member, limit - 1);
      deepest = MAX(deepest, d);
    }
  } else {
    return 0;
  }
  return deepest + 1;
}

void
fuzz_check_json_depth(JsonNode *node)
{
  FUZZ_CHECK(depth_capped(node, SHIFTD_JSON_MAX_DEPTH + 1) <= SHIFTD_JSON_MAX_DEPTH);
}
