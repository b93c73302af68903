#include "protocol.h"

#include <gio/gio.h>

#include <string.h>

#include "json-util.h"

struct ShiftdLineReader {
  GString *buffer;
  gsize max_line;
  gsize scan_from;
  gsize tail; /* bytes after the last '\n' in buffer */
};

ShiftdLineReader *
shiftd_line_reader_new(gsize max_line)
{
  ShiftdLineReader *r = g_new0(ShiftdLineReader, 1);
  r->buffer = g_string_new(NULL);
  r->max_line = max_line;
  return r;
}

void
shiftd_line_reader_free(ShiftdLineReader *reader)
{
  if (reader == NULL)
    return;
  g_string_free(reader->buffer, TRUE);
  g_free(reader);
}

gboolean
shiftd_line_reader_feed(ShiftdLineReader *reader, const char *data, gsize len, GError **error)
{
  g_string_append_len(reader->buffer, data, (gssize)len);
  /* Only the unfinished tail can be over-long, and only the new bytes can
   * end it: looking at them alone keeps a long line linear. */
  const char *last_nl = memrchr(data, '\n', len);
  reader->tail = last_nl ? len - (gsize)(last_nl - data) - 1 : reader->tail + len;
  if (reader->tail > reader->max_line) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                "line longer than %" G_GSIZE_FORMAT " bytes", reader->max_line);
    return FALSE;
  }
  return TRUE;
}

char *
shiftd_line_reader_pop(ShiftdLineReader *reader)
{
  GString *b = reader->buffer;
  if (reader->scan_from >= b->len)
    return NULL;
  const char *nl = memchr(b->str + reader->scan_from, '\n', b->len - reader->scan_from);
  if (nl == NULL) {
    reader->scan_from = b->len;
    return NULL;
  }
  gsize n = (gsize)(nl - b->str);
  char *line = g_strndup(b->str, n);
  g_string_erase(b, 0, (gssize)n + 1);
  reader->scan_from = 0;
  return line;
}

gsize
shiftd_line_reader_pending(ShiftdLineReader *reader)
{
  return reader->buffer->len;
}

JsonObject *
shiftd_protocol_parse(const char *line, const char **out_type, GError **error)
{
  if (!g_utf8_validate(line, -1, NULL)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "message is not valid UTF-8");
    return NULL;
  }
  g_autoptr(JsonObject) object = shiftd_json_parse_object(line, -1, error);
  if (object == NULL)
    return NULL;
  const char *type = shiftd_json_get_string(object, "type", NULL);
  if (type == NULL || *type == '\0') {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "message has no \"type\"");
    return NULL;
  }
  if (out_type)
    *out_type = type;
  return g_steal_pointer(&object);
}

char *
shiftd_protocol_serialize(JsonObject *message)
{
  g_autofree char *text = shiftd_json_object_to_string(message);
  return g_strconcat(text, "\n", NULL);
}

JsonObject *
shiftd_protocol_message_new(const char *type)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "type", type);
  return o;
}
