#include "machine-state.h"

#include <errno.h>
#include <systemd/sd-bus.h>

#include "agent-schedule.h"
#include "log.h"
#include "sd-glue.h"
#include "wake-defer.h"
#include "wake-hold.h"

typedef enum {
  VALUE_BOOLEAN, /* b: true holds */
  VALUE_METERED, /* u: NMMetered */
  VALUE_PROFILE, /* s: the active power profile */
} ValueKind;

/* One property that makes a condition hold. */
typedef struct {
  const char *service; /* in the log */
  const char *name;
  const char *path;
  const char *iface;
  const char *property;
  ValueKind kind;
  WakeCondition condition;
  const char *key;     /* the agent file's key, in the log */
} Source;

static const Source sources[] = {
  { "UPower", "org.freedesktop.UPower", "/org/freedesktop/UPower", "org.freedesktop.UPower", "OnBattery",
    VALUE_BOOLEAN, WAKE_CONDITION_ON_BATTERY, "OnBattery=" },
  { "NetworkManager", "org.freedesktop.NetworkManager", "/org/freedesktop/NetworkManager",
    "org.freedesktop.NetworkManager", "Metered", VALUE_METERED, WAKE_CONDITION_METERED, "OnMetered=" },
  { "power-profiles-daemon", "net.hadess.PowerProfiles", "/net/hadess/PowerProfiles", "net.hadess.PowerProfiles",
    "ActiveProfile", VALUE_PROFILE, WAKE_CONDITION_POWER_SAVER, "PowerSaver=" },
  /* its name since 0.20, beside the old one */
  { "power-profiles-daemon", "org.freedesktop.UPower.PowerProfiles", "/org/freedesktop/UPower/PowerProfiles",
    "org.freedesktop.UPower.PowerProfiles", "ActiveProfile", VALUE_PROFILE, WAKE_CONDITION_POWER_SAVER,
    "PowerSaver=" },
};

#define LOGIND "org.freedesktop.login1"
/* Until every service has answered, wakes of agents with the keys wait
 * (wake-hold.c): one that hangs must not hold them long. */
#define ANSWER_TIMEOUT_USEC (5 * G_USEC_PER_SEC)

typedef struct MachineState MachineState;

typedef struct {
  const Source *source;
  MachineState *ms;
  gboolean known;   /* the first look answered */
  gboolean present; /* the service is on the bus */
  gboolean holds;
  gboolean unreadable_logged;
  sd_bus_slot *get; /* the pending Get: dropped when the owner changes */
} Watch;

struct MachineState {
  Daemon *daemon;
  sd_bus *bus;
  Watch watches[G_N_ELEMENTS(sources)];
  guint absent_logged; /* conditions whose services were logged absent */
};

static MachineState *machine;

static void
update(MachineState *ms)
{
  guint holding = 0, present = 0, known = WAKE_CONDITION_ALL;
  for (guint i = 0; i < G_N_ELEMENTS(ms->watches); i++) {
    Watch *w = &ms->watches[i];
    if (w->present && w->holds)
      holding |= w->source->condition;
    if (w->present)
      present |= w->source->condition;
    if (!w->known)
      known &= ~(guint)w->source->condition;
  }
  if (known != WAKE_CONDITION_ALL)
    return; /* the first looks are still out */
  /* once per absence: at the first look, or when the service leaves */
  for (guint i = 0; i < G_N_ELEMENTS(ms->watches); i++) {
    const Source *s = ms->watches[i].source;
    guint c = s->condition;
    if ((known & c) && !(present & c) && !(ms->absent_logged & c)) {
      log_info("%s is not on the system bus: %sdefer counts as not holding", s->service, s->key);
      ms->absent_logged |= c;
    } else if ((present & c) && (ms->absent_logged & c)) {
      log_info("%s is on the system bus", s->service);
      ms->absent_logged &= ~c;
    }
  }
  wake_holds_set_conditions(ms->daemon, holding);
}

