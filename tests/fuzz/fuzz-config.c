/* shiftd.conf as the daemon reads it at start and on reload. */
#include "fuzz-common.h"

#include "config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(ShiftdConfig) config = shiftd_config_new();
  g_autoptr(GError) error = NULL;
  if (!shiftd_config_parse(config, "/fuzz/shiftd.conf", (const char *)data, size, &error)) {
    FUZZ_CHECK(error != NULL && g_str_has_prefix(error->message, "/fuzz/shiftd.conf"));
    return 0;
  }
  /* What the daemon goes on to use must be within what the parser promises. */
  FUZZ_CHECK(g_str_has_prefix(config->model_base_url, "http://") ||
             g_str_has_prefix(config->model_base_url, "https://"));
  FUZZ_CHECK(config->model_name != NULL && *config->model_name != '\0');
  FUZZ_CHECK(config->model_retries <= 20);
  FUZZ_CHECK(config->model_slots >= 1 && config->max_active_runs >= 1 && config->max_steps >= 1);
  FUZZ_CHECK(config->model_timeout_usec >= G_USEC_PER_SEC && config->run_timeout_usec >= G_USEC_PER_SEC);
  return 0;
}
