#include "systemd-watches.h"

#include <errno.h>

#include "log.h"
#include "sd-glue.h"
#include "shiftd-names.h"
#include "unit-properties.h"

/* One agent's path unit. */
typedef struct {
  SystemdWatches *watches;
  char *agent;
  char *unit;
  char **want;         /* the paths the agent wants watched; NULL: none */
  char **live;         /* the paths of the unit we made (or are making); NULL: none */
  sd_bus_slot *start;  /* the StartTransientUnit under way */
  sd_event_source *retry;
  guint retries;
} AgentPathUnit;

struct SystemdWatches {
  sd_bus *manager;
  char *busctl;
  char *bus_address;
  char *part_of;
  GHashTable *by_agent; /* agent -> AgentPathUnit* */
};

static void sync_unit(AgentPathUnit *pu);

static void
agent_path_unit_free(AgentPathUnit *pu)
{
  sd_bus_slot_unref(pu->start);
  sd_event_source_disable_unref(pu->retry);
  g_free(pu->agent);
  g_free(pu->unit);
  g_strfreev(pu->want);
  g_strfreev(pu->live);
  g_free(pu);
}

static void
stop_unit(AgentPathUnit *pu)
{
  /* a reply to the start we no longer want is not waited for */
  pu->start = sd_bus_slot_unref(pu->start);
  g_clear_pointer(&pu->live, g_strfreev);
  int r = sd_bus_call_method_async(pu->watches->manager, NULL, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                   "StopUnit", NULL, NULL, "ss", pu->unit, "replace");
  if (r < 0)
    log_run(LOG_WARNING, NULL, pu->agent, "cannot stop %s: %s", pu->unit, g_strerror(-r));
}

static int
append_path_properties(SystemdWatches *w, sd_bus_message *m, AgentPathUnit *pu)
{
  g_autofree char *description = g_strdup_printf("shiftd: wakes agent %s when its paths change", pu->agent);
  int r = sd_bus_message_append(m, "(sv)(sv)", "Description", "s", description, "CollectMode", "s",
                                "inactive-or-failed");
  if (r >= 0 && w->part_of)
    r = unit_append_strv(m, "PartOf", (char *[]){ w->part_of, NULL });
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'r', "sv");
  if (r >= 0)
    r = sd_bus_message_append(m, "s", "Paths");
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'v', "a(ss)");
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'a', "(ss)");
  for (char **p = pu->want; r >= 0 && *p; p++)
    r = sd_bus_message_append(m, "(ss)", "PathChanged", *p);
  for (int i = 0; i < 3 && r >= 0; i++)
    r = sd_bus_message_close_container(m);
  return r;
}

/* The path unit's service, as an aux unit: a call to Scheduler.PathChanged. */
static int
append_path_service(SystemdWatches *w, sd_bus_message *m, AgentPathUnit *pu)
{
  g_autofree char *service = g_strconcat(SYSTEMD_WATCH_PREFIX, pu->agent, ".service", NULL);
  g_autofree char *address = g_strdup_printf("--address=%s", w->bus_address);
  const char *argv[] = { w->busctl, address, "call", SHIFTD_BUS_NAME, SHIFTD_MANAGER_PATH, SHIFTD_SCHEDULER_IFACE,
                         "PathChanged", "s", pu->agent, NULL };
  g_autofree char *description = g_strdup_printf("shiftd: a path of agent %s changed", pu->agent);
  /* a busy path starts it often: no start limit (the daemon debounces) */
  return unit_append_oneshot_aux(m, service, description, argv, TRUE);
}

static int
on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
  AgentPathUnit *pu = userdata;
  pu->retry = sd_event_source_disable_unref(pu->retry);
  sync_unit(pu);
  return 0;
}