/* The variant m is at: the property's value. */
static int
read_value(Watch *w, sd_bus_message *m)
{
  const char *sig = w->source->kind == VALUE_BOOLEAN ? "b" : w->source->kind == VALUE_METERED ? "u" : "s";
  int r = sd_bus_message_enter_container(m, 'v', sig);
  if (r < 0)
    return r;
  switch (w->source->kind) {
  case VALUE_BOOLEAN: {
    int b = 0;
    r = sd_bus_message_read(m, "b", &b);
    w->holds = r >= 0 && b;
    break;
  }
  case VALUE_METERED: {
    uint32_t u = 0;
    r = sd_bus_message_read(m, "u", &u);
    w->holds = r >= 0 && wake_defer_metered(u);
    break;
  }
  case VALUE_PROFILE: {
    const char *profile = NULL;
    r = sd_bus_message_read(m, "s", &profile);
    w->holds = r >= 0 && wake_defer_power_saver(profile);
    break;
  }
  }
  if (r < 0)
    return r;
  return sd_bus_message_exit_container(m);
}

static int
on_get_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  Watch *w = userdata;
  const Source *s = w->source;
  w->get = sd_bus_slot_unref(w->get);
  w->known = TRUE;
  w->holds = FALSE;
  const sd_bus_error *e = sd_bus_message_get_error(m);
  if (e != NULL) {
    w->present = !sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
    if (w->present && !w->unreadable_logged) {
      log_info("cannot read %s's %s (%s): %sdefer counts as not holding", s->service, s->property, e->message,
               s->key);
      w->unreadable_logged = TRUE;
    }
  } else {
    w->present = TRUE;
    int r = read_value(w, m);
    if (r < 0 && !w->unreadable_logged) {
      log_info("%s's %s is not what it should be (%s): %sdefer counts as not holding", s->service, s->property,
               g_strerror(-r), s->key);
      w->unreadable_logged = TRUE;
    }
  }
  update(w->ms);
  return 0;
}

/* Asks the property's value: the first look, or after the owner changed. */
static void
get_value(Watch *w)
{
  const Source *s = w->source;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
  w->get = sd_bus_slot_unref(w->get); /* an answer from the old owner is stale */
  int r = sd_bus_message_new_method_call(w->ms->bus, &m, s->name, s->path, "org.freedesktop.DBus.Properties", "Get");
  if (r >= 0)
    r = sd_bus_message_append(m, "ss", s->iface, s->property);
  /* a service that is not running stays so: asking is not starting it */
  if (r >= 0)
    r = sd_bus_message_set_auto_start(m, 0);
  if (r >= 0)
    r = sd_bus_call_async(w->ms->bus, &w->get, m, on_get_reply, w, ANSWER_TIMEOUT_USEC);
  if (r < 0) {
    log_warning("cannot ask %s for %s: %s", s->service, s->property, g_strerror(-r));
    w->known = TRUE;
    update(w->ms);
  }
}

static int
on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  Watch *w = userdata;
  const char *name = NULL, *old_owner = NULL, *new_owner = NULL;
  if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !g_str_equal(name, w->source->name))
    return 0;
  if (new_owner[0] != '\0') {
    get_value(w);
    return 0;
  }
  w->get = sd_bus_slot_unref(w->get);
  w->known = TRUE;
  w->present = FALSE;
  w->holds = FALSE;
  update(w->ms);
  return 0;
}

static int
on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  Watch *w = userdata;
  const Source *s = w->source;
  const char *iface = NULL;
  int r = sd_bus_message_read(m, "s", &iface);
  if (r < 0 || !g_str_equal(iface, s->iface))
    return 0;
  r = sd_bus_message_enter_container(m, 'a', "{sv}");
  if (r < 0)
    return 0;
  gboolean changed = FALSE;
  while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
    const char *property = NULL;
    r = sd_bus_message_read(m, "s", &property);
    if (r < 0)
      return 0;
    if (g_str_equal(property, s->property)) {
      r = read_value(w, m);
      if (r < 0)
        w->holds = FALSE;
      changed = TRUE;
    } else {
      r = sd_bus_message_skip(m, "v");
    }
    if (r < 0 || sd_bus_message_exit_container(m) < 0)
      return 0;
  }
  if (r < 0 || sd_bus_message_exit_container(m) < 0)
    return 0;
  g_auto(GStrv) invalidated = NULL;
  if (sd_bus_message_read_strv(m, &invalidated) >= 0 && invalidated &&
      g_strv_contains((const char *const *)invalidated, s->property)) {
    get_value(w); /* changed, but the value was not sent */
    return 0;
  }
  if (changed) {
    w->known = TRUE;
    w->present = TRUE;
    update(w->ms);
  }
  return 0;
}

