/* Held wakes in the core, with a fake clock and a fake observer: what holds
 * them, what lets them go (a condition ending, MaxDefer=, a resume, a
 * changed agent file), what Deferred says and what the released wake is
 * told. The event loop turns only to fire MaxDefer='s timer. */
#include <string.h>

#include "agent.h"
#include "shiftd-clock.h"
#include "time-span.h"
#include "wake-defer.h"
#include "wake-hold.h"

#define S SHIFTD_USEC_PER_SEC
#define MIN_ (60 * S)
#define HOUR (3600 * S)
#define T0 (G_GUINT64_CONSTANT(1700000000) * S)
#define M0 (G_GUINT64_CONSTANT(5000) * S)

static GPtrArray *released; /* "source|due|note" */
static GPtrArray *announced; /* "agent Deferred=value" */

static void
on_released(Agent *a, const char *source, guint64 due, const char *note)
{
  g_ptr_array_add(released, g_strdup_printf("%s %s|%" G_GUINT64_FORMAT "|%s", a->name, source, due,
                                            note ? note : "(none)"));
}

static void on_agent(Agent *a) {}

static void
on_agent_changed(Agent *a, const char *const *properties)
{
  for (const char *const *p = properties; *p; p++)
    if (g_str_equal(*p, "Deferred"))
      g_ptr_array_add(announced, g_strdup_printf("%s Deferred=%s", a->name, wake_hold_deferred(a)));
}

static const DaemonObserver observer = {
  .agent_published = on_agent,
  .agent_unpublished = on_agent,
  .agent_changed = on_agent_changed,
};

typedef struct {
  Daemon d;
  ShiftdClock *clock;
} Fixture;

static Agent *
add_agent(Fixture *f, const char *name, const char *schedule)
{
  g_autofree char *path = g_strdup_printf("/agents.d/%s.agent", name);
  g_autofree char *text = g_strdup_printf("[Agent]\nInstructions=check\n[Schedule]\nEvery=1h\n%s", schedule);
  g_autoptr(GError) error = NULL;
  AgentConfig *config = agent_config_parse(path, text, strlen(text), &error);
  g_assert_no_error(error);
  Agent *a = agent_new(&f->d, config, NULL, NULL);
  a->published = TRUE;
  g_hash_table_insert(f->d.agents, a->name, a);
  return a;
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
  f->clock = shiftd_clock_new_fake(T0, M0);
  shiftd_clock_set_default(f->clock);
  f->d.observer = &observer;
  f->d.agents = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)agent_free);
  g_assert_cmpint(sd_event_new(&f->d.event), >=, 0);
  wake_holds_init(&f->d);
  released = g_ptr_array_new_with_free_func(g_free);
  announced = g_ptr_array_new_with_free_func(g_free);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
  wake_holds_free(&f->d);
  g_hash_table_unref(f->d.agents);
  sd_event_unref(f->d.event);
  shiftd_clock_set_default(NULL);
  shiftd_clock_free(f->clock);
  g_ptr_array_unref(released);
  g_ptr_array_unref(announced);
}

static gint
compare_strings(gconstpointer x, gconstpointer y)
{
  return strcmp(*(char *const *)x, *(char *const *)y);
}

static void
assert_strings(GPtrArray *got, const char *const *expect)
{
  guint n = g_strv_length((char **)expect);
  for (guint i = 0; i < MAX(n, got->len); i++)
    if (i >= got->len || i >= n || !g_str_equal(g_ptr_array_index(got, i), expect[i]))
      g_error("item %u: got \"%s\", expected \"%s\"", i, i < got->len ? (char *)g_ptr_array_index(got, i) : "(end)",
              i < n ? expect[i] : "(end)");
  g_ptr_array_set_size(got, 0);
}

static void
test_held_until_the_condition_ends(Fixture *f, gconstpointer data)
{
  Agent *a = add_agent(f, "a", "OnBattery=defer\n");
  Agent *quiet = add_agent(f, "quiet", "OnMetered=defer\n");
  wake_holds_set_conditions(&f->d, WAKE_CONDITION_ON_BATTERY);
  /* not its condition: it runs */
  g_assert_false(wake_hold(quiet, "schedule", "timer", T0, on_released));
  g_assert_cmpstr(wake_hold_deferred(quiet), ==, "");

  g_assert_true(wake_hold(a, "schedule", "timer", T0, on_released));
  g_assert_cmpstr(wake_hold_deferred(a), ==, "on battery");
  /* a later wake of the same kind is the same wake; another kind is its own */
  shiftd_clock_advance(f->clock, HOUR);
  g_assert_true(wake_hold(a, "schedule", "timer", T0 + HOUR, on_released));
  g_assert_true(wake_hold(a, "watch", "watch", 0, on_released));
  const char *const held[] = { "a Deferred=on battery", NULL };
  assert_strings(announced, held);
  g_assert_cmpuint(released->len, ==, 0);

  shiftd_clock_advance(f->clock, 12 * MIN_);
  wake_holds_set_conditions(&f->d, WAKE_CONDITION_ON_BATTERY); /* no change: nothing */
  g_assert_cmpuint(released->len, ==, 0);
  wake_holds_set_conditions(&f->d, 0);
  g_autofree char *first = g_strdup_printf("a timer|%" G_GUINT64_FORMAT "|held 1h 12min: on battery", T0);
  g_autofree char *second = g_strdup_printf("a watch|%" G_GUINT64_FORMAT "|held 12min: on battery", T0 + HOUR);
  const char *const go[] = { first, second, NULL };
  assert_strings(released, go);
  g_assert_cmpstr(wake_hold_deferred(a), ==, "");
  const char *const cleared[] = { "a Deferred=", NULL };
  assert_strings(announced, cleared);
  /* nothing holds now */
  g_assert_false(wake_hold(a, "schedule", "timer", T0 + 2 * HOUR, on_released));
}

