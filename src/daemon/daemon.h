/* The receptionist's shared state. One Daemon per process. */
#pragma once

#include <glib.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "run-store.h"

typedef struct Run Run;
typedef struct Worker Worker;
typedef struct Agent Agent;
typedef struct Backend Backend;
typedef struct SlotLimiter SlotLimiter;
typedef struct Daemon Daemon;
typedef struct WakeHolds WakeHolds;

/* How the core tells the bus side what happened: the *-bus.c files
 * implement it (daemon_bus_observer) and are the only code that emits. */
typedef struct {
  /* A new record is on disk (old is NULL for the receipt), with these new
   * events (RunEvent). */
  void (*run_published)(Run *run, const ShiftdRunRow *old, GArray *events);
  /* A Summary that is not stored changed (model-slot queue position). */
  void (*run_summary_changed)(Run *run);
  /* It left the object manager's list (still addressable by its path). */
  void (*run_unlisted)(Run *run);
  /* An agent appeared, went, or these properties (NULL-terminated) changed
   * (its state is on disk by then). */
  void (*agent_published)(Agent *agent);
  void (*agent_unpublished)(Agent *agent);
  void (*agent_changed)(Agent *agent, const char *const *properties);
  /* These Manager properties changed (ActiveRuns, the model slots). */
  void (*manager_changed)(Daemon *d, const char *const *properties);
} DaemonObserver;

typedef enum {
  DAEMON_MODE_SYSTEM,
  DAEMON_MODE_USER,
} DaemonMode;

struct Daemon {
  DaemonMode mode;
  char *config_dir;
  char *state_dir;
  char *worker_path;
  ShiftdConfig *config;
  char *api_key; /* read once; handed to workers over their socket only */

  sd_event *event;
  struct sd_bus *bus; /* the bus side's (main.c, *-bus.c, the systemd backend); the core has no sd-bus */
  ShiftdStore *store;
  sd_event_source *store_source;
  Backend *backend;
  SlotLimiter *slots;

  const DaemonObserver *observer;

  /* run-table.c: the runs in memory, each in one of the queues */
  GHashTable *runs;      /* name -> Run* (a reference) */
  GQueue live_runs;      /* queued, running, waiting: by creation */
  GQueue recent_runs;    /* the window of finished runs: by finishing */
  GQueue cached_runs;    /* finished, looked up lately: least recent first */
  GQueue launch_queue;   /* Run* in state queued, FIFO */
  /* run-retention.c */
  sd_event_source *prune_timer;
  sd_event_source *prune_again;
  gboolean pruning;
  guint finished_since_prune;
  guint live_workers;
  guint active_runs;     /* published ActiveRuns */
  sd_event_source *launch_source;
  sd_event_source *midnight_timer; /* agent-tokens.c: TokensToday turns over */

  GHashTable *agents;    /* name -> Agent* */
  GHashTable *dynamic_uids; /* home -> uid, where the daemon allocates them (embedded) */
  GPtrArray *retired_agents; /* removed by a reload, freed at exit */
  GRand *rand;
  WakeHolds *holds;      /* wake-hold.c: wakes waiting for power and network */

  gboolean stopping;
  sd_event_source *stop_timer;
};

/* Finishes a clean stop once the last worker is gone. */
void daemon_check_stopped(Daemon *d);
/* A run entered (+1) or left (-1) queued/running/waiting: announce ActiveRuns. */
void daemon_adjust_active_runs(Daemon *d, int delta);
