/* The rules of wakes that wait for power and network: which machine
 * conditions an agent defers its wakes on (OnBattery=, OnMetered=,
 * PowerSaver=), whether a held wake runs now or waits on (MaxDefer=), how
 * Deferred and the note put it into words, and how long a "going to sleep"
 * from logind is believed. No bus, no event loop, no clock of their own:
 * the caller says what holds and what time it is (wake-hold.c from the
 * process's clock, the unit tests from a fake one). */
#pragma once

#include <glib.h>

/* The machine's conditions, as bits: what holds now, or what an agent defers on. */
typedef enum {
  WAKE_CONDITION_ON_BATTERY = 1 << 0,  /* UPower OnBattery */
  WAKE_CONDITION_METERED = 1 << 1,     /* NetworkManager Metered: yes or guess-yes */
  WAKE_CONDITION_POWER_SAVER = 1 << 2, /* power-profiles-daemon ActiveProfile power-saver */
} WakeCondition;

#define WAKE_CONDITION_ALL (WAKE_CONDITION_ON_BATTERY | WAKE_CONDITION_METERED | WAKE_CONDITION_POWER_SAVER)
/* MaxDefer= when the file does not say */
#define WAKE_DEFER_MAX_DEFAULT_USEC (G_GUINT64_CONSTANT(4) * 3600 * G_USEC_PER_SEC)
/* A "going to sleep" (PrepareForSleep true) with no "resumed" after it is
 * not believed once the machine has been seen awake this long (monotonic
 * time, which stands still while it sleeps): a lost signal must not hold
 * wakes for ever. */
#define WAKE_DEFER_SLEEP_TRUST_USEC (G_GUINT64_CONSTANT(60) * G_USEC_PER_SEC)

/* "on battery", "on a metered connection", "in power-saver mode"; NULL for
 * anything but a single bit. */
const char *wake_condition_to_string(WakeCondition condition);
/* The conditions' words joined by ", " in bit order; "" for none. */
char *wake_defer_describe(guint conditions);

/* NetworkManager's NMMetered: YES (1) and GUESS_YES (3) are metered. */
gboolean wake_defer_metered(guint32 nm_metered);
/* power-profiles-daemon's ActiveProfile. */
gboolean wake_defer_power_saver(const char *active_profile);

typedef enum {
  WAKE_HOLD_RUN,     /* none of its conditions holds (any more): run it */
  WAKE_HOLD_KEEP,    /* hold it (on) */
  WAKE_HOLD_EXPIRED, /* still held, but MaxDefer= has passed: run it */
} WakeHoldDecision;

const char *wake_hold_decision_to_string(WakeHoldDecision decision);
/* A wake due since `since` (µs, realtime) of an agent that defers on
 * `configured` while `holding` holds: run it or hold it. *until gets the
 * moment MaxDefer= runs it (for WAKE_HOLD_KEEP), else 0. */
WakeHoldDecision wake_defer_decide(guint configured, guint holding, guint64 since, guint64 max_defer, guint64 now,
                                   guint64 *until);
/* The note on the run of a wake that was held from `since` to `now` for
 * `reasons`: "held 12min: on battery", with "; MaxDefer=4h reached" when
 * that is why it runs. */
char *wake_defer_note(guint reasons, guint64 since, guint64 now, gboolean expired, guint64 max_defer);
/* Whether the machine counts as asleep: logind said it is going to sleep
 * at monotonic asleep_since (0: it did not, or it resumed) and no more than
 * WAKE_DEFER_SLEEP_TRUST_USEC has passed since. */
gboolean wake_defer_asleep(guint64 asleep_since, guint64 now_monotonic);
