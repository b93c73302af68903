/* The connection to shiftd's bus and the calls on it. */
#pragma once

#include <gio/gio.h>

#include "args.h"

/* A D-Bus call should come back at once; this only bounds a wedged daemon
 * (or one that is still starting: a start that fails is heard at once). */
#define CLI_CALL_TIMEOUT_MSEC 25000
/* The unit D-Bus activation starts (SystemdService= in both activation files). */
#define CLI_SHIFTD_UNIT "shiftd.service"

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
  gboolean reached;       /* shiftd answered once: from now on no call starts it again */
  gboolean no_activation; /* never start shiftd (the completions) */
  int timeout_msec;       /* 0: CLI_CALL_TIMEOUT_MSEC */
} CliBus;

/* Which bus: --address, else --user/--system, else $SHIFTD_BUS_ADDRESS, else the session bus. */
void cli_bus_choose(CliBus *bus, CliBusChoice choice, const char *address, const char *env_address);
gboolean cli_bus_connect(CliBus *bus, GError **error);
void cli_bus_clear(CliBus *bus);
/* "the session bus", "the system bus", "the bus at unix:path=…" */
char *cli_bus_describe(const CliBus *bus);
/* The options that reach this bus again, for hints like "shiftctl --system answer …"; "" for the default. */
char *cli_bus_flags(const CliBus *bus);

/* A method call on org.shiftd.Shift1 with the standard timeout. The first
 * call of a command may start shiftd (D-Bus activation); see bus-start.c. */
GVariant *cli_bus_call(CliBus *bus, const char *path, const char *iface, const char *method,
                       GVariant *params, const GVariantType *reply_type, GError **error);

/* The first call: if shiftd is not on the bus, starts it by this very call
 * when it can be started, and hears at once when the start fails (from
 * shiftd, from dbus-daemon, or from systemd's view of shiftd.service). */
GVariant *cli_bus_call_starting(CliBus *bus, const char *path, const char *iface, const char *method,
                                GVariant *params, const GVariantType *reply_type, GError **error);

/* The command that shows shiftd's unit, "systemctl --user status shiftd" or
 * "systemctl status shiftd"; NULL on a bus given by address where no systemd
 * knows a shiftd.service (the hint would lead nowhere). */
char *cli_bus_status_hint(CliBus *bus);
