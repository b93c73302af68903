/* The calls shiftctl makes on runs, typed. */
#pragma once

#include "bus.h"

/* Events asked for per GetEvents call. */
#define CLI_EVENTS_PAGE 256

/* Manager.ListAgents: the object path of the agent called name (a NoSuchAgent error if none). */
char *cli_agent_path(CliBus *bus, const char *name, GError **error);
/* Manager.GetRun: the object path of the run called name. */
char *cli_run_path(CliBus *bus, const char *name, GError **error);
/* Properties.GetAll: the a{sv} of iface at path. */
GVariant *cli_get_all(CliBus *bus, const char *path, const char *iface, GError **error);
/* Run.GetEvents(from, max): a GPtrArray of CliEvent. */
GPtrArray *cli_run_get_events(CliBus *bus, const char *path, guint32 from, guint32 max, GError **error);
