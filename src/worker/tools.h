/* The tools the model can call: schemas to offer it, and dispatch. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "chat-reply.h"
#include "daemon-link.h"
#include "hello.h"

typedef enum {
  SHIFTD_TOOL_CONTINUE, /* text goes back to the model; the loop goes on */
  SHIFTD_TOOL_FINISH,   /* text is the run's result */
  SHIFTD_TOOL_NO_WORK,  /* text is the reason */
  SHIFTD_TOOL_ASK,      /* text is the question */
  SHIFTD_TOOL_WAIT,     /* text is the child run to wait for (start_run with wait) */
} ShiftdToolOutcome;

typedef struct {
  ShiftdToolOutcome outcome;
  gboolean ok;
  char *text;
  GStrv choices;        /* ASK */
  char *default_choice; /* ASK; NULL = none */
  guint64 timeout_usec; /* ASK; 0 = the agent's */
} ShiftdToolResult;

void shiftd_tool_result_clear(ShiftdToolResult *result);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ShiftdToolResult, shiftd_tool_result_clear)

/* OpenAI tool schemas: the built-ins and the opt-in tools the agent allows. */
JsonArray *shiftd_tools_schemas(const ShiftdHello *hello);

/* Runs one call. Unknown tools and bad arguments are results (ok FALSE),
 * not errors: this fails only with the link's errors (cancel, EOF). */
gboolean shiftd_tools_run(const ShiftdHello *hello, ShiftdLink *link, const ShiftdToolCall *call,
                          ShiftdToolResult *result, GError **error);
