/* How a worker process is started and stopped. The two backends differ only here
 * (and in arming wake-ups); all run logic is shared. */
#pragma once

#include <glib.h>

#include "daemon.h"
#include "launch-spec.h"

/* What a backend needs to arm one agent's wakes; it keeps its own per-agent
 * state under the name and calls agent_schedule_wake_named() when one fires. */
typedef struct {
  const char *agent;
  guint64 next_wake;       /* CLOCK_REALTIME µs */
  guint64 repeat_usec;     /* Every=: then again every this long (0: once) */
  const char *on_calendar; /* set when the calendar alone decides the wakes */
} WakeSpec;

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
  /* Arms (or re-arms) the agent's wakes as spec says. */
  void (*arm_wake)(Backend *b, const WakeSpec *spec);
  void (*disarm_wake)(Backend *b, const char *agent);
  /* Follows the agent's WatchPath= (absolute paths, NULL-terminated), or
   * stops following them (NULL); calls agent_watch_changed_named() when one
   * changed. Cheap when the paths are the ones it follows already. */
  void (*watch_paths)(Backend *b, const char *agent, const char *const *paths);
  /* The unit that arms the agent's wakes ("" when none, or not a unit);
   * a change is told with agent_backend_changed(). */
  const char *(*wake_unit)(Backend *b, const char *agent);
  void (*free)(Backend *b);
};

Backend *backend_embedded_new(Daemon *d);
/* A systemd manager answers on the daemon's bus. */
gboolean backend_systemd_available(Daemon *d);
Backend *backend_systemd_new(Daemon *d, GError **error);

void backend_free(Backend *b);
