#include "model-client.h"

#include <string.h>

#include "anthropic-messages.h"
#include "backoff.h"
#include "json-util.h"
#include "log.h"
#include "model-http.h"
#include "time-span.h"
#include "worker-error.h"

/* docs/worker-protocol.md: backoff doubles up to this. */
#define RETRY_CAP_USEC (60 * SHIFTD_USEC_PER_SEC)

typedef enum {
  TRY_OK,
  TRY_RETRY,
  TRY_FATAL,
} TryOutcome;

/* Only the URL, headers, body and reply differ by API; the retries do not. */
static char *
model_url(const ShiftdHello *hello)
{
  g_autofree char *base = g_strdup(hello->base_url);
  gsize n = strlen(base);
  while (n > 0 && base[n - 1] == '/')
    base[--n] = '\0';
  const char *path = hello->provider == SHIFTD_PROVIDER_ANTHROPIC ? "/messages" : "/chat/completions";
  return g_strconcat(base, path, NULL);
}

/* Header lines that hold the API key: wiped before they are freed. */
typedef char **SecretHeaders;

static void
headers_wipe_free(SecretHeaders headers)
{
  for (char **h = headers; h && *h; h++)
    memset(*h, 0, strlen(*h));
  g_strfreev(headers);
}
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(SecretHeaders, headers_wipe_free, NULL)

static SecretHeaders
request_headers(const ShiftdHello *hello)
{
  GPtrArray *lines = g_ptr_array_new();
  gboolean key = hello->api_key && *hello->api_key;
  if (hello->provider == SHIFTD_PROVIDER_ANTHROPIC) {
    if (key)
      g_ptr_array_add(lines, g_strconcat("x-api-key: ", hello->api_key, NULL));
    g_ptr_array_add(lines, g_strdup("anthropic-version: " SHIFTD_ANTHROPIC_VERSION));
  } else if (key) {
    g_ptr_array_add(lines, g_strconcat("Authorization: Bearer ", hello->api_key, NULL));
  }
  g_ptr_array_add(lines, NULL);
  return (SecretHeaders)g_ptr_array_free(lines, FALSE);
}

static char *
request_body(const ShiftdHello *hello, JsonArray *messages, JsonArray *tools)
{
  if (hello->provider == SHIFTD_PROVIDER_ANTHROPIC)
    return shiftd_anthropic_request_body(hello->model_name, SHIFTD_ANTHROPIC_MAX_TOKENS, messages, tools);
  g_autoptr(JsonObject) o = json_object_new();
  json_object_set_string_member(o, "model", hello->model_name);
  json_object_set_array_member(o, "messages", json_array_ref(messages));
  /* some servers refuse an empty list (a summary request offers no tools) */
  if (tools && json_array_get_length(tools) > 0)
    json_object_set_array_member(o, "tools", json_array_ref(tools));
  return shiftd_json_object_to_string(o);
}

/* What an HTTP error body says, briefly: the API's error message if it has one. */
static char *
error_snippet(const GString *body)
{
  if (body == NULL || body->len == 0)
    return g_strdup("");
  g_autoptr(JsonObject) o = shiftd_json_parse_object(body->str, (gssize)body->len, NULL);
  JsonObject *err = shiftd_json_get_object(o, "error");
  const char *text = err ? shiftd_json_get_string(err, "message", body->str)
                         : (o ? shiftd_json_get_string(o, "error", body->str) : body->str);
  g_autofree char *valid = g_utf8_make_valid(text, -1);
  g_autofree char *line = shiftd_one_line(valid, 200);
  return g_strconcat(": ", line, NULL);
}

