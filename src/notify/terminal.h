/* A run's details in a terminal: `shiftctl … status NAME` in the terminal
 * emulator the system offers (x-terminal-emulator, else gnome-terminal). */
#pragma once

#include <glib.h>

/* The argv that shows it, or NULL with error when there is no terminal or no
 * shiftctl to be found. */
GStrv terminal_status_argv(const char *const *shiftctl_options, const char *name, GError **error);
gboolean terminal_open_status(const char *const *shiftctl_options, const char *name, GError **error);
