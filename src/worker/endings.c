#include "endings.h"

#include <string.h>

#include "json-util.h"
#include "protocol.h"
#include "shiftd-names.h"

JsonObject *
shiftd_ending_done(const char *result)
{
  JsonObject *m = shiftd_protocol_message_new("done");
  json_object_set_string_member(m, "result", result);
  return m;
}

JsonObject *
shiftd_ending_no_work(const char *reason)
{
  JsonObject *m = shiftd_protocol_message_new("no_work");
  json_object_set_string_member(m, "reason", reason);
  return m;
}

JsonObject *
shiftd_ending_ask(const char *question, const char *const *choices, const char *default_choice,
                  guint64 timeout_usec, const char *tool_call_id)
{
  JsonObject *m = shiftd_protocol_message_new("ask");
  json_object_set_string_member(m, "question", question);
  JsonArray *a = json_array_new();
  for (const char *const *c = choices; c && *c; c++)
    json_array_add_string_element(a, *c);
  json_object_set_array_member(m, "choices", a);
  if (default_choice)
    json_object_set_string_member(m, "default", default_choice);
  else
    json_object_set_null_member(m, "default");
  json_object_set_int_member(m, "timeout_usec", (gint64)MIN(timeout_usec, (guint64)G_MAXINT64));
  json_object_set_string_member(m, "tool_call_id", tool_call_id);
  return m;
}

JsonObject *
shiftd_ending_wait(const char *child, const char *tool_call_id)
{
  JsonObject *m = shiftd_protocol_message_new("wait");
  json_object_set_string_member(m, "child", child);
  json_object_set_string_member(m, "tool_call_id", tool_call_id);
  return m;
}

JsonObject *
shiftd_ending_error(const char *reason)
{
  JsonObject *m = shiftd_protocol_message_new("error");
  json_object_set_string_member(m, "reason", reason);
  return m;
}

void
shiftd_ending_bound(JsonObject *ending)
{
  static const char *const members[] = { "result", "reason", NULL };
  for (const char *const *m = members; *m; m++) {
    const char *text = shiftd_json_get_string(ending, *m, NULL);
    if (text == NULL || strlen(text) <= SHIFTD_TEXT_MAX_BYTES)
      continue;
    gsize full = strlen(text);
    g_autofree char *cut = shiftd_utf8_truncate(text, SHIFTD_TEXT_CUT_BYTES);
    json_object_set_string_member(ending, *m, cut);
    json_object_set_int_member(ending, "full_bytes", (gint64)full);
  }
}
