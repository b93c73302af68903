/* The daemon's side of one attempt: the socket to shiftd-worker (JSON lines) and
 * the handle on its process (a pid or a unit, kept by the backend). */
#pragma once

#include <json-glib/json-glib.h>
#include <sys/types.h>

#include "daemon.h"

struct Worker {
  int refs;
  Daemon *daemon;
  Run *run; /* a reference */
  guint32 attempt;
  int fd;
  sd_event_source *io_source;
  struct ShiftdLineReader *reader;
  GString *out;
  /* what the backend says its process is (its own handles on it are its own) */
  pid_t pid;
  char *unit;
  sd_event_source *linger_timer; /* after the socket closed: its exit should follow */
  guint64 started_mono;
  gboolean ended;      /* its ending message arrived */
  gboolean abandoned;  /* the run stopped listening: cancelled, timed out, bad protocol */
  gboolean stopping;   /* stop requested */
  gboolean exited;
  /* bounds on what one worker can make the daemon hold or do */
  guint in_flight;            /* its changes the store has not made durable yet */
  gboolean reading_paused;    /* in_flight reached its bound: lines wait in the reader */
  guint64 window_start_mono;  /* flood check: this second's start and count */
  guint window_messages;
};

/* A worker with a fresh socketpair; *child_fd is the worker's end. */
Worker *worker_new(Daemon *d, Run *run, guint32 attempt, int *child_fd, GError **error);
Worker *worker_ref(Worker *w);
void worker_unref(Worker *w);

/* Queues one protocol message (consumed). Never blocks. */
void worker_send(Worker *w, JsonObject *message);
/* Tells it to stop (a cancel line), then has the backend stop it. */
void worker_stop(Worker *w, const char *reason);
/* The run no longer takes anything from this worker, and it is stopped. */
void worker_abandon(Worker *w, const char *reason);

/* One of its changes went to the store / came back durable: too many at once
 * and the daemon stops reading it until the store catches up. */
void worker_commit_started(Worker *w);
void worker_commit_done(Worker *w);

/* From the backend: the process is gone. reason: NULL for a clean exit 0,
 * else why ("exited with status 2", "killed by signal KILL", "memory limit"). */
void worker_process_exited(Worker *w, const char *reason);
