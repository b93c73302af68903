/* org.shiftd.Shift1.Agent: one object per agent. */
#include <errno.h>

#include "access.h"
#include "agent-registry.h"
#include "agent-schedule.h"
#include "agent.h"
#include "caller.h"
#include "daemon-bus.h"
#include "log.h"
#include "object-path.h"
#include "run.h"
#include "sd-glue.h"
#include "shiftd-clock.h"
#include "shiftd-names.h"
#include "time-span.h"
#include "wake-hold.h"

#define AGENT_STRING(fn, expr) \
  static int fn(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply, \
                void *userdata, sd_bus_error *error) \
  { \
    Agent *a = userdata; \
    return sd_bus_message_append(reply, "s", (expr)); \
  }
#define AGENT_UINT64(fn, expr) \
  static int fn(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply, \
                void *userdata, sd_bus_error *error) \
  { \
    Agent *a = userdata; \
    return sd_bus_message_append(reply, "t", (uint64_t)(expr)); \
  }

AGENT_STRING(prop_name, a->name)
AGENT_STRING(prop_description, a->config->description)
AGENT_STRING(prop_schedule, a->schedule)
AGENT_STRING(prop_timer, agent_timer_unit(a))
AGENT_STRING(prop_deferred, wake_hold_deferred(a))
AGENT_UINT64(prop_base_interval, a->config->every)
AGENT_UINT64(prop_current_interval, a->state->current_interval)
AGENT_UINT64(prop_max_interval, a->config->max_interval)
AGENT_UINT64(prop_next_wake, agent_next_wake(a))
AGENT_UINT64(prop_last_run_at, a->state->last_run_at)
/* as stored; today's count is of the day it was counted on: 0 once that is over */
AGENT_UINT64(prop_tokens_today,
             a->tokens_stored.day == shiftd_local_day_start(shiftd_now_realtime_usec()) ? a->tokens_stored.today : 0)
AGENT_UINT64(prop_tokens_total, a->tokens_stored.total)

static int
prop_enabled(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
             void *userdata, sd_bus_error *error)
{
  Agent *a = userdata;
  return sd_bus_message_append(reply, "b", a->state->enabled);
}

static int
prop_idle_streak(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                 void *userdata, sd_bus_error *error)
{
  Agent *a = userdata;
  return sd_bus_message_append(reply, "u", (uint32_t)a->state->idle_streak);
}

static int
prop_last_run(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
              void *userdata, sd_bus_error *error)
{
  Agent *a = userdata;
  const char *name = a->state->last_run;
  if (name == NULL || name[0] == '\0')
    return sd_bus_message_append(reply, "o", "/");
  /* the newest run may be out of memory, never unpublished out of it */
  Run *held = g_hash_table_lookup(a->daemon->runs, name);
  if (held && held->published == NULL)
    return sd_bus_message_append(reply, "o", "/");
  g_autofree char *run_path = shiftd_object_path(SHIFTD_RUN_PATH_PREFIX, name);
  return sd_bus_message_append(reply, "o", run_path);
}

static void
trigger_allowed(sd_bus_message *m, gboolean allowed, const sd_bus_error *error, gpointer user_data)
{
  Agent *a = user_data;
  _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
  if (!allowed) {
    sd_bus_reply_method_error(m, error);
    return;
  }
  if (a->config->instructions[0] == '\0') {
    sd_bus_reply_method_errorf(m, SHIFTD_ERROR_INVALID_ARGUMENT,
                               "agent \"%s\" has no Instructions= to run; start a run with a task instead", a->name);
    return;
  }
  if (bus_start_run(a->daemon, m, a, a->config->instructions, SHIFTD_TRIGGER_MANUAL, NULL, &e) < 0)
    sd_bus_reply_method_error(m, &e);
}

/* Triggering is starting a run: the agent's owner, StartBy=, root, or whom
 * polkit allows org.shiftd.Shift1.start-agent. */
int
agent_bus_trigger(Agent *a, sd_bus_message *m, sd_bus_error *error)
{
  access_check(a->daemon, m, NULL, a, ACCESS_START, trigger_allowed, a);
  return 1;
}

static int
method_trigger(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  return agent_bus_trigger(userdata, m, error);
}

static void
enabled_committed(gpointer user_data, const GError *error)
{
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = user_data;
  if (error)
    sd_bus_reply_method_errorf(m, SHIFTD_ERROR_BUSY, "cannot record the change: %s", error->message);
  else
    sd_bus_reply_method_return(m, NULL);
}

