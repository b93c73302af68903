/* The errors the core gives its callers, as a GError domain; the bus side
 * names them org.shiftd.Shift1.Error.* (bus-errors.c). */
#pragma once

#include <glib.h>

typedef enum {
  SHIFTD_BUS_ERROR_NO_SUCH_RUN,
  SHIFTD_BUS_ERROR_NO_SUCH_AGENT,
  SHIFTD_BUS_ERROR_INVALID_ARGUMENT,
  SHIFTD_BUS_ERROR_NOT_WAITING,
  SHIFTD_BUS_ERROR_ALREADY_FINISHED,
  SHIFTD_BUS_ERROR_ACCESS_DENIED,
  SHIFTD_BUS_ERROR_BUSY,
} ShiftdBusError;

#define SHIFTD_BUS_ERROR (shiftd_bus_error_quark())
GQuark shiftd_bus_error_quark(void);
