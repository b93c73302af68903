#include "access.h"

#include <errno.h>
#include <unistd.h>

#include "agent.h"
#include "caller.h"
#include "log.h"
#include "run.h"
#include "sd-glue.h"
#include "shiftd-names.h"

#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_IFACE "org.freedesktop.PolicyKit1.Authority"
/* A person may be typing a password into an authentication dialog. */
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (5 * 60 * G_USEC_PER_SEC)
#define POLKIT_TIMEOUT_USEC (25 * G_USEC_PER_SEC)

/* sender -> TRUE: polkit granted read-foreign to this connection */
static GHashTable *read_grants;

static const char *
action_id(AccessAction action)
{
  switch (action) {
  case ACCESS_READ: return "org.shiftd.Shift1.read-foreign";
  case ACCESS_ANSWER: return "org.shiftd.Shift1.answer";
  case ACCESS_CANCEL: return "org.shiftd.Shift1.cancel-foreign";
  case ACCESS_MANAGE: return "org.shiftd.Shift1.manage-agents";
  case ACCESS_START: return "org.shiftd.Shift1.start-agent";
  }
  return "";
}

static const char *
action_verb(AccessAction action)
{
  switch (action) {
  case ACCESS_READ: return "read";
  case ACCESS_ANSWER: return "answer";
  case ACCESS_CANCEL: return "cancel";
  case ACCESS_MANAGE: return "manage agents";
  case ACCESS_START: return "start runs of agent";
  }
  return "";
}

gboolean
access_has_read_grant(const char *sender)
{
  return read_grants && sender && g_hash_table_contains(read_grants, sender);
}

gboolean
access_may_read_now(Daemon *d, sd_bus_message *m, Run *run)
{
  const CallerCreds *caller = caller_get(m);
  if (caller == NULL)
    return FALSE;
  return access_allowed_without_polkit(d, caller, run, NULL, ACCESS_READ) ||
         access_has_read_grant(sd_bus_message_get_sender(m));
}

void
access_forget_sender(const char *sender)
{
  if (read_grants)
    g_hash_table_remove(read_grants, sender);
}

void
access_free(void)
{
  g_clear_pointer(&read_grants, g_hash_table_unref);
}

typedef struct {
  Daemon *daemon;
  sd_bus_message *m;
  Run *run;
  Agent *agent;
  AccessAction action;
  uid_t uid;
  AccessDone done;
  gpointer user_data;
} PolkitCall;

/* " run NAME", " NAME" (an agent) or "" */
static char *
subject(PolkitCall *pc)
{
  if (pc->run)
    return g_strdup_printf(" run %s", pc->run->published->name);
  if (pc->agent && pc->action == ACCESS_START)
    return g_strdup_printf(" %s", pc->agent->name);
  return g_strdup("");
}

static const char *
who_may(AccessAction action)
{
  switch (action) {
  case ACCESS_START: return "the agent's owner, its StartBy= and root";
  case ACCESS_MANAGE: return "root and shiftd's own user";
  case ACCESS_ANSWER:
  case ACCESS_READ: return "the run's owner, its agent's AnswerBy= and root";
  case ACCESS_CANCEL: return "the run's owner and root";
  }
  return "root";
}

static void
deny(PolkitCall *pc, const char *why)
{
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  g_autofree char *what = subject(pc);
  const char *run = pc->run ? pc->run->published->name : NULL;
  const char *agent = pc->run ? pc->run->published->agent : pc->agent ? pc->agent->name : NULL;
  log_run(LOG_NOTICE, run, agent, "uid %u may not %s%s (%s)", (unsigned)pc->uid, action_verb(pc->action), what, why);
  sd_bus_error_setf(&error, SHIFTD_ERROR_ACCESS_DENIED, "uid %u may not %s%s: %s", (unsigned)pc->uid,
                    action_verb(pc->action), what, why);
  pc->done(pc->m, FALSE, &error, pc->user_data);
}

static void
polkit_call_free(PolkitCall *pc)
{
  sd_bus_message_unref(pc->m);
  g_free(pc);
}

