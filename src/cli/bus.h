/* The connection to shiftd's bus and the calls on it. */
#pragma once

#include <gio/gio.h>

#include "args.h"

/* A D-Bus call should come back at once; this only bounds a wedged daemon. */
#define CLI_CALL_TIMEOUT_MSEC 25000

typedef enum {
  CLI_BUS_KIND_SESSION,
  CLI_BUS_KIND_SYSTEM,
  CLI_BUS_KIND_ADDRESS,
} CliBusKind;

typedef struct {
  CliBusKind kind;
  char *address;  /* for CLI_BUS_KIND_ADDRESS */
  gboolean system; /* --system was given (for hints) */
  GDBusConnection *conn;
} CliBus;

/* Which bus: --address, else --user/--system, else $SHIFTD_BUS_ADDRESS, else the session bus. */
void cli_bus_choose(CliBus *bus, CliBusChoice choice, const char *address, const char *env_address);
gboolean cli_bus_connect(CliBus *bus, GError **error);
void cli_bus_clear(CliBus *bus);
/* "the session bus", "the system bus", "the bus at unix:path=…" */
char *cli_bus_describe(const CliBus *bus);
/* The options that reach this bus again, for hints like "shiftctl --system answer …"; "" for the default. */
char *cli_bus_flags(const CliBus *bus);

/* A method call on org.shiftd.Shift1 with the standard timeout. */
GVariant *cli_bus_call(CliBus *bus, const char *path, const char *iface, const char *method,
                       GVariant *params, const GVariantType *reply_type, GError **error);
