#include "systemd-timers.h"

#include <gio/gio.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent-schedule.h"
#include "log.h"
#include "sd-glue.h"
#include "shiftd-names.h"
#include "time-span.h"
#include "unit-properties.h"

/* One agent's timer, by its unit name. */
typedef struct {
  SystemdTimers *timers;
  char *unit;
  char *agent;       /* NULL for a leftover of an earlier daemon */
  char *shown;       /* the unit the agent's Timer shows: unit or "" */
  char *calendar;    /* the spec's OnCalendar=, or NULL */
  guint64 want_next; /* the spec's next wake and repeat */
  guint64 want_interval;
  gboolean armed;    /* the agent wants it */
  gboolean live;     /* ours, and up or being made */
  guint64 interval;  /* what the live one repeats at (0: once) */
  guint64 next;      /* when it fires next */
  char *stop_job;    /* the job stopping it, once systemd said which */
  gboolean stopping; /* (re)made when the old one is gone */
  guint retries;
  sd_event_source *retry;
} AgentTimer;

struct SystemdTimers {
  sd_bus *manager;
  char *busctl;
  char *bus_address;
  char *part_of;     /* the daemon's own service unit, when it runs in one */
  GHashTable *by_unit; /* unit -> AgentTimer* */
  sd_bus_slot *job_match;
  SystemdTimerShown shown;
  gpointer shown_data;
};

static void arm(SystemdTimers *t, AgentTimer *at);

static void
agent_timer_free(AgentTimer *at)
{
  sd_event_source_disable_unref(at->retry);
  g_free(at->unit);
  g_free(at->agent);
  g_free(at->shown);
  g_free(at->calendar);
  g_free(at->stop_job);
  g_free(at);
}

static AgentTimer *
timer_for(SystemdTimers *t, const char *unit)
{
  AgentTimer *at = g_hash_table_lookup(t->by_unit, unit);
  if (at == NULL) {
    at = g_new0(AgentTimer, 1);
    at->timers = t;
    at->unit = g_strdup(unit);
    g_hash_table_insert(t->by_unit, at->unit, at);
  }
  return at;
}

static char *
timer_name(const char *agent)
{
  return g_strconcat(SYSTEMD_TIMER_PREFIX, agent, ".timer", NULL);
}

static void
set_timer_unit(AgentTimer *at, const char *unit)
{
  if (at->agent && shiftd_set_string(&at->shown, unit))
    at->timers->shown(at->agent, at->timers->shown_data);
}

static guint64
timer_accuracy(guint64 interval)
{
  return CLAMP(interval / 50, 1000, G_USEC_PER_SEC);
}

/* --- stopping --- */

static void
stopped(AgentTimer *at)
{
  at->stopping = FALSE;
  g_clear_pointer(&at->stop_job, g_free);
  arm(at->timers, at);
}

static int
on_stop_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  AgentTimer *at = userdata;
  const sd_bus_error *e = sd_bus_message_get_error(reply);
  const char *job = NULL;
  if (e || sd_bus_message_read(reply, "o", &job) < 0) {
    /* not loaded (already gone), or the manager would not: it is not ours to wait for */
    if (e && !sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
      log_warning("cannot stop %s: %s", at->unit, e->message);
    stopped(at);
    return 0;
  }
  g_free(at->stop_job);
  at->stop_job = g_strdup(job);
  return 0;
}

static void
stop(AgentTimer *at)
{
  at->live = FALSE;
  at->stopping = TRUE;
  g_clear_pointer(&at->stop_job, g_free);
  int r = sd_bus_call_method_async(at->timers->manager, NULL, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                   "StopUnit", on_stop_reply, at, "ss", at->unit, "replace");
  if (r < 0) {
    log_warning("cannot stop %s: %s", at->unit, g_strerror(-r));
    stopped(at);
  }
}

/* JobRemoved(id, job, unit, result): the stop we waited for is done. */
static int
on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  SystemdTimers *t = userdata;
  uint32_t id = 0;
  const char *job = NULL, *unit = NULL, *result = NULL;
  if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0)
    return 0;
  AgentTimer *at = g_hash_table_lookup(t->by_unit, unit);
  if (at && at->stopping && at->stop_job && g_str_equal(at->stop_job, job))
    stopped(at);
  return 0;
}

/* --- making --- */