static int
on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  PolkitCall *pc = userdata;
  const sd_bus_error *e = sd_bus_message_get_error(reply);
  int authorized = 0, challenge = 0;
  if (e) {
    if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
      /* a whole sentence: "…, so only the run's owner and root may cancel it" */
      g_autofree char *what = pc->run ? g_strdup(" it") : subject(pc);
      g_autofree char *why = g_strdup_printf("polkit is not running, so only %s may %s%s", who_may(pc->action),
                                             action_verb(pc->action), what);
      deny(pc, why);
    } else {
      deny(pc, e->message ? e->message : e->name);
    }
  } else if (sd_bus_message_enter_container(reply, 'r', "bba{ss}") < 0 ||
             sd_bus_message_read(reply, "bb", &authorized, &challenge) < 0) {
    deny(pc, "polkit gave an answer that cannot be read");
  } else if (!authorized) {
    deny(pc, challenge ? "polkit wants an authentication first" : "polkit says no");
  } else {
    log_run(LOG_INFO, pc->run ? pc->run->published->name : NULL,
            pc->run ? pc->run->published->agent : pc->agent ? pc->agent->name : NULL, "polkit lets uid %u %s",
            (unsigned)pc->uid, action_id(pc->action));
    if (pc->action == ACCESS_READ) {
      if (read_grants == NULL)
        read_grants = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_add(read_grants, g_strdup(sd_bus_message_get_sender(pc->m)));
    }
    pc->done(pc->m, TRUE, NULL, pc->user_data);
  }
  polkit_call_free(pc);
  return 0;
}

/* CheckAuthorization(subject, action, details, flags, cancellation id); the
 * details name the run or agent, for polkit rules to look at. */
static int
append_polkit_query(sd_bus_message *call, PolkitCall *pc, gboolean interactive)
{
  int r = sd_bus_message_append(call, "(sa{sv})s", "system-bus-name", 1, "name", "s",
                                sd_bus_message_get_sender(pc->m), action_id(pc->action));
  if (r < 0)
    return r;
  if (pc->run)
    r = sd_bus_message_append(call, "a{ss}", 2, "run", pc->run->published->name, "agent",
                              pc->run->published->agent);
  else if (pc->agent)
    r = sd_bus_message_append(call, "a{ss}", 1, "agent", pc->agent->name);
  else
    r = sd_bus_message_append(call, "a{ss}", 0);
  if (r < 0)
    return r;
  return sd_bus_message_append(call, "us", interactive ? 1u : 0u, "");
}

/* The caller's credentials are in: from the cache at once, nearly always
 * (caller.c holds a call until they are), else from the bus later. */
static void
with_caller(sd_bus_message *m, const CallerCreds *caller, const sd_bus_error *error, gpointer user_data)
{
  PolkitCall *pc = user_data;
  Daemon *d = pc->daemon;
  if (caller == NULL) {
    _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_error_setf(&e, SHIFTD_ERROR_ACCESS_DENIED, "cannot tell who is calling: %s",
                      error && error->message ? error->message : "the bus did not say");
    pc->done(m, FALSE, &e, pc->user_data);
    polkit_call_free(pc);
    return;
  }
  pc->uid = caller->uid;
  if (access_allowed_without_polkit(d, caller, pc->run, pc->agent, pc->action) ||
      (pc->action == ACCESS_READ && access_has_read_grant(sd_bus_message_get_sender(m)))) {
    pc->done(m, TRUE, NULL, pc->user_data);
    polkit_call_free(pc);
    return;
  }

  gboolean interactive = sd_bus_message_get_allow_interactive_authorization(m) > 0;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
  int r = sd_bus_message_new_method_call(d->bus, &call, POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE,
                                         "CheckAuthorization");
  if (r >= 0)
    r = append_polkit_query(call, pc, interactive);
  if (r >= 0)
    r = sd_bus_call_async(d->bus, NULL, call, on_polkit_reply, pc,
                          interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : POLKIT_TIMEOUT_USEC);
  if (r < 0) {
    g_autofree char *why = g_strdup_printf("cannot ask polkit: %s", g_strerror(-r));
    deny(pc, why);
    polkit_call_free(pc);
  }
}

void
access_check(Daemon *d, sd_bus_message *m, Run *run, Agent *agent, AccessAction action, AccessDone done,
             gpointer user_data)
{
  PolkitCall *pc = g_new0(PolkitCall, 1);
  pc->daemon = d;
  pc->m = sd_bus_message_ref(m);
  pc->run = run;
  pc->agent = agent;
  pc->action = action;
  pc->done = done;
  pc->user_data = user_data;
  caller_lookup(m, with_caller, pc);
}
