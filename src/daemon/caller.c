#include "caller.h"

#include <errno.h>
#include <unistd.h>

int
caller_get_uid(sd_bus_message *m, uid_t *ret_uid)
{
  _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
  int r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID | SD_BUS_CREDS_AUGMENT, &creds);
  if (r < 0)
    return r;
  r = sd_bus_creds_get_euid(creds, ret_uid);
  if (r < 0)
    r = sd_bus_creds_get_uid(creds, ret_uid);
  return r;
}

int
caller_may_access(Daemon *d, uid_t uid, uid_t owner)
{
  return uid == 0 || uid == owner || uid == geteuid();
}
