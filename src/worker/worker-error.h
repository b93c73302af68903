/* How a step of the worker can fail: the run fails, or the attempt simply stops. */
#pragma once

#include <glib.h>

#define SHIFTD_WORKER_ERROR (shiftd_worker_error_quark())
GQuark shiftd_worker_error_quark(void);

typedef enum {
  /* The run fails with this message (sent as the `error` ending). */
  SHIFTD_WORKER_ERROR_FAILED,
  /* The daemon said `cancel`: send nothing more, exit. */
  SHIFTD_WORKER_ERROR_CANCELLED,
  /* The socket to the daemon is gone: exit at once. */
  SHIFTD_WORKER_ERROR_CLOSED,
  /* The daemon sent something that is not protocol: end with `error`. */
  SHIFTD_WORKER_ERROR_PROTOCOL,
} ShiftdWorkerError;

/* TRUE for the errors after which nothing more may be sent. */
gboolean shiftd_worker_error_is_final(const GError *error);
