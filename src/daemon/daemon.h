/* The receptionist's shared state. One Daemon per process. */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "run-store.h"

typedef struct Run Run;
typedef struct Worker Worker;
typedef struct Agent Agent;
typedef struct Backend Backend;
typedef struct SlotLimiter SlotLimiter;

typedef enum {
  DAEMON_MODE_SYSTEM,
  DAEMON_MODE_USER,
} DaemonMode;

typedef struct Daemon {
  DaemonMode mode;
  char *config_dir;
  char *state_dir;
  char *worker_path;
  ShiftdConfig *config;
  char *api_key; /* read once; handed to workers over their socket only */

  sd_event *event;
  sd_bus *bus;
  ShiftdStore *store;
  sd_event_source *store_source;
  Backend *backend;
  SlotLimiter *slots;

  GHashTable *runs;      /* name -> Run* (every run ever, finished ones too) */
  GPtrArray *run_order;  /* Run*, by creation */
  GQueue launch_queue;   /* Run* in state queued, FIFO */
  guint live_workers;
  guint active_runs;     /* published ActiveRuns */
  sd_event_source *launch_source;

  GHashTable *agents;    /* name -> Agent* */
  GHashTable *dynamic_uids; /* home -> uid, where the daemon allocates them (embedded) */
  GPtrArray *retired_agents; /* removed by a reload, freed at exit */
  GRand *rand;

  gboolean stopping;
  sd_event_source *stop_timer;
} Daemon;

/* Finishes a clean stop once the last worker is gone. */
void daemon_check_stopped(Daemon *d);
/* A run entered (+1) or left (-1) queued/running/waiting: announce ActiveRuns. */
void daemon_adjust_active_runs(Daemon *d, int delta);
