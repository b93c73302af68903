#include "prompt.h"

#include "conversation.h"
#include "review.h"

char *
shiftd_prompt_system(const ShiftdHello *hello)
{
  GString *s = g_string_new(NULL);
  g_string_append(s,
    "You are an agent run by shiftd, a background service. You work unattended: "
    "nobody is watching this conversation and nobody will reply to plain messages.\n"
    "\n"
    "Rules:\n"
    "- Work on the task with the tools you have, one step at a time.\n"
    "- End every run with exactly one of these tools:\n"
    "  - finish(result): the work is done; result is what you report to the person who asked.\n"
    "  - no_work(reason): there was nothing to do this time; say briefly why.\n"
    "  - ask_human(question, choices, default, deadline): a decision is not yours to make. "
    "The run pauses until a person answers; you then continue with their answer as the tool result. "
    "Offer short choices when you can.\n"
    "- A reply without a tool call also ends the run, with your reply as the result.\n"
    "- Do not invent results. If something failed, say what failed.\n");

  gboolean any = FALSE;
  for (char **t = hello->tools; t && *t; t++) {
    if (!any)
      g_string_append(s, "- Other tools available to you:");
    g_string_append_printf(s, " %s", *t);
    any = TRUE;
  }
  if (any)
    g_string_append(s, ".\n");
  if (hello->workspace && *hello->workspace)
    g_string_append_printf(s, "- Your workspace directory is %s; file paths are relative to it.\n",
                           hello->workspace);
  if (g_strv_contains((const char *const *)hello->tools, "notes"))
    g_string_append(s, "- notes is your memory across runs: read it first, keep it short and current.\n");

  g_string_append_printf(s, "\nRun: %s (agent %s, started by %s).\n",
                         hello->run, *hello->agent ? hello->agent : "default", hello->trigger);
  if (hello->instructions && *hello->instructions)
    g_string_append_printf(s, "\nStanding instructions for this agent:\n%s\n", hello->instructions);
  return g_string_free(s, FALSE);
}

JsonArray *
shiftd_prompt_initial_messages(const ShiftdHello *hello)
{
  JsonArray *messages = json_array_new();
  g_autofree char *system = shiftd_prompt_system(hello);
  json_array_add_object_element(messages, shiftd_conversation_message("system", system));
  g_autofree char *task = hello->review ? shiftd_review_task(hello) : g_strdup(hello->task ? hello->task : "");
  json_array_add_object_element(messages, shiftd_conversation_message("user", task));
  return messages;
}
