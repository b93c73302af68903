/* sd-bus/sd-event cleanup helpers: _cleanup_() for sd-bus style code, and
 * g_autoptr() support where GLib-style code holds sd-bus/sd-event objects. */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#ifndef _cleanup_
#define _cleanup_(f) __attribute__((cleanup(f)))
#endif

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_bus, sd_bus_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_bus_message, sd_bus_message_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_bus_slot, sd_bus_slot_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_bus_creds, sd_bus_creds_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_event, sd_event_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_event_source, sd_event_source_unref)
