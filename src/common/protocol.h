/* The daemon <-> worker protocol: JSON objects, one per line (docs/worker-protocol.md). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#define SHIFTD_PROTOCOL_VERSION 1
/* A checkpoint carries the whole conversation; cap it well above any sane one. */
#define SHIFTD_PROTOCOL_MAX_LINE (32 * 1024 * 1024)

typedef struct ShiftdLineReader ShiftdLineReader;

ShiftdLineReader *shiftd_line_reader_new(gsize max_line);
void shiftd_line_reader_free(ShiftdLineReader *reader);
/* Appends bytes; fails once a line grows past max_line. */
gboolean shiftd_line_reader_feed(ShiftdLineReader *reader, const char *data, gsize len, GError **error);
/* The next complete line without its '\n', or NULL. */
char *shiftd_line_reader_pop(ShiftdLineReader *reader);
/* Bytes of an unfinished line. */
gsize shiftd_line_reader_pending(ShiftdLineReader *reader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdLineReader, shiftd_line_reader_free)

/* A message: a JSON object whose "type" member is a string. */
JsonObject *shiftd_protocol_parse(const char *line, const char **out_type, GError **error);
/* One line, '\n' terminated. */
char *shiftd_protocol_serialize(JsonObject *message);
JsonObject *shiftd_protocol_message_new(const char *type);
