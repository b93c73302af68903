#include "config.h"

#include <errno.h>
#include <string.h>

#include "ini-file.h"
#include "mcp-config.h"
#include "time-span.h"

static const ShiftdIniKey config_keys[] = {
  { "Model", "BaseURL" },
  { "Model", "Name" },
  { "Model", "ApiKeyFile" },
  { "Model", "Provider" },
  { "Model", "Timeout" },
  { "Model", "Retries" },
  { "Model", "RetryDelay" },
  { "Limits", "ModelSlots" },
  { "Limits", "MaxActiveRuns" },
  { "Limits", "MaxSteps" },
  { "Limits", "RunTimeout" },
  { "Store", "KeepFinished" },
  { "Store", "KeepRuns" },
  { NULL, NULL },
};

/* Upper bounds for time spans. Each value goes to the worker or the store as
 * a signed 64-bit count of µs, so "infinity" (and anything near it) would
 * wrap; these caps are far above any sensible setting. */
#define SEC SHIFTD_USEC_PER_SEC
#define MODEL_TIMEOUT_MAX (24 * 3600 * SEC)     /* one model call: 1d */
#define RETRY_DELAY_MAX (3600 * SEC)            /* between retries: 1h */
#define RUN_TIMEOUT_MAX (366 * 24 * 3600 * SEC) /* one run's working time: about a year */
#define MODEL_NAME_MAX 256

ShiftdConfig *
shiftd_config_new(void)
{
  ShiftdConfig *c = g_new0(ShiftdConfig, 1);
  c->model_base_url = g_strdup("http://127.0.0.1:11434/v1");
  c->model_name = g_strdup("llama3.2");
  c->model_provider = SHIFTD_PROVIDER_OPENAI;
  c->model_timeout_usec = 300 * SHIFTD_USEC_PER_SEC;
  c->model_retries = 4;
  c->model_retry_delay_usec = SHIFTD_USEC_PER_SEC;
  c->model_slots = 2;
  c->max_active_runs = 16;
  c->max_steps = 20;
  c->run_timeout_usec = 3600 * SHIFTD_USEC_PER_SEC;
  c->keep_finished_usec = 90ULL * 24 * 3600 * SHIFTD_USEC_PER_SEC;
  c->keep_runs = 0;
  c->mcp_servers = g_ptr_array_new_with_free_func((GDestroyNotify)shiftd_mcp_server_free);
  return c;
}

void
shiftd_config_free(ShiftdConfig *c)
{
  if (c == NULL)
    return;
  g_free(c->path);
  g_free(c->model_base_url);
  g_free(c->model_name);
  g_free(c->model_api_key_file);
  g_clear_pointer(&c->mcp_servers, g_ptr_array_unref);
  g_free(c);
}

/* Whitespace and invisible formatting characters: a pasted no-break or
 * zero-width space is as wrong as a tab. */
static gboolean
is_blank(gunichar ch)
{
  return g_unichar_isspace(ch) || g_unichar_type(ch) == G_UNICODE_FORMAT ||
         g_unichar_type(ch) == G_UNICODE_SPACE_SEPARATOR;
}

/* Why a value with no room for blanks is wrong, or NULL if it is not. */
static char *
blank_problem(const char *value)
{
  for (const char *p = value; *p; p = g_utf8_next_char(p)) {
    gunichar ch = g_utf8_get_char(p);
    if (g_unichar_iscntrl(ch))
      return g_strdup_printf("must not contain control characters (U+%04X)", ch);
    if (is_blank(ch))
      return g_strdup_printf("must not contain whitespace (U+%04X)", ch);
  }
  return NULL;
}

gboolean
shiftd_config_check_base_url(const char *url, char **out_reason)
{
  g_autofree char *why = NULL;
  const char *comment = shiftd_ini_trailing_comment(url);
  if (!g_utf8_validate(url, -1, NULL)) /* it may come from the environment */
    why = g_strdup("not valid UTF-8");
  else if (comment)
    why = g_strdup_printf("a comment must be on a line of its own (\"%s\" is not part of the value)", comment);
  if (why == NULL)
    why = blank_problem(url);
  if (why == NULL && !(g_str_has_prefix(url, "http://") || g_str_has_prefix(url, "https://")))
    why = g_strdup("expected an http:// or https:// URL");
  if (why == NULL) {
    g_autoptr(GError) local = NULL;
    g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, &local);
    if (uri == NULL)
      why = g_strdup_printf("not a valid URL (%s)", local->message);
    else if (g_uri_get_host(uri) == NULL || g_uri_get_host(uri)[0] == '\0')
      why = g_strdup("the URL has no host");
    else if (g_uri_get_userinfo(uri) != NULL)
      /* it would be logged and shown; the key has its own file */
      why = g_strdup("the URL must not carry credentials (user:password@); use ApiKeyFile=");
    else if (g_uri_get_query(uri) != NULL || g_uri_get_fragment(uri) != NULL || strchr(url, '?') ||
             strchr(url, '#'))
      why = g_strdup("the URL must not have a query (?…) or a fragment (#…): it is a base for the API's paths");
  }
  if (why == NULL)
    return TRUE;
  if (out_reason)
    *out_reason = g_steal_pointer(&why);
  return FALSE;
}