static int
on_prepare_for_sleep(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  MachineState *ms = userdata;
  int going = 0;
  if (sd_bus_message_read(m, "b", &going) < 0)
    return 0;
  if (going) {
    log_info("the machine is going to sleep");
    wake_holds_set_asleep(ms->daemon, TRUE);
  } else {
    log_info("the machine resumed");
    agent_schedule_resumed(ms->daemon);
  }
  return 0;
}

static int
on_logind_looked(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  int has_owner = 0;
  if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "b", &has_owner) < 0 || !has_owner)
    log_info("logind is not on the system bus: a wake that falls due during a suspend runs when its timer "
             "fires, without the missed-wake note");
  return 0;
}

static int
on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  MachineState *ms = userdata;
  log_warning("lost the system bus: OnBattery=, OnMetered= and PowerSaver= count as not holding from now on");
  for (guint i = 0; i < G_N_ELEMENTS(ms->watches); i++) {
    Watch *w = &ms->watches[i];
    w->get = sd_bus_slot_unref(w->get);
    w->known = TRUE;
    w->present = FALSE;
    w->holds = FALSE;
  }
  ms->absent_logged = WAKE_CONDITION_ALL; /* said just now */
  update(ms);
  return 1; /* ours: not the end of the daemon */
}

/* Matches go first: the bus handles them before the Get that follows, so
 * no change falls between the value read and the signals. */
static int
watch_start(MachineState *ms, Watch *w)
{
  const Source *s = w->source;
  g_autofree char *owner_rule =
    g_strdup_printf("type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                    "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'", s->name);
  int r = sd_bus_add_match_async(ms->bus, NULL, owner_rule, on_owner_changed, NULL, w);
  if (r < 0)
    return r;
  /* the sender is the name: the bus passes only its owner's signals */
  g_autofree char *changed_rule =
    g_strdup_printf("type='signal',sender='%s',path='%s',interface='org.freedesktop.DBus.Properties',"
                    "member='PropertiesChanged',arg0='%s'", s->name, s->path, s->iface);
  r = sd_bus_add_match_async(ms->bus, NULL, changed_rule, on_properties_changed, NULL, w);
  if (r < 0)
    return r;
  get_value(w);
  return 0;
}

int
machine_state_start(Daemon *d)
{
  _cleanup_(sd_bus_unrefp) sd_bus *bus = NULL;
  int r = sd_bus_open_system(&bus);
  if (r < 0) {
    log_info("no system bus (%s): OnBattery=, OnMetered= and PowerSaver= count as not holding, and suspends go "
             "unnoticed", g_strerror(-r));
    wake_holds_set_conditions(d, 0);
    return 0;
  }
  (void)sd_bus_set_description(bus, "machine-state");
  r = sd_bus_attach_event(bus, d->event, SD_EVENT_PRIORITY_NORMAL);
  if (r < 0)
    return r;
  MachineState *ms = g_new0(MachineState, 1);
  ms->daemon = d;
  ms->bus = g_steal_pointer(&bus);
  machine = ms;
  r = sd_bus_match_signal_async(ms->bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, NULL, ms);
  if (r >= 0)
    r = sd_bus_match_signal_async(ms->bus, NULL, LOGIND, "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                                  "PrepareForSleep", on_prepare_for_sleep, NULL, ms);
  if (r >= 0)
    r = sd_bus_call_method_async(ms->bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus", "NameHasOwner", on_logind_looked, ms, "s", LOGIND);
  for (guint i = 0; r >= 0 && i < G_N_ELEMENTS(sources); i++) {
    ms->watches[i].source = &sources[i];
    ms->watches[i].ms = ms;
    r = watch_start(ms, &ms->watches[i]);
  }
  if (r < 0) {
    log_warning("cannot follow the machine's state on the system bus: %s", g_strerror(-r));
    machine_state_stop();
    wake_holds_set_conditions(d, 0); /* nothing will say otherwise */
  }
  return 0;
}

void
machine_state_stop(void)
{
  MachineState *ms = g_steal_pointer(&machine);
  if (ms == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS(ms->watches); i++)
    sd_bus_slot_unref(ms->watches[i].get);
  sd_bus_flush_close_unref(ms->bus);
  g_free(ms);
}
