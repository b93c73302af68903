#include "context-estimate.h"

/* Tokenizers make about 4 bytes of English or code a token; 3 leaves room for
 * denser text before the first reply says how this model counts. */
#define BYTES_PER_TOKEN_FLOOR 3.0

void
shiftd_context_estimate_init(ShiftdContextEstimate *e)
{
  e->tokens_per_byte = 1.0 / BYTES_PER_TOKEN_FLOOR;
}

gsize
shiftd_context_node_bytes(JsonNode *node)
{
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, node);
  gsize length = 0;
  g_free(json_generator_to_data(gen, &length));
  return length;
}

static gsize
array_bytes(JsonArray *array)
{
  if (array == NULL)
    return 0;
  g_autoptr(JsonNode) node = json_node_init_array(json_node_alloc(), array);
  return shiftd_context_node_bytes(node);
}

gsize
shiftd_context_request_bytes(JsonArray *messages, JsonArray *tools)
{
  return array_bytes(messages) + array_bytes(tools);
}

guint64
shiftd_context_estimate_tokens(const ShiftdContextEstimate *e, gsize bytes)
{
  return (guint64)((double)bytes * e->tokens_per_byte) + 1;
}

gsize
shiftd_context_estimate_bytes(const ShiftdContextEstimate *e, guint64 tokens)
{
  return (gsize)((double)tokens / e->tokens_per_byte);
}

void
shiftd_context_estimate_learn(ShiftdContextEstimate *e, gsize bytes, guint64 tokens_in)
{
  if (bytes == 0 || tokens_in == 0)
    return;
  /* Only upwards: a prompt of plain prose says little about the next one,
   * which may be dense tool output. */
  double seen = (double)tokens_in / (double)bytes;
  if (seen > e->tokens_per_byte)
    e->tokens_per_byte = seen;
}
