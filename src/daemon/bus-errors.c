#include "bus-errors.h"

#include <errno.h>

const sd_bus_error_map shiftd_bus_error_map[] = {
  SD_BUS_ERROR_MAP(SHIFTD_ERROR_NO_SUCH_RUN, ENOENT),
  SD_BUS_ERROR_MAP(SHIFTD_ERROR_NO_SUCH_AGENT, ENXIO),
  SD_BUS_ERROR_MAP(SHIFTD_ERROR_INVALID_ARGUMENT, EINVAL),
  SD_BUS_ERROR_MAP(SHIFTD_ERROR_NOT_WAITING, ESTALE),
  SD_BUS_ERROR_MAP(SHIFTD_ERROR_ALREADY_FINISHED, EALREADY),
  SD_BUS_ERROR_MAP(SHIFTD_ERROR_ACCESS_DENIED, EACCES),
  SD_BUS_ERROR_MAP(SHIFTD_ERROR_BUSY, EBUSY),
  SD_BUS_ERROR_MAP_END
};

static const char *const error_names[] = {
  [SHIFTD_BUS_ERROR_NO_SUCH_RUN] = SHIFTD_ERROR_NO_SUCH_RUN,
  [SHIFTD_BUS_ERROR_NO_SUCH_AGENT] = SHIFTD_ERROR_NO_SUCH_AGENT,
  [SHIFTD_BUS_ERROR_INVALID_ARGUMENT] = SHIFTD_ERROR_INVALID_ARGUMENT,
  [SHIFTD_BUS_ERROR_NOT_WAITING] = SHIFTD_ERROR_NOT_WAITING,
  [SHIFTD_BUS_ERROR_ALREADY_FINISHED] = SHIFTD_ERROR_ALREADY_FINISHED,
  [SHIFTD_BUS_ERROR_ACCESS_DENIED] = SHIFTD_ERROR_ACCESS_DENIED,
  [SHIFTD_BUS_ERROR_BUSY] = SHIFTD_ERROR_BUSY,
};

int
shiftd_bus_errors_register(void)
{
  return sd_bus_error_add_map(shiftd_bus_error_map);
}

const char *
shiftd_bus_error_name(const GError *error)
{
  if (error->domain == SHIFTD_BUS_ERROR && error->code >= 0 && (gsize)error->code < G_N_ELEMENTS(error_names))
    return error_names[error->code];
  return SHIFTD_ERROR_BUSY;
}

int
shiftd_bus_reply_gerror(sd_bus_message *m, const GError *error)
{
  return sd_bus_reply_method_errorf(m, shiftd_bus_error_name(error), "%s", error->message);
}
