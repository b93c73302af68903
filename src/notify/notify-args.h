/* shiftd-notify's command line: where the daemon is, and what else to announce. */
#pragma once

#include <glib.h>

typedef enum {
  NOTIFY_BUS_SESSION,
  NOTIFY_BUS_SYSTEM,
  NOTIFY_BUS_ADDRESS,
} NotifyBusKind;

typedef struct {
  NotifyBusKind bus;
  char *address; /* for NOTIFY_BUS_ADDRESS */
  gboolean notify_finished;
  gboolean version;
} NotifyArgs;

/* Without --user, --system or --address, $SHIFTD_BUS_ADDRESS when set (as
 * shiftctl does), else the session bus. */
gboolean notify_args_parse(int argc, char **argv, const char *env_address, NotifyArgs *args, GError **error);
void notify_args_clear(NotifyArgs *args);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NotifyArgs, notify_args_clear)

/* The shiftctl options that reach the same daemon: {"--address=…"},
 * {"--system"}, or {} for the session bus. */
GStrv notify_args_shiftctl_options(const NotifyArgs *args);
/* "the session bus", "the system bus", "the bus at ADDR" */
char *notify_args_describe_bus(const NotifyArgs *args);