static int
append_timer_properties(SystemdTimers *t, sd_bus_message *m, AgentTimer *at, guint64 delay, guint64 interval)
{
  g_autofree char *description = g_strdup_printf("shiftd: wakes agent %s", at->agent);
  int r = sd_bus_message_append(m, "(sv)(sv)(sv)", "Description", "s", description,
                                "CollectMode", "s", "inactive-or-failed",
                                "AccuracyUSec", "t", (uint64_t)timer_accuracy(interval ? interval : delay));
  if (r >= 0 && t->part_of)
    r = unit_append_strv(m, "PartOf", (char *[]){ t->part_of, NULL });
  if (r < 0)
    return r;
  r = sd_bus_message_open_container(m, 'r', "sv");
  if (r < 0)
    return r;
  if (at->calendar == NULL) {
    /* Every=: first the delay, then the interval. Anything else (OnCalendar=
     * with quiet hours): one wake at a time, as the daemon decides them. */
    r = sd_bus_message_append(m, "s", "TimersMonotonic");
    if (r >= 0)
      r = sd_bus_message_open_container(m, 'v', "a(st)");
    if (r >= 0 && interval)
      r = sd_bus_message_append(m, "a(st)", 2, "OnActiveSec", (uint64_t)MAX(delay, 1000), "OnUnitActiveSec",
                                (uint64_t)interval);
    else if (r >= 0)
      r = sd_bus_message_append(m, "a(st)", 1, "OnActiveSec", (uint64_t)MAX(delay, 1000));
  } else {
    /* OnCalendar=: systemd keeps the calendar itself */
    r = sd_bus_message_append(m, "s", "TimersCalendar");
    if (r >= 0)
      r = sd_bus_message_open_container(m, 'v', "a(ss)");
    if (r >= 0)
      r = sd_bus_message_append(m, "a(ss)", 1, "OnCalendar", at->calendar);
  }
  if (r >= 0)
    r = sd_bus_message_close_container(m);
  if (r >= 0)
    r = sd_bus_message_close_container(m);
  return r;
}

/* The timer's service, sent along as an aux unit: a call to Scheduler.Wake. */
static int
append_wake_service(SystemdTimers *t, sd_bus_message *m, const char *agent)
{
  g_autofree char *service = g_strconcat(SYSTEMD_TIMER_PREFIX, agent, ".service", NULL);
  g_autofree char *address = g_strdup_printf("--address=%s", t->bus_address);
  const char *argv[] = { t->busctl, address, "call", SHIFTD_BUS_NAME, SHIFTD_MANAGER_PATH, SHIFTD_SCHEDULER_IFACE,
                         "Wake", "s", agent, NULL };
  g_autofree char *description = g_strdup_printf("shiftd: wake agent %s", agent);
  return unit_append_oneshot_aux(m, service, description, argv, FALSE);
}

static int
on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
  AgentTimer *at = userdata;
  at->retry = sd_event_source_disable_unref(at->retry);
  arm(at->timers, at);
  return 0;
}

static int
on_started(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  AgentTimer *at = userdata;
  const sd_bus_error *e = sd_bus_message_get_error(reply);
  if (e == NULL) {
    at->retries = 0;
    return 0;
  }
  at->live = FALSE;
  if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists") && at->retries++ < UNIT_EXISTS_RETRIES) {
    /* the old one is not unloaded yet: ask again shortly */
    sd_event *event = sd_bus_get_event(at->timers->manager);
    at->retry = sd_event_source_disable_unref(at->retry);
    if (sd_event_add_time_relative(event, &at->retry, CLOCK_MONOTONIC, UNIT_EXISTS_RETRY_USEC, 0, on_retry, at) >= 0)
      return 0;
  }
  log_run(LOG_WARNING, NULL, at->agent, "systemd refused the timer %s: %s", at->unit, e->message);
  set_timer_unit(at, "");
  return 0;
}

static void
start(SystemdTimers *t, AgentTimer *at, guint64 delay, guint64 interval)
{
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
  int r = sd_bus_message_new_method_call(t->manager, &m, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                         "StartTransientUnit");
  if (r >= 0)
    r = sd_bus_message_append(m, "ss", at->unit, "replace");
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'a', "(sv)");
  if (r >= 0)
    r = append_timer_properties(t, m, at, delay, interval);
  if (r >= 0)
    r = sd_bus_message_close_container(m);
  if (r >= 0)
    r = append_wake_service(t, m, at->agent);
  if (r >= 0)
    r = sd_bus_call_async(t->manager, NULL, m, on_started, at, 30 * G_USEC_PER_SEC);
  if (r < 0) {
    log_run(LOG_WARNING, NULL, at->agent, "cannot arm the wake-up timer: %s", g_strerror(-r));
    set_timer_unit(at, "");
    return;
  }
  at->live = TRUE;
  set_timer_unit(at, at->unit);
  log_run(LOG_DEBUG, NULL, at->agent, "armed %s", at->unit);
}

/* Makes, keeps or re-makes the timer as the agent's state says; whatever is
 * under way (a stop, a retry) comes back here when it is done. */
