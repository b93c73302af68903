#include "context-turns.h"

static const char *
role_at(JsonArray *messages, guint i)
{
  JsonNode *n = json_array_get_element(messages, i);
  if (!JSON_NODE_HOLDS_OBJECT(n))
    return "";
  JsonNode *role = json_object_get_member(json_node_get_object(n), "role");
  if (role == NULL || !JSON_NODE_HOLDS_VALUE(role) || json_node_get_value_type(role) != G_TYPE_STRING)
    return "";
  return json_node_get_string(role);
}

guint
shiftd_context_head_end(JsonArray *messages)
{
  guint n = json_array_get_length(messages);
  guint i = 0;
  while (i < n && g_str_equal(role_at(messages, i), "system"))
    i++;
  if (i < n && g_str_equal(role_at(messages, i), "user"))
    i++;
  return i;
}

gboolean
shiftd_context_choose_cut(JsonArray *messages, const guint64 *tokens, guint64 tail_budget, ShiftdContextCut *cut)
{
  guint n = json_array_get_length(messages);
  guint head = shiftd_context_head_end(messages);
  guint tail = n;
  guint64 kept = 0;
  while (tail > head) {
    /* the turn that ends at tail - 1 starts at its first message that is not a tool result */
    guint start = tail - 1;
    while (start > head && g_str_equal(role_at(messages, start), "tool"))
      start--;
    guint64 turn = 0;
    for (guint i = start; i < tail; i++)
      turn += tokens[i];
    if (tail < n && kept + turn > tail_budget)
      break;
    kept += turn;
    tail = start;
  }
  cut->head = head;
  cut->tail = tail;
  return tail > head;
}