static void
set_enabled_allowed(sd_bus_message *m, gboolean allowed, const sd_bus_error *error, gpointer user_data)
{
  Agent *a = user_data;
  int enabled = 0;
  if (!allowed) {
    sd_bus_reply_method_error(m, error);
    return;
  }
  sd_bus_message_rewind(m, 1);
  if (sd_bus_message_read(m, "b", &enabled) < 0) {
    sd_bus_reply_method_errorf(m, SD_BUS_ERROR_INVALID_ARGS, "expected a boolean");
    return;
  }
  if (a->state->enabled != !!enabled) {
    a->state->enabled = !!enabled;
    if (!enabled)
      a->state->next_wake = 0;
    uid_t uid = 0;
    caller_get_uid(m, &uid);
    log_run(LOG_NOTICE, NULL, a->name, "%s by uid %u", enabled ? "enabled" : "disabled", (unsigned)uid);
    agent_state_changed(a, "Enabled", "NextWakeAt", NULL);
    agent_schedule_arm(a);
  }
  /* the reply follows the state's commit (the store keeps order) */
  ShiftdStoreTxn *txn = shiftd_store_txn_new();
  shiftd_store_txn_put_agent(txn, a->state);
  shiftd_store_commit(a->daemon->store, txn, enabled_committed, sd_bus_message_ref(m));
}

static int
method_set_enabled(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
  Agent *a = userdata;
  int enabled = 0;
  int r = sd_bus_message_read(m, "b", &enabled);
  if (r < 0)
    return r;
  /* enabling and disabling is agent management: root, the daemon's own user,
   * or whom polkit allows org.shiftd.Shift1.manage-agents */
  access_check(a->daemon, m, NULL, NULL, ACCESS_MANAGE, set_enabled_allowed, a);
  return 1;
}

static const sd_bus_vtable agent_vtable[] = {
  SD_BUS_VTABLE_START(0),
  SD_BUS_PROPERTY("Name", "s", prop_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
  SD_BUS_PROPERTY("Description", "s", prop_description, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("Schedule", "s", prop_schedule, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("Enabled", "b", prop_enabled, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("BaseInterval", "t", prop_base_interval, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("CurrentInterval", "t", prop_current_interval, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("MaxInterval", "t", prop_max_interval, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("IdleStreak", "u", prop_idle_streak, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("NextWakeAt", "t", prop_next_wake, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("LastRunAt", "t", prop_last_run_at, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("LastRun", "o", prop_last_run, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("Timer", "s", prop_timer, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("TokensToday", "t", prop_tokens_today, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("TokensTotal", "t", prop_tokens_total, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY("Deferred", "s", prop_deferred, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_METHOD_WITH_ARGS("Trigger", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", name, "o", path), method_trigger,
                          SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_ARGS("SetEnabled", SD_BUS_ARGS("b", enabled), SD_BUS_NO_RESULT, method_set_enabled,
                          SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_VTABLE_END
};

static int
agent_find(sd_bus *bus, const char *path, const char *iface, void *userdata, void **found, sd_bus_error *error)
{
  char *name = NULL;
  if (sd_bus_path_decode(path, SHIFTD_AGENT_PATH_PREFIX, &name) <= 0)
    return 0;
  Agent *a = daemon_find_agent(userdata, name);
  free(name);
  if (a == NULL)
    return 0;
  *found = a;
  return 1;
}

static int
agent_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes, sd_bus_error *error)
{
  g_autoptr(GPtrArray) agents = agent_registry_sorted(userdata);
  g_autoptr(GPtrArray) paths = g_ptr_array_new();
  for (guint i = 0; i < agents->len; i++)
    g_ptr_array_add(paths, ((Agent *)g_ptr_array_index(agents, i))->path);
  return bus_paths_to_nodes(paths, nodes);
}

void
agent_bus_published(Agent *a)
{
  int r = sd_bus_emit_object_added(a->daemon->bus, a->path);
  if (r < 0)
    log_warning("cannot announce agent %s: %s", a->name, g_strerror(-r));
}

void
agent_bus_unpublished(Agent *a)
{
  int r = sd_bus_emit_object_removed(a->daemon->bus, a->path);
  if (r < 0)
    log_warning("cannot announce the removal of agent %s: %s", a->name, g_strerror(-r));
}

void
agent_bus_changed(Agent *a, const char *const *properties)
{
  int r = sd_bus_emit_properties_changed_strv(a->daemon->bus, a->path, SHIFTD_AGENT_IFACE, (char **)properties);
  if (r < 0)
    log_warning("cannot announce changes of agent %s: %s", a->name, g_strerror(-r));
}

int
agent_bus_register(Daemon *d)
{
  int r = sd_bus_add_fallback_vtable(d->bus, NULL, SHIFTD_AGENT_PATH_PREFIX, SHIFTD_AGENT_IFACE, agent_vtable,
                                     agent_find, d);
  if (r < 0)
    return r;
  return sd_bus_add_node_enumerator(d->bus, NULL, SHIFTD_AGENT_PATH_PREFIX, agent_enumerate, d);
}
