/* D-Bus object paths for names that may hold any character. */
#pragma once

#include <glib.h>

/* prefix + "/" + name escaped as sd_bus_path_encode() does; g_free() it. */
char *shiftd_object_path(const char *prefix, const char *name);
