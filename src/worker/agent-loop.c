#include "agent-loop.h"

#include "context-fit.h"
#include "conversation.h"
#include "endings.h"
#include "log.h"
#include "mcp-tools.h"
#include "model-client.h"
#include "prompt.h"
#include "protocol.h"
#include "step-events.h"
#include "tool-output.h"
#include "token-budget.h"
#include "tools.h"
#include "wake-if.h"
#include "worker-error.h"

#define NOT_RUN "not run: the run paused for a human decision"
#define NOT_RUN_WAIT "not run: the run paused to wait for a child run"

static gboolean
send_checkpoint(ShiftdLink *link, guint step, JsonArray *messages, GError **error)
{
  g_autoptr(JsonObject) m = shiftd_protocol_message_new("checkpoint");
  json_object_set_int_member(m, "step", step);
  json_object_set_array_member(m, "messages", json_array_ref(messages));
  return shiftd_link_send(link, m, NULL, error);
}

/* ask_human: the calls after it are answered "not run", the conversation is
 * checkpointed, and the attempt ends with `ask`. */
static JsonObject *
pause_for_human(ShiftdLink *link, guint step, JsonArray *messages, const ShiftdChatReply *reply, guint index,
                ShiftdToolResult *result, GError **error)
{
  for (guint j = index + 1; j < reply->tool_calls->len; j++) {
    ShiftdToolCall *later = g_ptr_array_index(reply->tool_calls, j);
    shiftd_conversation_add_tool_result(messages, later->id, NOT_RUN);
  }
  if (!send_checkpoint(link, step, messages, error))
    return NULL;
  ShiftdToolCall *ask = g_ptr_array_index(reply->tool_calls, index);
  return shiftd_ending_ask(result->text, (const char *const *)result->choices, result->default_choice,
                           result->timeout_usec, ask->id);
}

/* start_run with wait: like a question, but the daemon resumes the run
 * when the child ends, with its outcome as this call's result. */
static JsonObject *
pause_for_child(ShiftdLink *link, guint step, JsonArray *messages, const ShiftdChatReply *reply, guint index,
                ShiftdToolResult *result, GError **error)
{
  for (guint j = index + 1; j < reply->tool_calls->len; j++) {
    ShiftdToolCall *later = g_ptr_array_index(reply->tool_calls, j);
    shiftd_conversation_add_tool_result(messages, later->id, NOT_RUN_WAIT);
  }
  if (!send_checkpoint(link, step, messages, error))
    return NULL;
  ShiftdToolCall *call = g_ptr_array_index(reply->tool_calls, index);
  return shiftd_ending_wait(result->text, call->id);
}

/* Runs the reply's tool calls in order. NULL with no error: the step is
 * complete and the loop goes on. */
static JsonObject *
run_tool_calls(const ShiftdHello *hello, ShiftdLink *link, ShiftdMcpTools *mcp, guint step, JsonArray *messages,
               const ShiftdChatReply *reply, GError **error)
{
  for (guint i = 0; i < reply->tool_calls->len; i++) {
    ShiftdToolCall *call = g_ptr_array_index(reply->tool_calls, i);
    if (!shiftd_event_tool_call(link, step, call, error))
      return NULL;
    g_auto(ShiftdToolResult) result = { 0 };
    if (shiftd_mcp_tools_owns(mcp, call->name)) {
      result.outcome = SHIFTD_TOOL_CONTINUE;
      if (!shiftd_mcp_tools_call(mcp, link, call, &result.ok, &result.text, error))
        return NULL;
    } else if (!shiftd_tools_run(hello, link, call, &result, error)) {
      return NULL;
    }
    switch (result.outcome) {
    case SHIFTD_TOOL_FINISH:
      return shiftd_ending_done(result.text);
    case SHIFTD_TOOL_NO_WORK:
      return shiftd_ending_no_work(result.text);
    case SHIFTD_TOOL_ASK:
      return pause_for_human(link, step, messages, reply, i, &result, error);
    case SHIFTD_TOOL_WAIT:
      return pause_for_child(link, step, messages, reply, i, &result, error);
    case SHIFTD_TOOL_CONTINUE:
      break;
    }
    g_autofree char *kept = shiftd_tool_output_fit(hello, step, call->id, result.text);
    shiftd_conversation_add_tool_result(messages, call->id, kept);
    if (!shiftd_event_tool_result(link, step, call, result.ok, result.text, error))
      return NULL;
  }
  return NULL;
}

JsonObject *
shiftd_agent_loop_run(const ShiftdHello *hello, ShiftdLink *link, GError **error)
{
  g_autoptr(JsonArray) messages = hello->messages ? json_array_ref(hello->messages)
                                                  : shiftd_prompt_initial_messages(hello);
  if (hello->answer)
    shiftd_conversation_add_answer(messages, hello->answer, hello->answered_by);
  g_autoptr(JsonArray) tools = shiftd_tools_schemas(hello);
  ShiftdContextEstimate estimate;
  shiftd_context_estimate_init(&estimate);
  ShiftdTokenBudget budget;
  shiftd_token_budget_init(&budget, hello);

  /* A fresh start of an agent with WakeIf= asks the precheck before the model. */
  if (hello->wake_if[0] && hello->messages == NULL && hello->step == 0) {
    JsonObject *ending = NULL;
    if (!shiftd_wake_if_check(hello, link, &ending, error))
      return NULL;
    if (ending)
      return ending;
  }

  /* The attempt's MCP servers: started now, stopped when it ends. */
  g_autoptr(ShiftdMcpTools) mcp = shiftd_mcp_tools_start(hello, link, error);
  if (mcp == NULL)
    return NULL;
  shiftd_mcp_tools_add_schemas(mcp, tools);

  for (guint step = hello->step;;) {
    if (hello->max_steps > 0 && step >= hello->max_steps) {
      g_autofree char *reason =
        g_strdup_printf("step limit reached (%u model calls) without a result", step);
      return shiftd_ending_error(reason);
    }
    step++;
    log_run(LOG_INFO, hello->run, hello->agent, "step %u: calling the model", step);

    gsize prompt_bytes = 0;
    if (!shiftd_context_fit(link, hello, &estimate, &messages, tools, step, &prompt_bytes, error))
      return NULL;
    /* a budget is kept by not making the call that would pass it (the
     * prompt as it will be sent, after any compaction) */
    g_autofree char *over = shiftd_token_budget_check(&budget, prompt_bytes);
    if (over)
      return shiftd_ending_error(over);
    g_autoptr(GError) local = NULL;
    guint64 elapsed = 0;
    g_autoptr(ShiftdChatReply) reply = shiftd_model_call(link, hello, messages, tools, step, &elapsed, &local);
    if (reply == NULL) {
      if (!g_error_matches(local, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_FAILED)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
      }
      return shiftd_ending_error(local->message);
    }
    shiftd_context_estimate_learn(&estimate, prompt_bytes, reply->tokens_in);
    shiftd_token_budget_count(&budget, reply);
    if (!shiftd_event_model_reply(link, step, reply, elapsed, error))
      return NULL;
    json_array_add_object_element(messages, shiftd_chat_reply_to_message(reply));

    /* A reply with no tool call is the final result. */
    if (reply->tool_calls->len == 0)
      return shiftd_ending_done(reply->content);

    JsonObject *ending = run_tool_calls(hello, link, mcp, step, messages, reply, &local);
    if (ending != NULL)
      return ending;
    if (local != NULL) {
      g_propagate_error(error, g_steal_pointer(&local));
      return NULL;
    }
    if (!send_checkpoint(link, step, messages, error))
      return NULL;
  }
}