static void
test_several_conditions(Fixture *f, gconstpointer data)
{
  Agent *a = add_agent(f, "a", "OnBattery=defer\nPowerSaver=defer\nOnMetered=run\n");
  wake_holds_set_conditions(&f->d, WAKE_CONDITION_ALL);
  g_assert_true(wake_hold(a, "schedule", "timer", T0, on_released));
  g_assert_cmpstr(wake_hold_deferred(a), ==, "on battery, in power-saver mode");
  shiftd_clock_advance(f->clock, 5 * MIN_);
  /* one of them ends: still held by the other */
  wake_holds_set_conditions(&f->d, WAKE_CONDITION_METERED | WAKE_CONDITION_POWER_SAVER);
  g_assert_cmpstr(wake_hold_deferred(a), ==, "in power-saver mode");
  g_assert_cmpuint(released->len, ==, 0);
  /* the one it does not defer on is not a reason */
  wake_holds_set_conditions(&f->d, WAKE_CONDITION_METERED);
  g_autofree char *go = g_strdup_printf("a timer|%" G_GUINT64_FORMAT "|held 5min: on battery, in power-saver mode",
                                        T0);
  const char *const expect[] = { go, NULL };
  assert_strings(released, expect);
  const char *const deferred[] = { "a Deferred=on battery, in power-saver mode", "a Deferred=in power-saver mode",
                                   "a Deferred=", NULL };
  assert_strings(announced, deferred);
}

static void
test_max_defer(Fixture *f, gconstpointer data)
{
  Agent *a = add_agent(f, "a", "OnMetered=defer\nMaxDefer=2s\n");
  wake_holds_set_conditions(&f->d, WAKE_CONDITION_METERED);
  /* a wake missed long ago is not held past MaxDefer= from when it was due */
  g_assert_false(wake_hold(a, "schedule", "missed", T0 - 3 * S, on_released));
  g_assert_true(wake_hold(a, "schedule", "missed", T0 - S, on_released));
  g_assert_cmpuint(released->len, ==, 0);
  /* its timer (realtime, long past for the real clock) fires; on the fake clock it is not time yet */
  g_assert_cmpint(sd_event_run(f->d.event, 0), >=, 0);
  g_assert_cmpuint(released->len, ==, 0);
  g_assert_cmpstr(wake_hold_deferred(a), ==, "on a metered connection");
  shiftd_clock_advance(f->clock, S);
  g_assert_cmpint(sd_event_run(f->d.event, 0), >, 0);
  g_autofree char *go = g_strdup_printf("a missed|%" G_GUINT64_FORMAT
                                        "|held 2s: on a metered connection; MaxDefer=2s reached", T0 - S);
  const char *const expect[] = { go, NULL };
  assert_strings(released, expect);
  g_assert_cmpstr(wake_hold_deferred(a), ==, "");
}

