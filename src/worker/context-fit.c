#include "context-fit.h"

#include <stdlib.h>
#include <string.h>

#include "context-turns.h"
#include "conversation.h"
#include "json-util.h"
#include "log.h"
#include "model-client.h"
#include "step-events.h"
#include "worker-error.h"

#define SUMMARIZER_PROMPT                                                                                       \
  "You condense the earlier part of an unattended agent's work (shiftd context compaction). The agent's "     \
  "conversation no longer fits the model's context window, so its older turns are replaced by your summary. " \
  "Write a concise summary of the turns you are given: what was done and with which tools, what was found "   \
  "(file names, numbers, errors, decisions) and what is still open. Keep the facts the agent needs to "       \
  "finish its task; leave out the rest. Plain text, no preamble."
/* What one message, and the task, may bring to a summarization prompt, at most. */
#define MESSAGE_EXCERPT_MAX 2000
#define TASK_EXCERPT_MAX 1000
/* the headings and JSON around the parts of a summarization prompt */
#define PROMPT_FRAME_BYTES 256

static const char *
role_of(JsonObject *m)
{
  return shiftd_json_get_string(m, "role", "");
}

static JsonObject *
message_at(JsonArray *messages, guint i)
{
  JsonNode *n = json_array_get_element(messages, i);
  return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static const char *
content_of(JsonObject *m)
{
  JsonNode *n = m ? json_object_get_member(m, "content") : NULL;
  if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
    return json_node_get_string(n);
  return "";
}

/* The model turns a message stands for: an assistant message is one, an
 * earlier summary says how many it holds. */
static guint
model_turns(JsonObject *m)
{
  if (g_str_equal(role_of(m), "assistant"))
    return 1;
  const char *text = content_of(m);
  if (g_str_equal(role_of(m), "user") && g_str_has_prefix(text, SHIFTD_CONTEXT_SUMMARY_PREFIX))
    return (guint)strtoul(text + strlen(SHIFTD_CONTEXT_SUMMARY_PREFIX), NULL, 10);
  return 0;
}

/* One message as a transcript entry, each part cut to `cap` bytes. */
static void
append_transcript(GString *s, JsonObject *m, gsize cap)
{
  const char *role = role_of(m);
  g_autofree char *content = shiftd_utf8_truncate(content_of(m), cap);
  const char *label = g_str_equal(role, "tool") ? "tool result" : role;
  if (*content)
    g_string_append_printf(s, "[%s] %s\n", label, content);
  JsonArray *calls = shiftd_json_get_array(m, "tool_calls");
  for (guint i = 0; calls && i < json_array_get_length(calls); i++) {
    JsonObject *function = shiftd_json_get_object(message_at(calls, i), "function");
    g_autofree char *args = shiftd_utf8_truncate(shiftd_json_get_string(function, "arguments", ""), cap);
    g_string_append_printf(s, "[%s called %s] %s\n", role, shiftd_json_get_string(function, "name", "?"), args);
  }
}

typedef struct {
  ShiftdLink *link;
  const ShiftdHello *hello;
  guint step;
  const char *task;
  gsize task_max;    /* bytes */
  gsize summary_max; /* bytes */
  guint calls;
  char *failure; /* why the model wrote no summary; NULL: it did */
} Summarizer;

/* Folds one chunk of transcript into *summary with a model call. */
static gboolean
summarize_chunk(Summarizer *z, const char *chunk, char **summary, GError **error)
{
  g_autoptr(GString) user = g_string_new(NULL);
  g_autofree char *task = shiftd_utf8_truncate(z->task, z->task_max);
  g_string_append_printf(user, "The agent's task:\n%s\n\n", task);
  if (*summary)
    g_string_append_printf(user, "Summary of the turns before these:\n%s\n\n", *summary);
  g_string_append_printf(user, "Turns to summarize:\n%s", chunk);

  g_autoptr(JsonArray) request = json_array_new();
  json_array_add_object_element(request, shiftd_conversation_message("system", SUMMARIZER_PROMPT));
  json_array_add_object_element(request, shiftd_conversation_message("user", user->str));
  g_autoptr(JsonArray) no_tools = json_array_new();
  g_autoptr(GError) local = NULL;
  guint64 elapsed = 0;
  z->calls++;
  g_autoptr(ShiftdChatReply) reply =
    shiftd_model_call(z->link, z->hello, request, no_tools, z->step, &elapsed, &local);
  if (reply == NULL) {
    if (!g_error_matches(local, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_FAILED)) {
      g_propagate_error(error, g_steal_pointer(&local));
      return FALSE;
    }
    z->failure = g_strdup(local->message);
    return TRUE;
  }
  /* its tokens count like any other call's */
  if (!shiftd_event_model_reply(z->link, z->step, reply, elapsed, error))
    return FALSE;
  g_autofree char *text = g_strstrip(g_strdup(reply->content));
  if (*text == '\0') {
    z->failure = g_strdup("the model's summary was empty");
    return TRUE;
  }
  g_free(*summary);
  *summary = shiftd_utf8_truncate(text, z->summary_max);
  return TRUE;
}

/* A summary of messages [from, to), made in chunks of about chunk_max bytes
 * of transcript (one entry is at most a quarter of it) so that no
 * summarization prompt passes the window. */
static char *
summarize(Summarizer *z, JsonArray *messages, guint from, guint to, gsize chunk_max, GError **error)
{
  /* an entry is its content and its calls' arguments, each cut to cap */
  gsize cap = MIN((gsize)MESSAGE_EXCERPT_MAX, chunk_max / 8);
  g_autofree char *summary = g_strdup("");
  g_autoptr(GString) chunk = g_string_new(NULL);
  for (guint i = from; i < to && z->failure == NULL; i++) {
    g_autoptr(GString) entry = g_string_new(NULL);
    append_transcript(entry, message_at(messages, i), cap);
    if (chunk->len > 0 && chunk->len + entry->len > chunk_max) {
      if (!summarize_chunk(z, chunk->str, &summary, error))
        return NULL;
      g_string_truncate(chunk, 0);
    }
    g_string_append_len(chunk, entry->str, (gssize)entry->len);
  }
  if (z->failure == NULL && chunk->len > 0 && !summarize_chunk(z, chunk->str, &summary, error))
    return NULL;
  return g_steal_pointer(&summary);
}

static gboolean
send_compacted(ShiftdLink *link, guint step, guint before, guint after, guint dropped, guint turns,
               guint64 tokens_before, guint64 tokens_after, gsize summary_chars, guint calls, GError **error)
{
  JsonObject *data = json_object_new();
  json_object_set_int_member(data, "step", step);
  json_object_set_int_member(data, "messages_before", before);
  json_object_set_int_member(data, "messages_after", after);
  json_object_set_int_member(data, "messages_dropped", dropped);
  json_object_set_int_member(data, "turns_summarized", turns);
  json_object_set_int_member(data, "tokens_before", (gint64)tokens_before);
  json_object_set_int_member(data, "tokens_after", (gint64)tokens_after);
  json_object_set_int_member(data, "summary_chars", (gint64)summary_chars);
  json_object_set_int_member(data, "summary_calls", calls);
  return shiftd_link_send_event(link, "compacted", data, error);
}

static gboolean
send_note(ShiftdLink *link, const char *text, GError **error)
{
  JsonObject *data = json_object_new();
  json_object_set_string_member(data, "text", text);
  return shiftd_link_send_event(link, "note", data, error);
}

gboolean
shiftd_context_fit(ShiftdLink *link, const ShiftdHello *hello, ShiftdContextEstimate *estimate,
                   JsonArray **messages, JsonArray *tools, guint step, gsize *out_bytes, GError **error)
{
  /* ContextTokens is the whole window: an eighth is left for the reply */
  guint64 limit = hello->context_tokens - hello->context_tokens / 8;
  gsize bytes = shiftd_context_request_bytes(*messages, tools);
  guint64 before = shiftd_context_estimate_tokens(estimate, bytes);
  *out_bytes = bytes;
  if (before <= limit)
    return TRUE;

  JsonArray *old = *messages;
  guint n = json_array_get_length(old);
  g_autofree guint64 *tokens = g_new0(guint64, MAX(n, 1));
  for (guint i = 0; i < n; i++)
    tokens[i] = shiftd_context_estimate_tokens(estimate, shiftd_context_node_bytes(json_array_get_element(old, i)));
  guint head = shiftd_context_head_end(old);
  guint64 fixed = shiftd_context_estimate_tokens(estimate, shiftd_context_request_bytes(NULL, tools));
  for (guint i = 0; i < head; i++)
    fixed += tokens[i];
  /* the summary gets an eighth; the latest turns half of what is left */
  guint64 summary_tokens = limit / 8;
  guint64 room = limit > fixed + summary_tokens ? limit - fixed - summary_tokens : 0;
  ShiftdContextCut cut;
  if (!shiftd_context_choose_cut(old, tokens, room / 2, &cut)) {
    g_autofree char *note = g_strdup_printf("the conversation (about %" G_GUINT64_FORMAT " tokens) does not fit "
                                            "ContextTokens=%u, and it has no older turns to summarize",
                                            before, hello->context_tokens);
    log_run(LOG_WARNING, hello->run, hello->agent, "step %u: %s", step, note);
    return send_note(link, note, error);
  }

  guint turns = 0;
  for (guint i = cut.head; i < cut.tail; i++)
    turns += model_turns(message_at(old, i));
  /* a summarization prompt: the instructions, the task, the summary so far
   * (an eighth each at most) and the chunk, which gets the rest but a quarter
   * (an entry may pass the chunk's end; the estimate of the frame may be low) */
  gsize prompt_max = shiftd_context_estimate_bytes(estimate, limit);
  Summarizer z = {
    .link = link,
    .hello = hello,
    .step = step,
    .task = cut.head > 0 ? content_of(message_at(old, cut.head - 1)) : "",
    .task_max = MIN((gsize)TASK_EXCERPT_MAX, prompt_max / 8),
    .summary_max = shiftd_context_estimate_bytes(estimate, summary_tokens),
  };
  gsize fixed_bytes = strlen(SUMMARIZER_PROMPT) + PROMPT_FRAME_BYTES + z.task_max + z.summary_max;
  gsize chunk_max = prompt_max * 3 / 4 > fixed_bytes ? prompt_max * 3 / 4 - fixed_bytes : 0;
  chunk_max = MAX(chunk_max, 512);
  g_autofree char *summary = summarize(&z, old, cut.head, cut.tail, chunk_max, error);
  g_autofree char *failure = z.failure;
  if (summary == NULL)
    return FALSE;

  g_autofree char *text = NULL;
  if (failure != NULL) {
    log_run(LOG_WARNING, hello->run, hello->agent, "step %u: no summary of the earlier turns: %s", step, failure);
    text = g_strdup_printf(SHIFTD_CONTEXT_SUMMARY_PREFIX "%u model turns) was not made (%s); those turns were "
                           "dropped to fit the context window. Tool outputs saved in the workspace are still there.",
                           turns, failure);
  } else {
    text = g_strdup_printf(SHIFTD_CONTEXT_SUMMARY_PREFIX "%u model turns, condensed to fit the context window):\n\n%s",
                           turns, summary);
  }
  JsonArray *compacted = json_array_new();
  for (guint i = 0; i < cut.head; i++)
    json_array_add_element(compacted, json_node_copy(json_array_get_element(old, i)));
  json_array_add_object_element(compacted, shiftd_conversation_message("user", text));
  for (guint i = cut.tail; i < n; i++)
    json_array_add_element(compacted, json_node_copy(json_array_get_element(old, i)));
  *messages = compacted;
  json_array_unref(old);

  bytes = shiftd_context_request_bytes(compacted, tools);
  guint64 after = shiftd_context_estimate_tokens(estimate, bytes);
  *out_bytes = bytes;
  log_run(LOG_INFO, hello->run, hello->agent,
          "step %u: compacted the conversation: %u messages summarized, about %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT
          " tokens", step, cut.tail - cut.head, before, after);
  if (!send_compacted(link, step, n, json_array_get_length(compacted), cut.tail - cut.head, turns, before, after,
                      g_utf8_strlen(summary, -1), z.calls, error))
    return FALSE;
  if (after > limit) {
    g_autofree char *note = g_strdup_printf("even compacted, the conversation (about %" G_GUINT64_FORMAT " tokens) "
                                            "does not fit ContextTokens=%u: its latest turn is too big",
                                            after, hello->context_tokens);
    return send_note(link, note, error);
  }
  return TRUE;
}
