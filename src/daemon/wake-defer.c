#include "wake-defer.h"

#include "time-span.h"

const char *
wake_condition_to_string(WakeCondition condition)
{
  switch (condition) {
  case WAKE_CONDITION_ON_BATTERY: return "on battery";
  case WAKE_CONDITION_METERED: return "on a metered connection";
  case WAKE_CONDITION_POWER_SAVER: return "in power-saver mode";
  }
  return NULL;
}

char *
wake_defer_describe(guint conditions)
{
  GString *s = g_string_new(NULL);
  for (guint bit = 1; bit & WAKE_CONDITION_ALL; bit <<= 1) {
    if (!(conditions & bit))
      continue;
    if (s->len)
      g_string_append(s, ", ");
    g_string_append(s, wake_condition_to_string(bit));
  }
  return g_string_free(s, FALSE);
}

gboolean
wake_defer_metered(guint32 nm_metered)
{
  return nm_metered == 1 || nm_metered == 3; /* NM_METERED_YES, NM_METERED_GUESS_YES */
}

gboolean
wake_defer_power_saver(const char *active_profile)
{
  return g_strcmp0(active_profile, "power-saver") == 0;
}

const char *
wake_hold_decision_to_string(WakeHoldDecision decision)
{
  static const char *const names[] = {
    [WAKE_HOLD_RUN] = "run",
    [WAKE_HOLD_KEEP] = "keep",
    [WAKE_HOLD_EXPIRED] = "expired",
  };
  return (guint)decision < G_N_ELEMENTS(names) ? names[decision] : NULL;
}

WakeHoldDecision
wake_defer_decide(guint configured, guint holding, guint64 since, guint64 max_defer, guint64 now, guint64 *until)
{
  *until = 0;
  if ((configured & holding) == 0)
    return WAKE_HOLD_RUN;
  guint64 deadline = max_defer > G_MAXUINT64 - since ? G_MAXUINT64 : since + max_defer;
  if (now >= deadline)
    return WAKE_HOLD_EXPIRED;
  *until = deadline;
  return WAKE_HOLD_KEEP;
}

char *
wake_defer_note(guint reasons, guint64 since, guint64 now, gboolean expired, guint64 max_defer)
{
  /* to the second: the note is for people */
  guint64 held = now > since ? (now - since) / G_USEC_PER_SEC * G_USEC_PER_SEC : 0;
  g_autofree char *span = shiftd_time_span_format(held);
  g_autofree char *why = wake_defer_describe(reasons);
  if (!expired)
    return g_strdup_printf("held %s: %s", span, why);
  g_autofree char *max = shiftd_time_span_format(max_defer);
  return g_strdup_printf("held %s: %s; MaxDefer=%s reached", span, why, max);
}

gboolean
wake_defer_asleep(guint64 asleep_since, guint64 now_monotonic)
{
  return asleep_since != 0 && now_monotonic < asleep_since + WAKE_DEFER_SLEEP_TRUST_USEC;
}
