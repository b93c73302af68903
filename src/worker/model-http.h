/* One HTTP POST to the model server, aborted at once on `cancel` or EOF. */
#pragma once

#include <curl/curl.h>
#include <glib.h>

#include "daemon-link.h"

typedef struct {
  long status;           /* HTTP status; 0 when no response came */
  GString *body;
  char *retry_after;     /* the Retry-After header, when given */
  char *transport_error; /* why no response came (status 0) */
} ShiftdHttpReply;

void shiftd_http_reply_clear(ShiftdHttpReply *reply);

/* Fills reply and returns TRUE whatever the server did (or did not) answer;
 * FALSE only when the link failed (cancel, EOF, protocol) meanwhile.
 * headers: "Name: value" lines beside Content-Type and Accept (NULL: none);
 * they may hold the API key, so nothing here logs them. */
gboolean shiftd_model_http_post(ShiftdLink *link, const char *url, const char *const *headers,
                                const char *body, guint64 timeout_usec,
                                ShiftdHttpReply *reply, GError **error);

/* What every transfer of the worker shares (the model's and the MCP HTTP
 * servers'): http and https only, and a transfer driven to its end while the
 * daemon's socket is watched, so a cancel or EOF aborts it at once. FALSE
 * only when the link failed; out_result says how the transfer ended. */
void shiftd_http_restrict_protocols(CURL *easy);
gboolean shiftd_http_drive(CURLM *multi, ShiftdLink *link, CURLcode *out_result, GError **error);
