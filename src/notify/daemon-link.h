/* The connection to shiftd's bus: made, watched and remade. Tells its owner
 * when the connection comes and goes, and when shiftd's name does. */
#pragma once

#include <gio/gio.h>

#include "notify-args.h"

typedef struct {
  /* A fresh connection is up; shiftd may or may not be on it yet. */
  void (*connected)(GDBusConnection *conn, gpointer user_data);
  /* The connection closed (still valid during the call); a reconnect is scheduled. */
  void (*disconnected)(GDBusConnection *conn, gpointer user_data);
  /* shiftd owns org.shiftd.Shift1 (at start, or again after a restart). */
  void (*appeared)(gpointer user_data);
  /* It no longer does (stopped, crashed, or the bus went away). */
  void (*vanished)(gpointer user_data);
} DaemonLinkHandlers;

typedef struct _DaemonLink DaemonLink;

DaemonLink *daemon_link_new(const NotifyArgs *args, const DaemonLinkHandlers *handlers, gpointer user_data);
/* Connects in the background, retrying with a bounded backoff. */
void daemon_link_start(DaemonLink *link);
void daemon_link_free(DaemonLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DaemonLink, daemon_link_free)