static TryOutcome
classify(const ShiftdHello *hello, const ShiftdHttpReply *r, guint step, ShiftdChatReply **out, char **reason)
{
  if (r->status == 0) {
    *reason = g_strdup_printf("model server unreachable: %s", r->transport_error);
    return TRY_RETRY;
  }
  g_autofree char *snippet = r->status / 100 == 2 ? NULL : error_snippet(r->body);
  if (r->status == 408 || r->status == 429 || r->status >= 500) {
    *reason = g_strdup_printf("model server said HTTP %ld%s", r->status, snippet);
    return TRY_RETRY;
  }
  if (r->status / 100 != 2) {
    *reason = g_strdup_printf("model server refused the request: HTTP %ld%s", r->status, snippet);
    return TRY_FATAL;
  }
  g_autoptr(GError) local = NULL;
  gboolean anthropic = hello->provider == SHIFTD_PROVIDER_ANTHROPIC;
  *out = anthropic ? shiftd_anthropic_reply_parse(r->body->str, r->body->len, step, &local)
                   : shiftd_chat_reply_parse(r->body->str, r->body->len, step, &local);
  if (*out == NULL) {
    *reason = g_strdup_printf("model server's reply is not %s: %s",
                              anthropic ? "a Messages API reply" : "a chat completion", local->message);
    return TRY_RETRY;
  }
  return TRY_OK;
}

static gboolean
send_model_call(ShiftdLink *link, const ShiftdHello *hello, JsonArray *messages, guint step, GError **error)
{
  JsonObject *data = json_object_new();
  json_object_set_int_member(data, "step", step);
  json_object_set_string_member(data, "model", hello->model_name);
  json_object_set_int_member(data, "messages", json_array_get_length(messages));
  return shiftd_link_send_event(link, "model_call", data, error);
}

static gboolean
send_note(ShiftdLink *link, const char *text, GError **error)
{
  JsonObject *data = json_object_new();
  json_object_set_string_member(data, "text", text);
  return shiftd_link_send_event(link, "note", data, error);
}

ShiftdChatReply *
shiftd_model_call(ShiftdLink *link, const ShiftdHello *hello,
                  JsonArray *messages, JsonArray *tools, guint step,
                  guint64 *out_elapsed_usec, GError **error)
{
  g_autofree char *url = model_url(hello);
  g_autofree char *body = request_body(hello, messages, tools);
  g_auto(SecretHeaders) headers = request_headers(hello);

  for (guint attempt = 0;; attempt++) {
    if (!shiftd_link_acquire_slot(link, error))
      return NULL;
    if (attempt == 0 && !send_model_call(link, hello, messages, step, error))
      return NULL;

    guint64 started = shiftd_now_monotonic_usec();
    ShiftdHttpReply http = { 0 };
    gboolean live = shiftd_model_http_post(link, url, (const char *const *)headers, body, hello->timeout_usec, &http, error);
    guint64 elapsed = shiftd_now_monotonic_usec() - started;
    /* The slot is for one request, even a failed one. */
    if (!live || !shiftd_link_release_slot(link, error)) {
      shiftd_http_reply_clear(&http);
      return NULL;
    }

    ShiftdChatReply *reply = NULL;
    g_autofree char *reason = NULL;
    TryOutcome outcome = classify(hello, &http, step, &reply, &reason);
    guint64 retry_after = 0;
    gboolean have_retry_after =
      shiftd_retry_after_parse(http.retry_after, shiftd_now_realtime_usec(), &retry_after);
    shiftd_http_reply_clear(&http);

    if (outcome == TRY_OK) {
      if (out_elapsed_usec)
        *out_elapsed_usec = elapsed;
      return reply;
    }
    log_run(LOG_WARNING, hello->run, hello->agent, "step %u: %s", step, reason);
    if (outcome == TRY_FATAL) {
      g_set_error_literal(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_FAILED, reason);
      return NULL;
    }
    if (attempt >= hello->retries) {
      g_set_error(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_FAILED,
                  "%s (gave up after %u tries)", reason, attempt + 1);
      return NULL;
    }

    guint64 delay = shiftd_retry_delay_usec(attempt, hello->retry_delay_usec, RETRY_CAP_USEC,
                                            have_retry_after, retry_after);
    g_autofree char *delay_text = shiftd_time_span_format(delay);
    g_autofree char *note = g_strdup_printf("%s; retry %u of %u in %s",
                                            reason, attempt + 1, hello->retries, delay_text);
    if (!send_note(link, note, error) || !shiftd_link_sleep(link, delay, error))
      return NULL;
  }
}
