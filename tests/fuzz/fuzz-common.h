/* Shared by the libFuzzer targets in this folder. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include <stddef.h>
#include <stdint.h>

/* libFuzzer calls these; each target defines the first. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a NUL-terminated string (bytes after an embedded NUL are
 * simply not seen by a parser that takes a C string). */
char *fuzz_strdup(const uint8_t *data, size_t size);

/* An invariant a parser must keep for every input. A plain abort(): libFuzzer
 * reports it as a crash with this message and the input. */
#define FUZZ_CHECK(cond)                                                         \
  do {                                                                           \
    if (!(cond))                                                                 \
      fuzz_fail(__FILE__, __LINE__, #cond);                                      \
  } while (0)
G_NORETURN void fuzz_fail(const char *file, int line, const char *what);

/* Aborts when a parsed document nests arrays and objects deeper than
 * SHIFTD_JSON_MAX_DEPTH: the limit must hold for whatever the parser accepts,
 * not only for what the pre-parse check recognises. Walks at most one level
 * past the limit, so a deep tree cannot overflow the fuzzer's own stack. */
void fuzz_check_json_depth(JsonNode *node);
