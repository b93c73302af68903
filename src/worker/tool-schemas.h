/* The OpenAI function schema of each tool, as JSON text. */
#pragma once

#include <glib.h>

typedef struct {
  const char *name;
  gboolean builtin; /* always offered; the others only when the agent lists them */
  const char *schema;
} ShiftdToolSchema;

const ShiftdToolSchema *shiftd_tool_schemas(gsize *n);
