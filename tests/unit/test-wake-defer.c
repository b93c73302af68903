/* The rules of wakes that wait for power and network, with the time as a
 * parameter: hours of MaxDefer= pass in a function call. And the agent
 * file's keys for them, parsed as shiftd parses them. */
#include <string.h>

#include "agent-file.h"
#include "ini-file.h"
#include "time-span.h"
#include "wake-defer.h"

#define S SHIFTD_USEC_PER_SEC
#define MIN_ (60 * S)
#define HOUR (3600 * S)
#define T0 (G_GUINT64_CONSTANT(1700000000) * S)

static void
test_words(void)
{
  g_assert_cmpstr(wake_condition_to_string(WAKE_CONDITION_ON_BATTERY), ==, "on battery");
  g_assert_cmpstr(wake_condition_to_string(WAKE_CONDITION_METERED), ==, "on a metered connection");
  g_assert_cmpstr(wake_condition_to_string(WAKE_CONDITION_POWER_SAVER), ==, "in power-saver mode");
  g_assert_null(wake_condition_to_string(WAKE_CONDITION_ON_BATTERY | WAKE_CONDITION_METERED));
  g_assert_null(wake_condition_to_string(0));

  struct {
    guint conditions;
    const char *text;
  } cases[] = {
    { 0, "" },
    { WAKE_CONDITION_METERED, "on a metered connection" },
    { WAKE_CONDITION_POWER_SAVER | WAKE_CONDITION_ON_BATTERY, "on battery, in power-saver mode" },
    { WAKE_CONDITION_ALL, "on battery, on a metered connection, in power-saver mode" },
    { WAKE_CONDITION_METERED | 1u << 7, "on a metered connection" }, /* unknown bits are not words */
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *text = wake_defer_describe(cases[i].conditions);
    g_assert_cmpstr(text, ==, cases[i].text);
  }
  /* the decisions' table */
  g_assert_cmpstr(wake_hold_decision_to_string(WAKE_HOLD_RUN), ==, "run");
  g_assert_cmpstr(wake_hold_decision_to_string(WAKE_HOLD_KEEP), ==, "keep");
  g_assert_cmpstr(wake_hold_decision_to_string(WAKE_HOLD_EXPIRED), ==, "expired");
  g_assert_null(wake_hold_decision_to_string(WAKE_HOLD_EXPIRED + 1));
}

static void
test_service_values(void)
{
  /* NMMetered: UNKNOWN 0, YES 1, NO 2, GUESS_YES 3, GUESS_NO 4 */
  gboolean expect[] = { FALSE, TRUE, FALSE, TRUE, FALSE, FALSE };
  for (guint32 v = 0; v < G_N_ELEMENTS(expect); v++)
    g_assert_cmpint(wake_defer_metered(v), ==, expect[v]);
  g_assert_true(wake_defer_power_saver("power-saver"));
  g_assert_false(wake_defer_power_saver("balanced"));
  g_assert_false(wake_defer_power_saver("performance"));
  g_assert_false(wake_defer_power_saver(""));
  g_assert_false(wake_defer_power_saver(NULL));
}

static void
test_decide(void)
{
  guint64 until = 1;
  const guint battery = WAKE_CONDITION_ON_BATTERY, metered = WAKE_CONDITION_METERED;

  /* nothing configured, or nothing of it holds: it runs */
  g_assert_cmpint(wake_defer_decide(0, WAKE_CONDITION_ALL, T0, 4 * HOUR, T0, &until), ==, WAKE_HOLD_RUN);
  g_assert_cmpuint(until, ==, 0);
  g_assert_cmpint(wake_defer_decide(battery, metered, T0, 4 * HOUR, T0, &until), ==, WAKE_HOLD_RUN);
  g_assert_cmpint(wake_defer_decide(battery | metered, 0, T0, 4 * HOUR, T0, &until), ==, WAKE_HOLD_RUN);

  /* one of its conditions holds: held until MaxDefer= after it fell due */
  g_assert_cmpint(wake_defer_decide(battery | metered, metered, T0, 4 * HOUR, T0, &until), ==, WAKE_HOLD_KEEP);
  g_assert_cmpuint(until, ==, T0 + 4 * HOUR);
  g_assert_cmpint(wake_defer_decide(battery, battery, T0, 4 * HOUR, T0 + 4 * HOUR - 1, &until), ==,
                  WAKE_HOLD_KEEP);
  g_assert_cmpuint(until, ==, T0 + 4 * HOUR);
  /* to the µs: MaxDefer= reached runs it, condition or not */
  g_assert_cmpint(wake_defer_decide(battery, battery, T0, 4 * HOUR, T0 + 4 * HOUR, &until), ==, WAKE_HOLD_EXPIRED);
  g_assert_cmpuint(until, ==, 0);
  g_assert_cmpint(wake_defer_decide(battery, battery, T0, 2 * S, T0 + 3 * S, &until), ==, WAKE_HOLD_EXPIRED);
  /* the condition ended before MaxDefer=: it runs, not "expired" */
  g_assert_cmpint(wake_defer_decide(battery, 0, T0, 4 * HOUR, T0 + 5 * HOUR, &until), ==, WAKE_HOLD_RUN);
  /* a wake missed long ago (a restart) is not held past MaxDefer= from when it was due */
  g_assert_cmpint(wake_defer_decide(battery, battery, T0 - 5 * HOUR, 4 * HOUR, T0, &until), ==, WAKE_HOLD_EXPIRED);
  /* no overflow with an enormous MaxDefer= */
  g_assert_cmpint(wake_defer_decide(battery, battery, T0, G_MAXUINT64 - 1, T0 + HOUR, &until), ==, WAKE_HOLD_KEEP);
  g_assert_cmpuint(until, ==, G_MAXUINT64);
}

