/* Time spans in systemd's syntax (shiftd.conf, agent files, StartRun
 * options): what parses must format into text that parses to the same value. */
#include "fuzz-common.h"

#include <string.h>

#include "time-span.h"

static void
check_round_trip(guint64 usec)
{
  g_autofree char *text = shiftd_time_span_format(usec);
  guint64 again = 0;
  g_autoptr(GError) error = NULL;
  FUZZ_CHECK(shiftd_time_span_parse(text, &again, &error));
  FUZZ_CHECK(again == usec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = fuzz_strdup(data, size);
  guint64 usec = 7;
  g_autoptr(GError) error = NULL;
  if (shiftd_time_span_parse(text, &usec, &error)) {
    FUZZ_CHECK(error == NULL);
    check_round_trip(usec);
  } else {
    FUZZ_CHECK(error != NULL && usec == 7); /* a refusal leaves the output alone */
  }

  /* Every value formats and parses back, not only the ones text reaches. */
  if (size >= sizeof(guint64)) {
    guint64 raw;
    memcpy(&raw, data, sizeof raw);
    check_round_trip(raw);
  }
  return 0;
}
