/* org.shiftd.Shift1.Error.*: their errno mapping for sd-bus, and the names
 * of the core's GError codes (core-error.h). */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

#include "core-error.h"
#include "shiftd-names.h"

extern const sd_bus_error_map shiftd_bus_error_map[];

int shiftd_bus_errors_register(void);
/* The D-Bus error name for a GError (Busy for anything not of our domain). */
const char *shiftd_bus_error_name(const GError *error);
/* Replies to m with error's name and message. */
int shiftd_bus_reply_gerror(sd_bus_message *m, const GError *error);