/* Consumes why. */
static gboolean
check_entry(ShiftdIniFile *ini, const char *key, char *why, GError **error)
{
  if (why == NULL)
    return TRUE;
  shiftd_ini_set_entry_error(error, ini, shiftd_ini_file_lookup(ini, "Model", key), "%s", why);
  g_free(why);
  return FALSE;
}

static gboolean
check_strings(ShiftdIniFile *ini, ShiftdConfig *c, GError **error)
{
  char *why = NULL;
  if (shiftd_ini_file_lookup(ini, "Model", "BaseURL") && !shiftd_config_check_base_url(c->model_base_url, &why))
    return check_entry(ini, "BaseURL", why, error);

  if (shiftd_ini_file_lookup(ini, "Model", "Name")) {
    if (c->model_name[0] == '\0')
      why = g_strdup("must not be empty");
    else if (strlen(c->model_name) > MODEL_NAME_MAX)
      why = g_strdup_printf("is longer than %d bytes", MODEL_NAME_MAX);
    else
      why = blank_problem(c->model_name);
    if (why)
      return check_entry(ini, "Name", why, error);
  }

  const char *key = c->model_api_key_file;
  if (shiftd_ini_file_lookup(ini, "Model", "ApiKeyFile") && key[0] != '\0') {
    if (!g_path_is_absolute(key))
      why = g_strdup("must be an absolute path");
    else
      for (const char *p = key; *p && why == NULL; p++)
        if (g_ascii_iscntrl(*p))
          why = g_strdup_printf("must not contain control characters (U+%04X)", (guint)(guchar)*p);
    if (why)
      return check_entry(ini, "ApiKeyFile", why, error);
  }
  return TRUE;
}

/* A time span from min to max ("infinity" and the like are above max). */
static gboolean
get_span(ShiftdIniFile *ini, const char *group, const char *key, guint64 min, guint64 max, guint64 *out,
         GError **error)
{
  guint64 v = *out;
  if (!shiftd_ini_get_time_span(ini, group, key, min, &v, error))
    return FALSE;
  if (v > max) {
    g_autofree char *text = shiftd_time_span_format(max);
    shiftd_ini_set_entry_error(error, ini, shiftd_ini_file_lookup(ini, group, key), "must be at most %s", text);
    return FALSE;
  }
  *out = v;
  return TRUE;
}


gboolean
shiftd_config_load(ShiftdConfig *c, const char *path, GError **error)
{
  g_free(c->path);
  c->path = g_strdup(path);
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr(GError) local = NULL;
  if (!shiftd_ini_read_file(path, SHIFTD_INI_FILE_MAX, &text, &length, &local)) {
    /* Only a file that is not there means defaults; one we cannot read
     * (permissions, a directory in its place) is an error, not a silent
     * start with settings nobody wrote. */
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      return TRUE;
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  return shiftd_config_parse(c, path, text, length, error);
}

gboolean
shiftd_config_parse(ShiftdConfig *c, const char *path, const char *text, gsize length, GError **error)
{
  g_autoptr(ShiftdIniFile) ini = shiftd_ini_file_parse(path, text, length, error);
  if (ini == NULL)
    return FALSE;
  g_autoptr(GArray) keys = shiftd_mcp_config_keys(ini, config_keys);
  if (!shiftd_ini_file_check_keys(ini, (const ShiftdIniKey *)keys->data, error) ||
      !shiftd_ini_file_check_unique(ini, error) ||
      !shiftd_ini_file_check_no_comments(ini, NULL, error))
    return FALSE;

  if (!shiftd_ini_get_string(ini, "Model", "BaseURL", &c->model_base_url, error) ||
      !shiftd_ini_get_string(ini, "Model", "Name", &c->model_name, error) ||
      !shiftd_ini_get_string(ini, "Model", "ApiKeyFile", &c->model_api_key_file, error) ||
      !check_strings(ini, c, error) ||
      !shiftd_ini_get_provider(ini, "Model", &c->model_provider, error) ||
      !get_span(ini, "Model", "Timeout", SEC, MODEL_TIMEOUT_MAX, &c->model_timeout_usec, error) ||
      !shiftd_ini_get_uint(ini, "Model", "Retries", 0, 20, &c->model_retries, error) ||
      !get_span(ini, "Model", "RetryDelay", 1000, RETRY_DELAY_MAX, &c->model_retry_delay_usec, error) ||
      !shiftd_ini_get_uint(ini, "Limits", "ModelSlots", 1, 1024, &c->model_slots, error) ||
      !shiftd_ini_get_uint(ini, "Limits", "MaxActiveRuns", 1, 65536, &c->max_active_runs, error) ||
      !shiftd_ini_get_uint(ini, "Limits", "MaxSteps", 1, 100000, &c->max_steps, error) ||
      !get_span(ini, "Limits", "RunTimeout", SEC, RUN_TIMEOUT_MAX, &c->run_timeout_usec, error) ||
      /* "infinity" keeps finished runs for ever */
      !shiftd_ini_get_time_span(ini, "Store", "KeepFinished", SEC, &c->keep_finished_usec, error) ||
      !shiftd_ini_get_uint(ini, "Store", "KeepRuns", 0, G_MAXUINT32, &c->keep_runs, error))
    return FALSE;
  GPtrArray *servers = shiftd_mcp_config_parse(ini, error);
  if (servers == NULL)
    return FALSE;
  g_ptr_array_unref(c->mcp_servers);
  c->mcp_servers = servers;
  return TRUE;
}
