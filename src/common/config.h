/* shiftd.conf: the daemon's settings. A missing file means defaults. */
#pragma once

#include <glib.h>

#include "model-provider.h"

typedef struct {
  char *path;
  /* [Model] */
  char *model_base_url;
  char *model_name;
  char *model_api_key_file;
  ShiftdProvider model_provider; /* never UNSET; default openai */
  guint64 model_timeout_usec;
  guint model_retries;
  guint64 model_retry_delay_usec;
  /* [Limits] */
  guint model_slots;
  guint max_active_runs;
  guint max_steps;
  guint64 run_timeout_usec;
  /* [Store]: finished runs older than this, or beyond the newest keep_runs
   * (0: no count limit), are pruned with their events */
  guint64 keep_finished_usec;
  guint keep_runs;
  /* [MCP NAME] sections: ShiftdMcpServer* (mcp-config.h) */
  GPtrArray *mcp_servers;
} ShiftdConfig;

ShiftdConfig *shiftd_config_new(void);
void shiftd_config_free(ShiftdConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdConfig, shiftd_config_free)

/* Reads path into config; a missing file leaves the defaults, any other
 * failure to read it is an error. Every value is checked strictly: unknown
 * keys, a key set twice, a comment after a value, blanks or control
 * characters in a URL or name, numbers and time spans out of range are all
 * errors naming FILE:LINE and the reason. */
gboolean shiftd_config_load(ShiftdConfig *config, const char *path, GError **error);
/* The same from text (path names it in errors). */
gboolean shiftd_config_parse(ShiftdConfig *config, const char *path, const char *text, gsize length, GError **error);
/* An http:// or https:// URL with a host, no blanks, control characters,
 * credentials, query or fragment. FALSE with the reason (transfer full). */
gboolean shiftd_config_check_base_url(const char *url, char **out_reason);
