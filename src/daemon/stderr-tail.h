/* A worker's stderr, read by the daemon (embedded backend): each line goes
 * on to the daemon's stderr, and the last one is kept, so a
 * worker that dies before it can say why through its socket (bubblewrap
 * refusing to set up, a crash) still leaves the reason in the run's Error.
 * (Where the daemon logs to the journal, so do workers, natively.) */
#pragma once

#include <glib.h>
#include <systemd/sd-event.h>

typedef struct StderrTail StderrTail;

/* Reads fd (consumed) on e. */
StderrTail *stderr_tail_new(sd_event *e, int fd, GError **error);
/* Reads what is left (the writer is gone), and stops watching. */
void stderr_tail_drain(StderrTail *t);
/* The last non-empty line seen, or NULL. */
const char *stderr_tail_last(StderrTail *t);
void stderr_tail_free(StderrTail *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StderrTail, stderr_tail_free)
