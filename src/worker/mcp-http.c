#include "mcp-http.h"

#include <curl/curl.h>
#include <string.h>

#include "build-config.h"
#include "mcp-error.h"
#include "model-http.h"

#define MAX_REPLY_BYTES (16 * 1024 * 1024)
#define SESSION_ID_MAX 256
#define DELETE_TIMEOUT_MS 2000

struct ShiftdMcpHttp {
  char *url;
  char *session_id;
  char *protocol_version;
};

typedef struct {
  GString *body;
  char *content_type;
  char *session_id;
} Reply;

ShiftdMcpHttp *
shiftd_mcp_http_new(const char *url)
{
  ShiftdMcpHttp *h = g_new0(ShiftdMcpHttp, 1);
  h->url = g_strdup(url);
  return h;
}

void
shiftd_mcp_http_set_protocol_version(ShiftdMcpHttp *h, const char *version)
{
  g_free(h->protocol_version);
  h->protocol_version = g_strdup(version);
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *user_data)
{
  Reply *reply = user_data;
  size_t n = size * nmemb;
  if (reply->body->len + n > MAX_REPLY_BYTES)
    return 0; /* curl reports a write error */
  g_string_append_len(reply->body, data, (gssize)n);
  return n;
}

/* curl's default writes to stdout, which is the daemon's socket here */
static size_t
discard(char *data, size_t size, size_t nmemb, void *user_data)
{
  (void)data;
  (void)user_data;
  return size * nmemb;
}

/* "Name: value" of a header line, or NULL. */
static char *
header_value(const char *data, size_t n, const char *name)
{
  size_t len = strlen(name);
  if (n <= len || g_ascii_strncasecmp(data, name, len) != 0 || data[len] != ':')
    return NULL;
  return g_strstrip(g_strndup(data + len + 1, n - len - 1));
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *user_data)
{
  Reply *reply = user_data;
  size_t n = size * nmemb;
  char *v;
  if ((v = header_value(data, n, "Content-Type"))) {
    g_free(reply->content_type);
    reply->content_type = v;
  } else if ((v = header_value(data, n, "Mcp-Session-Id"))) {
    g_free(reply->session_id);
    reply->session_id = v;
  }
  return n;
}

/* The data of each event of an SSE stream. */
static void
parse_sse(const char *text, GPtrArray *messages)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_autoptr(GString) data = g_string_new(NULL);
  gboolean have = FALSE;
  for (char **l = lines; *l; l++) {
    gsize n = strlen(*l);
    if (n > 0 && (*l)[n - 1] == '\r')
      (*l)[--n] = '\0';
    if (n == 0) {
      if (have && data->len > 0)
        g_ptr_array_add(messages, g_strdup(data->str));
      g_string_truncate(data, 0);
      have = FALSE;
    } else if (g_str_has_prefix(*l, "data:")) {
      const char *v = *l + 5;
      if (*v == ' ')
        v++;
      if (have)
        g_string_append_c(data, '\n');
      g_string_append(data, v);
      have = TRUE;
    }
  }
  if (have && data->len > 0)
    g_ptr_array_add(messages, g_strdup(data->str));
}

static struct curl_slist *
base_headers(ShiftdMcpHttp *h)
{
  struct curl_slist *headers = NULL;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json, text/event-stream");
  headers = curl_slist_append(headers, "Expect:");
  if (h->session_id) {
    g_autofree char *line = g_strconcat("Mcp-Session-Id: ", h->session_id, NULL);
    headers = curl_slist_append(headers, line);
  }
  if (h->protocol_version) {
    g_autofree char *line = g_strconcat("MCP-Protocol-Version: ", h->protocol_version, NULL);
    headers = curl_slist_append(headers, line);
  }
  return headers;
}

static CURL *
new_easy(ShiftdMcpHttp *h, struct curl_slist *headers, char *errbuf)
{
  CURL *easy = curl_easy_init();
  if (easy == NULL)
    return NULL;
  curl_easy_setopt(easy, CURLOPT_URL, h->url);
  shiftd_http_restrict_protocols(easy);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "shiftd-worker/" PACKAGE_VERSION);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
  return easy;
}

static gboolean
valid_session_id(const char *id)
{
  if (*id == '\0' || strlen(id) > SESSION_ID_MAX)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (*p < 0x21 || *p > 0x7e) /* visible ASCII, as the spec says */
      return FALSE;
  return TRUE;
}

gboolean
shiftd_mcp_http_post(ShiftdMcpHttp *h, ShiftdLink *link, const char *body, guint64 timeout_usec,
                     GPtrArray **messages, GError **error)
{
  *messages = g_ptr_array_new_with_free_func(g_free);
  Reply reply = { .body = g_string_new(NULL) };
  struct curl_slist *headers = base_headers(h);
  char errbuf[CURL_ERROR_SIZE] = "";
  CURL *easy = new_easy(h, headers, errbuf);
  CURLM *multi = curl_multi_init();
  gboolean ok = FALSE;
  if (easy == NULL || multi == NULL) {
    g_set_error(error, SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_BROKEN, "could not set up an HTTP request");
    goto out;
  }
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &reply);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)MAX(timeout_usec / 1000, 1));
  curl_multi_add_handle(multi, easy);

  CURLcode result;
  if (!shiftd_http_drive(multi, link, &result, error)) {
    curl_multi_remove_handle(multi, easy);
    goto out;
  }
  curl_multi_remove_handle(multi, easy);
  if (result == CURLE_OPERATION_TIMEDOUT) {
    g_set_error(error, SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_TIMEOUT, "no answer in time");
    goto out;
  }
  if (result != CURLE_OK) {
    g_set_error(error, SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_BROKEN, "%s: %s", h->url,
                *errbuf ? errbuf : curl_easy_strerror(result));
    goto out;
  }
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    g_set_error(error, SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_BROKEN, "%s answered HTTP %ld", h->url, status);
    goto out;
  }
  if (reply.session_id && h->session_id == NULL) {
    if (!valid_session_id(reply.session_id)) {
      g_set_error(error, SHIFTD_MCP_ERROR, SHIFTD_MCP_ERROR_BROKEN, "%s sent a malformed Mcp-Session-Id", h->url);
      goto out;
    }
    h->session_id = g_strdup(reply.session_id);
  }
  if (status != 202 && reply.body->len > 0) {
    if (reply.content_type && g_str_has_prefix(reply.content_type, "text/event-stream"))
      parse_sse(reply.body->str, *messages);
    else
      g_ptr_array_add(*messages, g_strdup(reply.body->str));
  }
  ok = TRUE;
out:
  if (easy)
    curl_easy_cleanup(easy);
  if (multi)
    curl_multi_cleanup(multi);
  curl_slist_free_all(headers);
  g_string_free(reply.body, TRUE);
  g_free(reply.content_type);
  g_free(reply.session_id);
  if (!ok)
    g_clear_pointer(messages, g_ptr_array_unref);
  return ok;
}

void
shiftd_mcp_http_free(ShiftdMcpHttp *h)
{
  if (h == NULL)
    return;
  if (h->session_id) {
    struct curl_slist *headers = base_headers(h);
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *easy = new_easy(h, headers, errbuf);
    if (easy) {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "DELETE");
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)DELETE_TIMEOUT_MS);
      (void)curl_easy_perform(easy); /* a courtesy: the server may refuse it */
      curl_easy_cleanup(easy);
    }
    curl_slist_free_all(headers);
  }
  g_free(h->url);
  g_free(h->session_id);
  g_free(h->protocol_version);
  g_free(h);
}
