/* A response body from the model server, which shiftd does not trust, read
 * as both APIs read it (Chat Completions and the Messages API): the reply
 * parser, the assistant message built from it, and the tool-call arguments
 * parsed as the worker parses them. */
#include "fuzz-common.h"

#include <string.h>

#include "anthropic-messages.h"
#include "chat-reply.h"
#include "json-util.h"

static void check_reply(ShiftdChatReply *reply, const GError *error);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* The body is handed over with its length, not NUL-terminated, as the
   * HTTP client passes it: reading past it is a bug ASan reports. */
  g_autoptr(GError) error = NULL;
  g_autoptr(ShiftdChatReply) reply = shiftd_chat_reply_parse((const char *)data, size, 7, &error);
  check_reply(reply, error);
  g_autoptr(GError) messages_error = NULL;
  g_autoptr(ShiftdChatReply) messages_reply =
    shiftd_anthropic_reply_parse((const char *)data, size, 7, &messages_error);
  check_reply(messages_reply, messages_error);
  return 0;
}

static void
check_reply(ShiftdChatReply *reply, const GError *error)
{
  if (reply == NULL) {
    FUZZ_CHECK(error != NULL && error->message != NULL);
    return;
  }
  FUZZ_CHECK(reply->content != NULL);
  FUZZ_CHECK(reply->tool_calls != NULL);
  if (reply->usage) {
    g_autoptr(JsonNode) usage = json_node_init_object(json_node_alloc(), reply->usage);
    fuzz_check_json_depth(usage);
  }
  for (guint i = 0; i < reply->tool_calls->len; i++) {
    ShiftdToolCall *call = g_ptr_array_index(reply->tool_calls, i);
    FUZZ_CHECK(call->id != NULL && *call->id != '\0');
    FUZZ_CHECK(call->name != NULL && call->arguments != NULL);
    /* step-events.c and tools.c parse the arguments the model wrote. */
    g_autoptr(JsonNode) args = shiftd_json_parse(call->arguments, -1, NULL);
    if (args)
      fuzz_check_json_depth(args);
  }

  /* The assistant message goes into the checkpoint: it must serialize and
   * parse back within the limits. */
  g_autoptr(JsonObject) message = shiftd_chat_reply_to_message(reply);
  g_autofree char *text = shiftd_json_object_to_string(message);
  FUZZ_CHECK(g_utf8_validate(text, -1, NULL)); /* the daemon refuses other lines */
  g_autoptr(GError) again_error = NULL;
  g_autoptr(JsonNode) again = shiftd_json_parse(text, -1, &again_error);
  FUZZ_CHECK(again != NULL);
  fuzz_check_json_depth(again);
}
