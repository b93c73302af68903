#include "model-http.h"

#include <curl/curl.h>
#include <string.h>

#include "build-config.h"

/* A reply this large is not a chat completion anyone can use. */
#define MAX_REPLY_BYTES (64 * 1024 * 1024)

void
shiftd_http_reply_clear(ShiftdHttpReply *reply)
{
  if (reply->body)
    g_string_free(reply->body, TRUE);
  g_free(reply->retry_after);
  g_free(reply->transport_error);
  memset(reply, 0, sizeof *reply);
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *user_data)
{
  GString *body = user_data;
  size_t n = size * nmemb;
  if (body->len + n > MAX_REPLY_BYTES)
    return 0; /* curl reports a write error */
  g_string_append_len(body, data, (gssize)n);
  return n;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *user_data)
{
  ShiftdHttpReply *reply = user_data;
  size_t n = size * nmemb;
  /* A new status line (after a redirect or 100 Continue) starts a new header set. */
  if (n >= 5 && g_ascii_strncasecmp(data, "HTTP/", 5) == 0)
    g_clear_pointer(&reply->retry_after, g_free);
  static const char name[] = "retry-after:";
  if (n > sizeof name - 1 && g_ascii_strncasecmp(data, name, sizeof name - 1) == 0) {
    g_free(reply->retry_after);
    reply->retry_after = g_strstrip(g_strndup(data + sizeof name - 1, n - (sizeof name - 1)));
  }
  return n;
}

void
shiftd_http_restrict_protocols(CURL *easy)
{
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

gboolean
shiftd_http_drive(CURLM *multi, ShiftdLink *link, CURLcode *out_result, GError **error)
{
  *out_result = CURLE_FAILED_INIT;
  for (;;) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK)
      return TRUE;
    if (running == 0)
      break;
    struct curl_waitfd extra = { .fd = shiftd_link_fd(link), .events = CURL_WAIT_POLLIN };
    if (curl_multi_poll(multi, &extra, 1, 1000, NULL) != CURLM_OK)
      return TRUE;
    /* Cheap when nothing came; ends the transfer on cancel or EOF. */
    if (!shiftd_link_pump(link, 0, error))
      return FALSE;
  }
  int left = 0;
  CURLMsg *msg;
  while ((msg = curl_multi_info_read(multi, &left)) != NULL)
    if (msg->msg == CURLMSG_DONE)
      *out_result = msg->data.result;
  return TRUE;
}

gboolean
shiftd_model_http_post(ShiftdLink *link, const char *url, const char *const *extra_headers,
                       const char *body, guint64 timeout_usec,
                       ShiftdHttpReply *reply, GError **error)
{
  memset(reply, 0, sizeof *reply);
  reply->body = g_string_new(NULL);

  CURL *easy = curl_easy_init();
  CURLM *multi = curl_multi_init();
  if (easy == NULL || multi == NULL) {
    reply->transport_error = g_strdup("could not set up an HTTP request");
    if (easy)
      curl_easy_cleanup(easy);
    if (multi)
      curl_multi_cleanup(multi);
    return TRUE;
  }

  struct curl_slist *headers = NULL;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
  for (const char *const *h = extra_headers; h && *h; h++)
    headers = curl_slist_append(headers, *h);

  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(easy, CURLOPT_URL, url);
  shiftd_http_restrict_protocols(easy);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "shiftd-worker/" PACKAGE_VERSION);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, reply->body);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, reply);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  if (timeout_usec > 0)
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)MAX(timeout_usec / 1000, 1));
  curl_multi_add_handle(multi, easy);

  CURLcode result = CURLE_OK;
  gboolean ok = shiftd_http_drive(multi, link, &result, error);
  if (ok) {
    if (result == CURLE_OK) {
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply->status);
    } else {
      reply->status = 0;
      reply->transport_error = g_strdup(*errbuf ? errbuf : curl_easy_strerror(result));
    }
  }

  curl_multi_remove_handle(multi, easy);
  curl_easy_cleanup(easy);
  curl_multi_cleanup(multi);
  /* curl copied the lines, the key among them */
  for (struct curl_slist *h = headers; h; h = h->next)
    memset(h->data, 0, strlen(h->data));
  curl_slist_free_all(headers);
  return ok;
}
