#include "worker-error.h"

G_DEFINE_QUARK(shiftd-worker-error-quark, shiftd_worker_error)

gboolean
shiftd_worker_error_is_final(const GError *error)
{
  return g_error_matches(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_CANCELLED) ||
         g_error_matches(error, SHIFTD_WORKER_ERROR, SHIFTD_WORKER_ERROR_CLOSED);
}
