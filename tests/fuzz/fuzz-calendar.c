/* OnCalendar= specs: parse, then find the next wake-ups from instants chosen
 * around daylight-saving changes and the ends of the supported years, in a
 * zone that has them. */
#include "fuzz-common.h"

#include <stdlib.h>
#include <time.h>

#include "calendar.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  /* Berlin: spring forward skips 02:00-03:00, fall back repeats it. */
  setenv("TZ", "Europe/Berlin", 1);
  tzset();
  return 0;
}

static const guint64 after_sec[] = {
  1711843200, /* 2024-03-31 01:00 CET, an hour before the spring gap */
  1729989000, /* 2024-10-27 02:30 CEST, inside the hour that repeats */
  1735685999, /* 2024-12-31 23:59:59 CET, a year's last second */
  1709161200, /* 2024-02-29 00:00 CET, a leap day */
  2966713200, /* 2064-01-05: past the years the parser accepts */
  946681200,  /* 2000-01-01 00:00 CET */
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *spec = fuzz_strdup(data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(ShiftdCalendar) cal = shiftd_calendar_parse(spec, &error);
  if (cal == NULL) {
    FUZZ_CHECK(error != NULL);
    return 0;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(after_sec); i++) {
    guint64 after = after_sec[i] * G_USEC_PER_SEC;
    guint64 next = 0;
    if (!shiftd_calendar_next(cal, after, &next))
      continue;
    /* strictly later, on a whole second, within the five years it looks at */
    FUZZ_CHECK(next > after);
    FUZZ_CHECK(next % G_USEC_PER_SEC == 0);
    FUZZ_CHECK(next - after <= (guint64)(366 * 5 + 1) * 86400 * G_USEC_PER_SEC);
    guint64 then = 0;
    if (shiftd_calendar_next(cal, next, &then))
      FUZZ_CHECK(then > next);
  }
  return 0;
}
