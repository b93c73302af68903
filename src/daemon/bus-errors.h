/* org.shiftd.Shift1.Error.*: their errno mapping for sd-bus, and a GError
 * domain so GLib-style code can say which one it means. */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

#include "shiftd-names.h"

extern const sd_bus_error_map shiftd_bus_error_map[];

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

int shiftd_bus_errors_register(void);
/* The D-Bus error name for a GError (Busy for anything not of our domain). */
const char *shiftd_bus_error_name(const GError *error);
/* Replies to m with error's name and message. */
int shiftd_bus_reply_gerror(sd_bus_message *m, const GError *error);
