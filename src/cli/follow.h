/* Following a run live: every event once, in order, until it ends or waits. */
#pragma once

#include "cli-context.h"

/* Subscribes to the run's Event and PropertiesChanged signals (and the
 * daemon's NameOwnerChanged) before reading any history, pages through the
 * history from seq from, then prints live events, fetching any gap with
 * GetEvents. Returns once the state is final or waiting and every event up to
 * EventCount has been handed on. print_events FALSE: the same, silently.
 * *out_props: the run's properties at the end. */
gboolean cli_follow_run(CliContext *ctx, const char *path, guint32 from, gboolean print_events,
                        GVariant **out_props, GError **error);