static void
test_sleep(Fixture *f, gconstpointer data)
{
  Agent *a = add_agent(f, "a", "");
  Agent *b = add_agent(f, "b", "OnBattery=defer\n");
  wake_holds_set_asleep(&f->d, TRUE);
  /* any agent's wake waits for the resume; a sleep is not a Deferred reason */
  g_assert_true(wake_hold(a, "schedule", "timer", T0, on_released));
  g_assert_cmpstr(wake_hold_deferred(a), ==, "");
  g_assert_cmpuint(announced->len, ==, 0);
  /* a condition ending while asleep runs nothing yet */
  wake_holds_set_conditions(&f->d, WAKE_CONDITION_ON_BATTERY);
  g_assert_true(wake_hold(b, "schedule", "timer", T0, on_released));
  g_assert_cmpstr(wake_hold_deferred(b), ==, "on battery");
  wake_holds_set_conditions(&f->d, 0);
  g_assert_cmpuint(released->len, ==, 0);

  /* the realtime clock jumps over the sleep; monotonic time stood still */
  shiftd_clock_set_realtime(f->clock, T0 + HOUR);
  wake_holds_set_asleep(&f->d, FALSE);
  g_autofree char *go_a = g_strdup_printf("a suspended|%" G_GUINT64_FORMAT "|(none)", T0);
  g_autofree char *go_b = g_strdup_printf("b suspended|%" G_GUINT64_FORMAT "|held 1h: on battery", T0);
  g_assert_cmpuint(released->len, ==, 2);
  g_ptr_array_sort(released, compare_strings); /* they go in the table's order */
  const char *const expect[] = { go_a, go_b, NULL };
  assert_strings(released, expect);

  /* a "going to sleep" that is not followed by sleep stops counting */
  wake_holds_set_asleep(&f->d, TRUE);
  shiftd_clock_advance(f->clock, WAKE_DEFER_SLEEP_TRUST_USEC);
  g_assert_false(wake_hold(a, "schedule", "timer", T0 + 2 * HOUR, on_released));
}

static void
test_held_until_the_state_is_known(Fixture *f, gconstpointer data)
{
  Agent *keys = add_agent(f, "keys", "OnBattery=defer\n");
  Agent *plain = add_agent(f, "plain", "");
  /* at start-up, before the services answer: a wake of an agent with the keys waits */
  g_assert_true(wake_hold(keys, "schedule", "missed", T0 - HOUR, on_released));
  g_assert_false(wake_hold(plain, "schedule", "missed", T0 - HOUR, on_released));
  g_assert_cmpstr(wake_hold_deferred(keys), ==, "");
  /* the answers: nothing holds, and it runs with no note (it was not held for a reason) */
  wake_holds_set_conditions(&f->d, 0);
  g_autofree char *go = g_strdup_printf("keys missed|%" G_GUINT64_FORMAT "|(none)", T0 - HOUR);
  const char *const expect[] = { go, NULL };
  assert_strings(released, expect);
  g_assert_cmpuint(announced->len, ==, 0);
}

static void
test_held_on_once_known(Fixture *f, gconstpointer data)
{
  Agent *a = add_agent(f, "a", "OnBattery=defer\n");
  g_assert_true(wake_hold(a, "schedule", "missed", T0 - HOUR, on_released));
  /* on battery after all: held on, MaxDefer= counted from when it was due */
  wake_holds_set_conditions(&f->d, WAKE_CONDITION_ON_BATTERY);
  g_assert_cmpuint(released->len, ==, 0);
  g_assert_cmpstr(wake_hold_deferred(a), ==, "on battery");
  shiftd_clock_advance(f->clock, 3 * HOUR);
  g_assert_cmpint(sd_event_run(f->d.event, 0), >, 0);
  g_autofree char *go = g_strdup_printf("a missed|%" G_GUINT64_FORMAT "|held 4h: on battery; MaxDefer=4h reached",
                                        T0 - HOUR);
  const char *const expect[] = { go, NULL };
  assert_strings(released, expect);
}

static void
test_agent_changes(Fixture *f, gconstpointer data)
{
  Agent *a = add_agent(f, "a", "OnBattery=defer\n");
  Agent *gone = add_agent(f, "gone", "OnBattery=defer\n");
  wake_holds_set_conditions(&f->d, WAKE_CONDITION_ON_BATTERY);
  g_assert_true(wake_hold(a, "schedule", "timer", T0, on_released));
  g_assert_true(wake_hold(gone, "schedule", "timer", T0, on_released));
  /* a reload: a's file says run now, gone's file went */
  a->config->defer_on = 0;
  g_hash_table_steal(f->d.agents, "gone");
  shiftd_clock_advance(f->clock, 30 * S);
  wake_holds_reevaluate(&f->d);
  g_autofree char *go = g_strdup_printf("a timer|%" G_GUINT64_FORMAT "|held 30s: on battery", T0);
  const char *const expect[] = { go, NULL };
  assert_strings(released, expect);
  /* its wake went with it, with no run; a new agent of that name starts afresh */
  agent_free(gone);
  Agent *again = add_agent(f, "gone", "");
  g_assert_cmpstr(wake_hold_deferred(again), ==, "");
  g_assert_false(wake_hold(again, "schedule", "timer", T0, on_released));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD("/wake-hold/until-the-condition-ends", test_held_until_the_condition_ends);
  ADD("/wake-hold/several-conditions", test_several_conditions);
  ADD("/wake-hold/max-defer", test_max_defer);
  ADD("/wake-hold/sleep", test_sleep);
  ADD("/wake-hold/agent-changes", test_agent_changes);
  ADD("/wake-hold/until-the-state-is-known", test_held_until_the_state_is_known);
  ADD("/wake-hold/held-on-once-known", test_held_on_once_known);
  return g_test_run();
}
