/* An agent file (agents.d/NAME.agent) as the daemon reads it. The files it
 * names (InstructionsFile=) come from a small made-up file system instead of
 * the machine's: the fuzzer must not read whatever path it invents. The link
 * redirects agent-file.c's shiftd_ini_read_file() here (-Wl,--wrap). */
#include "fuzz-common.h"

#include <string.h>

#include "agent-file.h"

gboolean __wrap_shiftd_ini_read_file(const char *path, gsize max, char **contents, gsize *length, GError **error);

#define FUZZ_AGENT_DIR "/fuzz/agents.d"

gboolean
__wrap_shiftd_ini_read_file(const char *path, gsize max, char **contents, gsize *length, GError **error)
{
  static const char plain[] = "Read the newest build log and report new failures.\n";
  static const char not_utf8[] = "caf\xe9\n";
  if (g_str_equal(path, FUZZ_AGENT_DIR "/instructions.txt")) {
    *contents = g_strdup(plain);
    *length = sizeof plain - 1;
    return TRUE;
  }
  if (g_str_equal(path, FUZZ_AGENT_DIR "/latin1.txt")) {
    *contents = g_strdup(not_utf8);
    *length = sizeof not_utf8 - 1;
    return TRUE;
  }
  if (g_str_equal(path, FUZZ_AGENT_DIR "/huge.txt")) { /* over the 256 KiB limit */
    if (300 * 1024 > max) {
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: larger than %" G_GSIZE_FORMAT " bytes", path, max);
      return FALSE;
    }
    *length = 300 * 1024;
    *contents = g_malloc(*length + 1);
    memset(*contents, 'a', *length);
    (*contents)[*length] = '\0';
    return TRUE;
  }
  g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: No such file or directory", path);
  return FALSE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AgentConfig) agent =
    agent_config_parse(FUZZ_AGENT_DIR "/fuzz.agent", (const char *)data, size, &error);
  if (agent == NULL) {
    /* Every refusal names the file (and, for a bad entry, the line). */
    FUZZ_CHECK(error != NULL && g_str_has_prefix(error->message, FUZZ_AGENT_DIR "/fuzz.agent"));
    return 0;
  }
  FUZZ_CHECK(g_str_equal(agent->name, "fuzz"));
  FUZZ_CHECK(agent->instructions != NULL && agent->tools != NULL);
  FUZZ_CHECK(!(agent->every && agent->on_calendar));
  FUZZ_CHECK(agent->every == 0 || agent->max_interval >= agent->every);
  FUZZ_CHECK(!agent->quiet_hours.set ||
             (agent->quiet_hours.start_minute < 24 * 60 && agent->quiet_hours.end_minute < 24 * 60));
  g_autofree char *schedule = agent_config_describe_schedule(agent);
  FUZZ_CHECK(schedule != NULL);
  return 0;
}
