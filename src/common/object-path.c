#include "object-path.h"

#include <stdlib.h>
#include <systemd/sd-bus.h>

char *
shiftd_object_path(const char *prefix, const char *name)
{
  char *path = NULL;
  if (sd_bus_path_encode(prefix, name, &path) < 0)
    g_error("out of memory");
  /* sd-bus allocates with malloc; callers free with g_free */
  char *copy = g_strdup(path);
  free(path);
  return copy;
}