static void
test_note(void)
{
  g_autofree char *plain = wake_defer_note(WAKE_CONDITION_ON_BATTERY, T0, T0 + 12 * MIN_ + 300 * 1000, FALSE,
                                           4 * HOUR);
  g_assert_cmpstr(plain, ==, "held 12min: on battery");
  g_autofree char *both = wake_defer_note(WAKE_CONDITION_ON_BATTERY | WAKE_CONDITION_POWER_SAVER, T0,
                                          T0 + HOUR + 30 * MIN_, FALSE, 4 * HOUR);
  g_assert_cmpstr(both, ==, "held 1h 30min: on battery, in power-saver mode");
  g_autofree char *expired = wake_defer_note(WAKE_CONDITION_METERED, T0, T0 + 4 * HOUR, TRUE, 4 * HOUR);
  g_assert_cmpstr(expired, ==, "held 4h: on a metered connection; MaxDefer=4h reached");
  /* a clock that stepped back says nothing of negative time */
  g_autofree char *back = wake_defer_note(WAKE_CONDITION_METERED, T0, T0 - S, FALSE, 4 * HOUR);
  g_assert_cmpstr(back, ==, "held 0: on a metered connection");
}

static void
test_asleep(void)
{
  const guint64 m = 1000 * S; /* monotonic */
  g_assert_false(wake_defer_asleep(0, m));
  g_assert_true(wake_defer_asleep(m, m));
  g_assert_true(wake_defer_asleep(m, m + WAKE_DEFER_SLEEP_TRUST_USEC - 1));
  /* awake that long after "going to sleep": the sleep never came */
  g_assert_false(wake_defer_asleep(m, m + WAKE_DEFER_SLEEP_TRUST_USEC));
}

static AgentConfig *
parse(const char *schedule, GError **error)
{
  g_autofree char *text = g_strdup_printf("[Agent]\nInstructions=check\n[Schedule]\nEvery=1h\n%s", schedule);
  return agent_config_parse("/agents.d/test.agent", text, strlen(text), error);
}

static void
test_keys(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AgentConfig) none = parse("", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(none->defer_on, ==, 0);
  g_assert_cmpuint(none->max_defer, ==, 4 * HOUR);

  g_autoptr(AgentConfig) all = parse("OnBattery=defer\nOnMetered=defer\nPowerSaver=defer\nMaxDefer=90min\n", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(all->defer_on, ==, WAKE_CONDITION_ALL);
  g_assert_cmpuint(all->max_defer, ==, 90 * MIN_);

  g_autoptr(AgentConfig) some = parse("OnBattery=run\nOnMetered=defer\nPowerSaver=run\n", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(some->defer_on, ==, WAKE_CONDITION_METERED);

  /* refused with file, line and reason; every problem reported */
  struct {
    const char *schedule;
    const char *message;
  } bad[] = {
    { "OnBattery=yes\n", "/agents.d/test.agent:5: OnBattery=yes: expected defer or run" },
    { "OnMetered=Defer\n", "/agents.d/test.agent:5: OnMetered=Defer: expected defer or run" },
    { "PowerSaver=\n", "/agents.d/test.agent:5: PowerSaver=: expected defer or run" },
    { "OnBattery=defer # on the train\n", "/agents.d/test.agent:5:" },
    { "MaxDefer=0\n", "/agents.d/test.agent:5: MaxDefer=0: must be at least 1s" },
    { "MaxDefer=soon\n", "/agents.d/test.agent:5: MaxDefer=soon:" },
    { "MaxDefer=infinity\n", "/agents.d/test.agent:5: MaxDefer=infinity: must be a finite time span" },
    { "OnBattery=defer\nOnBattery=run\n", "/agents.d/test.agent:6: " },
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) e = NULL;
    g_autoptr(AgentConfig) c = parse(bad[i].schedule, &e);
    g_assert_null(c);
    g_assert_nonnull(e);
    if (!g_str_has_prefix(e->message, bad[i].message))
      g_error("%s: got \"%s\", expected it to start \"%s\"", bad[i].schedule, e->message, bad[i].message);
  }
  g_autoptr(GError) two = NULL;
  g_autoptr(AgentConfig) c = parse("OnBattery=never\nMaxDefer=later\n", &two);
  g_assert_null(c);
  g_assert_nonnull(strstr(two->message, ":5: OnBattery=never"));
  g_assert_nonnull(strstr(two->message, "\n/agents.d/test.agent:6: MaxDefer=later"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/wake-defer/words", test_words);
  g_test_add_func("/wake-defer/service-values", test_service_values);
  g_test_add_func("/wake-defer/decide", test_decide);
  g_test_add_func("/wake-defer/note", test_note);
  g_test_add_func("/wake-defer/asleep", test_asleep);
  g_test_add_func("/wake-defer/keys", test_keys);
  return g_test_run();
}
