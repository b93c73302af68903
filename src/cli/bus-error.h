/* Errors as shiftctl reports them: one sentence and a short, stable name. */
#pragma once

#include <glib.h>

/* Errors shiftctl finds itself rather than receives. */
#define CLI_ERROR (cli_error_quark())
GQuark cli_error_quark(void);
typedef enum {
  CLI_ERROR_VANISHED, /* the daemon left the bus */
  CLI_ERROR_PROTOCOL, /* the daemon answered something the contract rules out */
  CLI_ERROR_NOT_STARTED, /* systemd saw shiftd.service fail while a call waited for it */
} CliErrorCode;

typedef struct {
  char *name;      /* "NoSuchRun", "NotRunning", "NotStarted", … */
  char *message;   /* one line, without the GDBus prefix */
  char *dbus_name; /* the D-Bus error name when the error came over the bus, else NULL */
} CliFailure;

/* bus_description says where shiftd was looked for ("the session bus"). */
void cli_failure_init(CliFailure *failure, const GError *error, const char *bus_description);
void cli_failure_clear(CliFailure *failure);
