#include "backoff.h"

#include <stdlib.h>
#include <time.h>

#include "time-span.h"

guint64
shiftd_backoff_delay_usec(guint retry, guint64 base_usec, guint64 cap_usec)
{
  guint64 delay = base_usec;
  for (guint i = 0; i < retry; i++) {
    if (delay >= cap_usec / 2) {
      delay = cap_usec;
      break;
    }
    delay *= 2;
  }
  return MIN(delay, cap_usec);
}

gboolean
shiftd_retry_after_parse(const char *value, guint64 now_usec, guint64 *out_delay_usec)
{
  if (value == NULL)
    return FALSE;
  while (g_ascii_isspace(*value))
    value++;
  if (*value == '\0')
    return FALSE;

  if (g_ascii_isdigit(*value)) {
    char *end = NULL;
    guint64 secs = g_ascii_strtoull(value, &end, 10);
    while (end && g_ascii_isspace(*end))
      end++;
    if (end == NULL || *end != '\0' || secs > G_MAXUINT64 / SHIFTD_USEC_PER_SEC)
      return FALSE;
    *out_delay_usec = secs * SHIFTD_USEC_PER_SEC;
    return TRUE;
  }

  /* IMF-fixdate, the form RFC 9110 requires senders to use. */
  struct tm tm = { 0 };
  const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == NULL || *end != '\0')
    return FALSE;
  time_t when = timegm(&tm);
  if (when == (time_t)-1)
    return FALSE;
  guint64 when_usec = (guint64)when * SHIFTD_USEC_PER_SEC;
  *out_delay_usec = when_usec > now_usec ? when_usec - now_usec : 0;
  return TRUE;
}

guint64
shiftd_retry_delay_usec(guint retry, guint64 base_usec, guint64 cap_usec,
                        gboolean have_retry_after, guint64 retry_after_usec)
{
  if (have_retry_after)
    return MIN(retry_after_usec, cap_usec);
  return shiftd_backoff_delay_usec(retry, base_usec, cap_usec);
}
