#include "config.h"

#include "ini-file.h"
#include "time-span.h"

static const ShiftdIniKey config_keys[] = {
  { "Model", "BaseURL" },
  { "Model", "Name" },
  { "Model", "ApiKeyFile" },
  { "Model", "Timeout" },
  { "Model", "Retries" },
  { "Model", "RetryDelay" },
  { "Limits", "ModelSlots" },
  { "Limits", "MaxActiveRuns" },
  { "Limits", "MaxSteps" },
  { "Limits", "RunTimeout" },
  { NULL, NULL },
};

ShiftdConfig *
shiftd_config_new(void)
{
  ShiftdConfig *c = g_new0(ShiftdConfig, 1);
  c->model_base_url = g_strdup("http://127.0.0.1:11434/v1");
  c->model_name = g_strdup("llama3.2");
  c->model_timeout_usec = 300 * SHIFTD_USEC_PER_SEC;
  c->model_retries = 4;
  c->model_retry_delay_usec = SHIFTD_USEC_PER_SEC;
  c->model_slots = 2;
  c->max_active_runs = 16;
  c->max_steps = 20;
  c->run_timeout_usec = 3600 * SHIFTD_USEC_PER_SEC;
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
  g_free(c);
}

static gboolean
check_url(ShiftdIniFile *ini, const char *url, GError **error)
{
  if (g_str_has_prefix(url, "http://") || g_str_has_prefix(url, "https://"))
    return TRUE;
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, "Model", "BaseURL");
  shiftd_ini_set_entry_error(error, ini, e, "expected an http:// or https:// URL");
  return FALSE;
}

gboolean
shiftd_config_load(ShiftdConfig *c, const char *path, GError **error)
{
  g_free(c->path);
  c->path = g_strdup(path);
  if (!g_file_test(path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_autofree char *text = NULL;
  gsize length = 0;
  if (!g_file_get_contents(path, &text, &length, error))
    return FALSE;
  return shiftd_config_parse(c, path, text, length, error);
}

gboolean
shiftd_config_parse(ShiftdConfig *c, const char *path, const char *text, gsize length, GError **error)
{
  g_autoptr(ShiftdIniFile) ini = shiftd_ini_file_parse(path, text, length, error);
  if (ini == NULL)
    return FALSE;
  if (!shiftd_ini_file_check_keys(ini, config_keys, error))
    return FALSE;

  if (!shiftd_ini_get_string(ini, "Model", "BaseURL", &c->model_base_url, error) ||
      !check_url(ini, c->model_base_url, error) ||
      !shiftd_ini_get_string(ini, "Model", "Name", &c->model_name, error) ||
      !shiftd_ini_get_string(ini, "Model", "ApiKeyFile", &c->model_api_key_file, error) ||
      !shiftd_ini_get_time_span(ini, "Model", "Timeout", SHIFTD_USEC_PER_SEC, &c->model_timeout_usec, error) ||
      !shiftd_ini_get_uint(ini, "Model", "Retries", 0, 20, &c->model_retries, error) ||
      !shiftd_ini_get_time_span(ini, "Model", "RetryDelay", 1000, &c->model_retry_delay_usec, error) ||
      !shiftd_ini_get_uint(ini, "Limits", "ModelSlots", 1, 1024, &c->model_slots, error) ||
      !shiftd_ini_get_uint(ini, "Limits", "MaxActiveRuns", 1, 65536, &c->max_active_runs, error) ||
      !shiftd_ini_get_uint(ini, "Limits", "MaxSteps", 1, 100000, &c->max_steps, error) ||
      !shiftd_ini_get_time_span(ini, "Limits", "RunTimeout", SHIFTD_USEC_PER_SEC, &c->run_timeout_usec, error))
    return FALSE;
  if (c->model_name[0] == '\0') {
    const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, "Model", "Name");
    shiftd_ini_set_entry_error(error, ini, e, "must not be empty");
    return FALSE;
  }
  if (c->model_api_key_file && c->model_api_key_file[0] != '\0' && !g_path_is_absolute(c->model_api_key_file)) {
    const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, "Model", "ApiKeyFile");
    shiftd_ini_set_entry_error(error, ini, e, "must be an absolute path");
    return FALSE;
  }
  return TRUE;
}
