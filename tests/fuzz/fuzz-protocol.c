/* The worker-protocol reader as the daemon and worker use it: bytes arrive in
 * uneven pieces, the line reader cuts them into lines (a small max line here,
 * so the over-long path is reached too), each line is parsed as a message,
 * and what parses must serialize into a line that parses again. */
#include "fuzz-common.h"

#include <string.h>

#include "protocol.h"

#define FUZZ_MAX_LINE 1024

static void
check_line(const char *line)
{
  FUZZ_CHECK(strchr(line, '\n') == NULL);
  g_autoptr(GError) error = NULL;
  const char *type = NULL;
  g_autoptr(JsonObject) message = shiftd_protocol_parse(line, &type, &error);
  if (message == NULL) {
    FUZZ_CHECK(error != NULL);
    return;
  }
  FUZZ_CHECK(type != NULL && *type != '\0');
  g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), message);
  fuzz_check_json_depth(node);

  /* What one side accepted it must be able to say back. */
  g_autofree char *again = shiftd_protocol_serialize(message);
  gsize n = strlen(again);
  FUZZ_CHECK(n > 0 && again[n - 1] == '\n');
  again[n - 1] = '\0';
  g_autoptr(GError) again_error = NULL;
  const char *again_type = NULL;
  g_autoptr(JsonObject) reparsed = shiftd_protocol_parse(again, &again_type, &again_error);
  FUZZ_CHECK(reparsed != NULL);
  FUZZ_CHECK(g_str_equal(again_type, type));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(ShiftdLineReader) reader = shiftd_line_reader_new(FUZZ_MAX_LINE);
  /* Piece sizes from a small generator seeded by the input's length: the
   * seeds stay plain protocol text, and each length cuts them differently. */
  guint32 state = (guint32)size * 2654435761u + 1;
  size_t at = 0;
  while (at < size) {
    state = state * 1103515245u + 12345u;
    size_t piece = MIN(size - at, (size_t)(state >> 16) % 300 + 1);
    g_autoptr(GError) error = NULL;
    if (!shiftd_line_reader_feed(reader, (const char *)data + at, piece, &error)) {
      /* The daemon stops a worker here; nothing more is read. */
      FUZZ_CHECK(error != NULL);
      return 0;
    }
    at += piece;
    char *line;
    while ((line = shiftd_line_reader_pop(reader)) != NULL) {
      check_line(line);
      g_free(line);
    }
    /* What is kept for an unfinished line stays bounded. */
    FUZZ_CHECK(shiftd_line_reader_pending(reader) <= FUZZ_MAX_LINE);
  }
  return 0;
}