static int
on_started(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  AgentPathUnit *pu = userdata;
  const sd_bus_error *e = sd_bus_message_get_error(reply);
  pu->start = sd_bus_slot_unref(pu->start);
  if (e == NULL) {
    pu->retries = 0;
    log_run(LOG_DEBUG, NULL, pu->agent, "watching its paths with %s", pu->unit);
    return 0;
  }
  g_clear_pointer(&pu->live, g_strfreev);
  if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists") && pu->retries++ < UNIT_EXISTS_RETRIES) {
    /* the old one is not unloaded yet: ask again shortly */
    int r = sd_event_add_time_relative(sd_bus_get_event(pu->watches->manager), &pu->retry, CLOCK_MONOTONIC,
                                       UNIT_EXISTS_RETRY_USEC, 0, on_retry, pu);
    if (r >= 0)
      return 0;
    log_run(LOG_WARNING, NULL, pu->agent, "cannot wait to make %s again: %s", pu->unit, g_strerror(-r));
  }
  pu->retries = 0;
  log_run(LOG_WARNING, NULL, pu->agent, "systemd refused the path unit %s: %s", pu->unit, e->message);
  return 0;
}

static void
start_unit(SystemdWatches *w, AgentPathUnit *pu)
{
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
  int r = sd_bus_message_new_method_call(w->manager, &m, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                         "StartTransientUnit");
  if (r >= 0)
    r = sd_bus_message_append(m, "ss", pu->unit, "replace");
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'a', "(sv)");
  if (r >= 0)
    r = append_path_properties(w, m, pu);
  if (r >= 0)
    r = sd_bus_message_close_container(m);
  if (r >= 0)
    r = append_path_service(w, m, pu);
  if (r >= 0)
    r = sd_bus_call_async(w->manager, &pu->start, m, on_started, pu, 30 * G_USEC_PER_SEC);
  if (r < 0) {
    log_run(LOG_WARNING, NULL, pu->agent, "cannot make the path unit %s: %s", pu->unit, g_strerror(-r));
    return;
  }
  pu->live = g_strdupv(pu->want);
}

/* Brings the unit to what the agent wants; a retry under way comes back here. */
static void
sync_unit(AgentPathUnit *pu)
{
  if (pu->retry)
    return;
  if (pu->live && pu->want && g_strv_equal((const char *const *)pu->live, (const char *const *)pu->want))
    return;
  if (pu->live)
    stop_unit(pu);
  if (pu->want)
    start_unit(pu->watches, pu);
}

void
systemd_watches_set(SystemdWatches *w, const char *agent, const char *const *paths)
{
  AgentPathUnit *pu = g_hash_table_lookup(w->by_agent, agent);
  gboolean none = paths == NULL || paths[0] == NULL;
  if (pu == NULL) {
    if (none)
      return;
    pu = g_new0(AgentPathUnit, 1);
    pu->watches = w;
    pu->agent = g_strdup(agent);
    pu->unit = g_strconcat(SYSTEMD_WATCH_PREFIX, agent, ".path", NULL);
    g_hash_table_insert(w->by_agent, pu->agent, pu);
  }
  g_strfreev(pu->want);
  pu->want = none ? NULL : g_strdupv((char **)paths);
  if (none) {
    /* nothing more to make: a retry would only make it again */
    pu->retry = sd_event_source_disable_unref(pu->retry);
    pu->retries = 0;
  }
  sync_unit(pu);
}

SystemdWatches *
systemd_watches_new(sd_bus *manager, const char *bus_address, const char *part_of)
{
  SystemdWatches *w = g_new0(SystemdWatches, 1);
  w->manager = sd_bus_ref(manager);
  w->bus_address = g_strdup(bus_address);
  w->part_of = g_strdup(part_of);
  w->busctl = g_find_program_in_path("busctl");
  if (w->busctl == NULL)
    w->busctl = g_strdup("/usr/bin/busctl");
  w->by_agent = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)agent_path_unit_free);
  return w;
}

void
systemd_watches_free(SystemdWatches *w)
{
  if (w == NULL)
    return;
  g_hash_table_unref(w->by_agent);
  sd_bus_unref(w->manager);
  g_free(w->busctl);
  g_free(w->bus_address);
  g_free(w->part_of);
  g_free(w);
}
