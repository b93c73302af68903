#include "wake-if.h"

#include "endings.h"
#include "json-util.h"
#include "log.h"
#include "tool-shell.h"

/* A precheck is meant to be cheap; one that is not is stopped. */
#define WAKE_IF_TIMEOUT_USEC (30 * G_USEC_PER_SEC)
#define WAKE_IF_OUTPUT_CAP 2048

gboolean
shiftd_wake_if_check(const ShiftdHello *hello, ShiftdLink *link, JsonObject **ending, GError **error)
{
  *ending = NULL;
  if (hello->unconfined) {
    g_autofree char *reason = g_strdup_printf("WakeIf= cannot run: commands cannot be confined here (%s)",
                                              hello->unconfined);
    *ending = shiftd_ending_error(reason);
    return TRUE;
  }
  ShiftdShellRequest req = {
    .command = hello->wake_if,
    .workdir = hello->workspace,
    .timeout_usec = MIN(WAKE_IF_TIMEOUT_USEC, hello->shell_timeout_usec ? hello->shell_timeout_usec
                                                                         : WAKE_IF_TIMEOUT_USEC),
    .output_cap = WAKE_IF_OUTPUT_CAP,
    .private_network = hello->private_network,
  };
  gboolean ok = FALSE;
  g_autofree char *text = NULL;
  if (!shiftd_tool_shell(link, &req, &ok, &text, error))
    return FALSE;
  /* the first line says how it ended: "exit status 1" */
  g_autofree char *status = shiftd_one_line(text, 120);
  g_autofree char *summary = g_strdup_printf("WakeIf=%s: %s", hello->wake_if, status);
  log_run(LOG_INFO, hello->run, hello->agent, "%s", summary);
  if (!ok) {
    g_autofree char *reason = g_strdup_printf("%s, so there is nothing to do", summary);
    *ending = shiftd_ending_no_work(reason);
    return TRUE;
  }
  JsonObject *data = json_object_new();
  g_autofree char *note = g_strdup_printf("%s: there is work", summary);
  json_object_set_string_member(data, "text", note);
  return shiftd_link_send_event(link, "note", data, error);
}
