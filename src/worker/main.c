/* shiftd-worker: one attempt of a run (docs/worker-protocol.md).
 *
 * stdin/stdout are the socket to the daemon; stderr is the log.
 * Exit status: 0 once an ending was sent (or the daemon cancelled us),
 * 1 when the daemon's socket was lost first, 2 for a bad command line. */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "agent-loop.h"
#include "build-config.h"
#include "daemon-link.h"
#include "endings.h"
#include "hello.h"
#include "log.h"
#include "review.h"
#include "time-span.h"
#include "tool-shell.h"
#include "worker-error.h"

#define ACK_WAIT_USEC (30 * SHIFTD_USEC_PER_SEC)

/* SIGTERM from the daemon (or systemd): a running command's process group
 * is not ours to leave behind. */
static void
on_terminate(int sig)
{
  shiftd_tool_shell_kill_running();
  signal(sig, SIG_DFL);
  raise(sig);
}

static void
setup_signals(void)
{
  /* A closed socket is an EPIPE to handle, not a death. */
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_terminate;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
}

/* Sends the ending, then waits (boundedly) for the daemon to say it is durable. */
static int
end_attempt(ShiftdLink *link, JsonObject *ending, const char *run, const char *agent)
{
  g_autoptr(GError) error = NULL;
  const char *type = json_object_get_string_member(ending, "type");
  if (g_str_equal(type, "error"))
    log_run(LOG_ERR, run, agent, "failed: %s", json_object_get_string_member(ending, "reason"));
  else
    log_run(LOG_INFO, run, agent, "ending: %s", type);

  gint64 id = 0;
  shiftd_ending_bound(ending);
  if (!shiftd_link_release_slot(link, &error) || !shiftd_link_send(link, ending, &id, &error)) {
    log_run(LOG_ERR, run, agent, "could not send the ending: %s", error->message);
    return g_error_matches(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_CANCELLED) ? 0 : 1;
  }
  if (shiftd_link_wait_ack(link, id, ACK_WAIT_USEC, &error))
    return 0;
  if (error == NULL)
    log_run(LOG_WARNING, run, agent, "no ack for the ending within 30 s; exiting anyway");
  else
    log_run(LOG_WARNING, run, agent, "while waiting for the ending's ack: %s", error->message);
  return 0;
}

/* The link failed: cancel and EOF end the attempt silently; a bad line from
 * the daemon ends it with `error`. */
static int
end_on_link_error(ShiftdLink *link, const GError *error, const char *run, const char *agent)
{
  if (g_error_matches(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_CANCELLED)) {
    log_run(LOG_NOTICE, run, agent, "cancelled: %s", error->message);
    return 0;
  }
  if (g_error_matches(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_CLOSED)) {
    log_run(LOG_ERR, run, agent, "lost the daemon: %s", error->message);
    return 1;
  }
  g_autoptr(JsonObject) ending = shiftd_ending_error(error->message);
  return end_attempt(link, ending, run, agent);
}

static int
run_attempt(ShiftdLink *link)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) message = shiftd_link_read_hello(link, &error);
  if (message == NULL)
    return end_on_link_error(link, error, NULL, NULL);

  g_autoptr(ShiftdHello) hello = shiftd_hello_parse(message, &error);
  if (hello == NULL) {
    g_autoptr(JsonObject) ending = shiftd_ending_error(error->message);
    return end_attempt(link, ending, NULL, NULL);
  }
  shiftd_log_add_secret(hello->api_key);
  shiftd_link_set_secret(link, hello->api_key);
  if (!shiftd_hello_prepare_dirs(hello, g_getenv("STATE_DIRECTORY"), &error)) {
    g_autoptr(JsonObject) ending = shiftd_ending_error(error->message);
    return end_attempt(link, ending, hello->run, hello->agent);
  }
  log_run(LOG_INFO, hello->run, hello->agent, "attempt %u starts at step %u (%s)", hello->attempt, hello->step,
          hello->messages ? (hello->answer ? "resuming with an answer" : "resuming") : "fresh start");

  g_autoptr(JsonObject) ending = shiftd_agent_loop_run(hello, link, &error);
  if (ending == NULL)
    return end_on_link_error(link, error, hello->run, hello->agent);
  if (hello->review && g_str_equal(json_object_get_string_member(ending, "type"), "done") &&
      !shiftd_review_save(hello, json_object_get_string_member(ending, "result"), &error)) {
    g_clear_pointer(&ending, json_object_unref);
    ending = shiftd_ending_error(error->message);
  }
  return end_attempt(link, ending, hello->run, hello->agent);
}

int
main(int argc, char **argv)
{
  if (argc == 2 && g_str_equal(argv[1], "--version")) {
    printf("shiftd-worker %s (protocol %d)\n", PACKAGE_VERSION, 1);
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "usage: %s\n"
                    "Started by shiftd with its protocol socket on stdin and stdout; not for direct use.\n",
            argv[0]);
    return 2;
  }

  shiftd_log_init("shiftd-worker");
  /* The API key comes over the socket and lives in this process: tools run
   * as the same user, so they must not read our memory (/proc/PID/mem,
   * ptrace). Commands we exec are dumpable again, as they should be. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
    log_error("cannot make the worker undumpable: %s", g_strerror(errno));
    return 1;
  }
  setup_signals();
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    log_error("could not initialise libcurl");
    return 1;
  }
  g_autoptr(ShiftdLink) link = shiftd_link_new(STDIN_FILENO, STDOUT_FILENO);
  int status = run_attempt(link);
  g_clear_pointer(&link, shiftd_link_free);
  curl_global_cleanup();
  return status;
}
