/* How a worker process is started and stopped. The two backends differ only here
 * (and in arming wake-ups); all run logic is shared. */
#pragma once

#include <glib.h>

#include "daemon.h"
#include "launch-spec.h"

struct Backend {
  const char *name;
  Daemon *daemon;
  /* It switches users itself and keeps each run's workspace and notes as
   * its unit's StateDirectory= (systemd under a root daemon: DynamicUser=
   * for agents without User=); else the daemon allocates uids for those and
   * keeps the directories, owned by the run's user. */
  gboolean state_directories;
  /* Why it cannot confine workers (their command-running tools are then
   * refused), or NULL. */
  const char *confine_error;
  /* Starts w's process with child_fd as its stdin and stdout, as spec says;
   * the backend closes child_fd. Calls worker_process_exited() when the
   * process is gone. It may raise w->attempt past a number an earlier
   * daemon used without recording it. */
  gboolean (*launch)(Backend *b, Worker *w, int child_fd, const LaunchSpec *spec, GError **error);
  /* SIGTERM (or StopUnit) now, SIGKILL later if it lingers. */
  void (*stop)(Backend *b, Worker *w);
  /* Arms the agent's next wake (state->next_wake; systemd timers also repeat
   * at state->current_interval); agent_schedule_wake() runs when it fires. */
  void (*arm_wake)(Backend *b, Agent *agent);
  void (*disarm_wake)(Backend *b, Agent *agent);
  void (*free)(Backend *b);
};

Backend *backend_embedded_new(Daemon *d);
/* A systemd manager answers on the daemon's bus. */
gboolean backend_systemd_available(Daemon *d);
Backend *backend_systemd_new(Daemon *d, GError **error);

void backend_free(Backend *b);