static void
arm(SystemdTimers *t, AgentTimer *at)
{
  if (!at->armed || at->stopping || at->retry)
    return;
  guint64 now = shiftd_now_realtime_usec();
  guint64 next = at->want_next;
  guint64 interval = at->want_interval;
  guint64 delay = next > now ? next - now : 0;
  /* A repeating timer already fires then: leave it be. */
  guint64 slack = timer_accuracy(interval) + G_USEC_PER_SEC;
  gboolean calendar_timer = at->calendar != NULL;
  gboolean one_shot = !calendar_timer && interval == 0;
  if (at->live && at->interval == interval &&
      (calendar_timer || (one_shot ? at->next == next : delay + slack >= interval && delay <= interval + slack))) {
    at->next = next;
    return;
  }
  if (at->live) {
    stop(at); /* and made again under its name once it is gone */
    return;
  }
  at->interval = interval;
  at->next = next;
  start(t, at, delay, interval);
}

void
systemd_timers_arm(SystemdTimers *t, const WakeSpec *spec)
{
  g_autofree char *unit = timer_name(spec->agent);
  AgentTimer *at = timer_for(t, unit);
  if (at->agent == NULL) {
    at->agent = g_strdup(spec->agent);
    at->shown = g_strdup("");
  }
  /* a calendar timer that changes its spec is made again */
  if (at->live && g_strcmp0(at->calendar, spec->on_calendar) != 0)
    at->interval = G_MAXUINT64;
  shiftd_set_string(&at->calendar, spec->on_calendar);
  at->want_next = spec->next_wake;
  at->want_interval = spec->repeat_usec;
  at->armed = TRUE;
  arm(t, at);
}

void
systemd_timers_disarm(SystemdTimers *t, const char *agent)
{
  g_autofree char *unit = timer_name(agent);
  AgentTimer *at = g_hash_table_lookup(t->by_unit, unit);
  if (at == NULL)
    return;
  at->armed = FALSE;
  at->retry = sd_event_source_disable_unref(at->retry);
  if (at->live)
    stop(at);
  set_timer_unit(at, "");
}

const char *
systemd_timers_unit(SystemdTimers *t, const char *agent)
{
  g_autofree char *unit = timer_name(agent);
  AgentTimer *at = g_hash_table_lookup(t->by_unit, unit);
  return at && at->shown ? at->shown : "";
}

const char *
systemd_timers_part_of(SystemdTimers *t)
{
  return t->part_of;
}

void
systemd_timers_stop_leftover(SystemdTimers *t, const char *unit)
{
  AgentTimer *at = timer_for(t, unit);
  if (!at->stopping)
    stop(at);
}

/* The service unit we run in, as the manager knows it (the unit it would
 * stop us in), if any: not a scope a shell left us in. Asked once, at start. */
static char *
own_service(sd_bus *manager)
{
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  const char *path = NULL;
  int r = sd_bus_call_method(manager, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnitByPID", &error, &reply,
                             "u", (uint32_t)getpid());
  if (r < 0 || sd_bus_message_read(reply, "o", &path) < 0)
    return NULL;
  char *id = NULL;
  r = sd_bus_get_property_string(manager, SYSTEMD_NAME, path, "org.freedesktop.systemd1.Unit", "Id", &error, &id);
  if (r < 0 || id == NULL || !g_str_has_suffix(id, ".service")) {
    free(id);
    return NULL;
  }
  char *owned = g_strdup(id);
  free(id);
  return owned;
}

SystemdTimers *
systemd_timers_new(sd_bus *manager, gboolean direct, const char *bus_address, SystemdTimerShown shown,
                   gpointer shown_data, GError **error)
{
  SystemdTimers *t = g_new0(SystemdTimers, 1);
  t->shown = shown;
  t->shown_data = shown_data;
  t->manager = sd_bus_ref(manager);
  t->bus_address = g_strdup(bus_address);
  t->busctl = g_find_program_in_path("busctl");
  if (t->busctl == NULL)
    t->busctl = g_strdup("/usr/bin/busctl");
  t->part_of = own_service(manager);
  t->by_unit = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)agent_timer_free);
  const char *sender = direct ? "" : "sender='" SYSTEMD_NAME "',";
  g_autofree char *match = g_strdup_printf("type='signal',%sinterface='" SYSTEMD_MANAGER "',member='JobRemoved',"
                                           "path='" SYSTEMD_PATH "'", sender);
  int r = sd_bus_add_match(manager, &t->job_match, match, on_job_removed, t);
  if (r < 0) {
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), "cannot follow systemd's jobs: %s", g_strerror(-r));
    systemd_timers_free(t);
    return NULL;
  }
  if (t->part_of)
    log_debug("agent timers are PartOf=%s", t->part_of);
  return t;
}

void
systemd_timers_free(SystemdTimers *t)
{
  if (t == NULL)
    return;
  sd_bus_slot_unref(t->job_match);
  g_hash_table_unref(t->by_unit);
  sd_bus_unref(t->manager);
  g_free(t->busctl);
  g_free(t->bus_address);
  g_free(t->part_of);
  g_free(t);
}
