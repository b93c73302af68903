#include "run-delegation.h"

#include "access-rules.h"
#include "agent.h"
#include "json-util.h"
#include "log.h"
#include "offload.h"
#include "protocol.h"
#include "run-as.h"
#include "run-engine.h"
#include "worker.h"

/* One start_run on its way: checked, maybe its owner's groups looked up,
 * then the child's receipt and the parent's Children made durable. */
typedef struct {
  Daemon *daemon;
  Worker *worker; /* a reference */
  gint64 id;
  char *parent;
  char *agent;
  char *task;
  gboolean wait;
  char *child;     /* once its receipt is durable */
  guint32 owner;
  RunAs *owner_as; /* from the thread: the owner's groups */
} StartRequest;

static Offload *offload;
/* Parents (by name) with a start_run on its way: one at a time each, so
 * the bounds count every child (a worker waits for its reply anyway). */
static GHashTable *starting;

static void
request_free(gpointer data)
{
  StartRequest *q = data;
  if (starting)
    g_hash_table_remove(starting, q->parent);
  worker_unref(q->worker);
  g_free(q->parent);
  g_free(q->agent);
  g_free(q->task);
  g_free(q->child);
  run_as_free(q->owner_as);
  g_free(q);
}

void
delegation_fill_settings(Agent *agent, JsonObject *settings)
{
  if (agent->config->delegates == NULL || agent->config->delegates[0] == NULL)
    return;
  JsonArray *tools = shiftd_json_get_array(settings, "tools");
  if (tools)
    json_array_add_string_element(tools, "start_run");
  JsonArray *names = json_array_new();
  for (char **n = agent->config->delegates; *n; n++)
    json_array_add_string_element(names, *n);
  json_object_set_array_member(settings, "delegates", names);
}

/* The worker that asked is still the parent's live attempt. */
static gboolean
worker_listening(Worker *w)
{
  return !w->abandoned && !w->exited && !w->ended && w->run->worker == w;
}

static void
reply(StartRequest *q, const char *child, const char *error)
{
  if (!worker_listening(q->worker))
    return;
  JsonObject *m = shiftd_protocol_message_new("reply");
  json_object_set_int_member(m, "id", q->id);
  json_object_set_boolean_member(m, "ok", error == NULL);
  if (error)
    json_object_set_string_member(m, "error", error);
  else
    json_object_set_string_member(m, "run", child);
  worker_send(q->worker, m);
}

static guint
live_children(Daemon *d, const ShiftdRunRow *row)
{
  guint n = 0;
  for (char **c = row->children; c && *c; c++) {
    Run *child = g_hash_table_lookup(d->runs, *c);
    if (child && shiftd_run_state_live(child->pending->state))
      n++;
  }
  return n;
}

/* NULL when the parent may start a run of `agent` as far as its own agent
 * and the tree go; else why not, as the tool's result says it. */
static char *
check_tree(Daemon *d, Run *parent, const char *agent)
{
  const ShiftdRunRow *row = parent->pending;
  Agent *own = daemon_find_agent(d, row->agent);
  char **delegates = own ? own->config->delegates : NULL;
  if (delegates == NULL || !g_strv_contains((const char *const *)delegates, agent)) {
    if (delegates == NULL || delegates[0] == NULL)
      return g_strdup_printf("agent %s may not start runs of other agents (it has no Delegates=)", row->agent);
    g_autofree char *list = g_strjoinv(" ", delegates);
    return g_strdup_printf("agent %s may not start runs of \"%s\"; its Delegates= lists: %s", row->agent, agent,
                           list);
  }
  if (daemon_find_agent(d, agent) == NULL)
    return g_strdup_printf("there is no agent named \"%s\" (it is in Delegates= but not loaded)", agent);
  if (row->depth + 1 >= DELEGATION_DEPTH_MAX)
    return g_strdup_printf("run %s is %u runs deep, the most a run tree may be (%u): it cannot start runs",
                           row->name, row->depth + 1, DELEGATION_DEPTH_MAX);
  guint total = row->children ? g_strv_length(row->children) : 0;
  if (total >= DELEGATION_CHILDREN_MAX)
    return g_strdup_printf("run %s has started %u runs, the most one run may start", row->name, total);
  guint live = live_children(d, row);
  if (live >= DELEGATION_LIVE_CHILDREN_MAX)
    return g_strdup_printf("run %s has %u runs it started still going, the most at once; wait for one to end",
                           row->name, live);
  return NULL;
}

/* A delegated start has the parent's authority: the parent's owner as if
 * it called StartRun itself, minus polkit (nobody is there to ask). */
static gboolean
owner_may_start(StartRequest *q, Agent *agent)
{
  g_autoptr(GArray) gids = g_array_new(FALSE, FALSE, sizeof(gid_t));
  if (q->owner_as) {
    g_array_append_val(gids, q->owner_as->gid);
    if (q->owner_as->groups)
      g_array_append_vals(gids, q->owner_as->groups->data, q->owner_as->groups->len);
  }
  CallerCreds caller = { .uid = q->owner, .gids = gids };
  return access_allowed_without_polkit(q->daemon, &caller, NULL, agent, ACCESS_START);
}

static void
parent_committed(Run *parent, const GError *error, gpointer user_data)
{
  StartRequest *q = user_data;
  if (error) {
    g_autofree char *why = g_strdup_printf("cannot record the run: %s", error->message);
    reply(q, NULL, why);
  } else {
    reply(q, q->child, NULL);
  }
  request_free(q);
}

/* The child's receipt is durable: now the parent lists it. */
static void
child_committed(Run *child, const GError *error, gpointer user_data)
{
  StartRequest *q = user_data;
  if (error) {
    g_autofree char *why = g_strdup_printf("cannot record the run: %s", error->message);
    reply(q, NULL, why);
    request_free(q);
    return;
  }
  Run *parent = g_hash_table_lookup(q->daemon->runs, q->parent);
  if (parent == NULL || !shiftd_run_state_live(parent->pending->state)) {
    /* the parent ended meanwhile, too soon for its cancel to reach this child */
    (void)engine_cancel(child, q->owner, NULL, NULL, NULL);
    request_free(q);
    return;
  }
  q->child = g_strdup(child->pending->name);
  ShiftdRunRow *row = run_edit(parent);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  g_strv_builder_addv(b, (const char **)row->children);
  g_strv_builder_add(b, child->pending->name);
  g_strfreev(row->children);
  row->children = g_strv_builder_end(b);
  RunTxn *t = run_txn_begin(parent);
  run_txn_commit(t, parent_committed, q);
}

/* Takes q. */
static void
start_child(StartRequest *q)
{
  Daemon *d = q->daemon;
  if (!worker_listening(q->worker)) {
    request_free(q);
    return;
  }
  Run *parent = q->worker->run;
  Agent *agent = daemon_find_agent(d, q->agent);
  g_autofree char *refused = check_tree(d, parent, q->agent);
  if (refused == NULL && !owner_may_start(q, agent))
    refused = g_strdup_printf("uid %u, who owns run %s, may not start runs of agent %s (its owner, root and its "
                              "StartBy= may; a run started by a run asks no one else)",
                              q->owner, parent->pending->name, q->agent);
  if (refused) {
    reply(q, NULL, refused);
    request_free(q);
    return;
  }
  RunOptions options = {
    .parent = parent->pending->name,
    .parent_depth = parent->pending->depth,
  };
  g_autoptr(GError) error = NULL;
  Run *child = engine_start_run(d, agent, q->task, SHIFTD_TRIGGER_DELEGATED, q->owner, &options, child_committed, q,
                                &error);
  if (child == NULL) {
    reply(q, NULL, error->message);
    request_free(q);
    return;
  }
  log_run(LOG_INFO, parent->pending->name, parent->pending->agent, "started run %s of agent %s%s",
          child->pending->name, q->agent, q->wait ? " and waits for it" : "");
}

/* On the thread: the owner's groups, for StartBy=@group. */
static void
lookup_work(gpointer job)
{
  StartRequest *q = job;
  q->owner_as = run_as_lookup_uid(q->owner);
}

static void
lookup_done(gpointer job, gpointer user_data)
{
  start_child(job);
}

static gboolean
wants_groups(Agent *agent)
{
  GArray *gids = agent ? agent->config->start_by_ids.gids : NULL;
  return gids && gids->len > 0;
}

void
delegation_start_run(Worker *w, Run *parent, JsonObject *msg)
{
  Daemon *d = w->daemon;
  if (starting == NULL)
    starting = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  if (g_hash_table_contains(starting, parent->pending->name)) {
    engine_worker_protocol_error(w, "worker protocol error: start_run before the reply to the previous one");
    return;
  }
  g_hash_table_add(starting, g_strdup(parent->pending->name));
  StartRequest *q = g_new0(StartRequest, 1);
  q->daemon = d;
  q->worker = worker_ref(w);
  q->id = shiftd_json_get_int(msg, "id", 0);
  q->parent = g_strdup(parent->pending->name);
  q->agent = g_strdup(shiftd_json_get_string(msg, "agent", ""));
  q->task = g_strdup(shiftd_json_get_string(msg, "task", ""));
  q->wait = shiftd_json_get_bool(msg, "wait", FALSE);
  q->owner = parent->pending->owner;

  g_autofree char *refused = check_tree(d, parent, q->agent);
  if (refused) {
    reply(q, NULL, refused);
    request_free(q);
    return;
  }
  Agent *agent = daemon_find_agent(d, q->agent);
  /* the user database is for a thread: only a StartBy=@group needs it */
  if (owner_may_start(q, agent) || !wants_groups(agent)) {
    start_child(q);
    return;
  }
  int r = offload ? 0 : offload_new(d->event, &offload);
  if (r >= 0)
    r = offload_queue(offload, q, lookup_work, lookup_done, NULL, request_free);
  if (r < 0) {
    g_autofree char *why = g_strdup_printf("cannot look up the groups of uid %u: %s", q->owner, g_strerror(-r));
    reply(q, NULL, why);
    request_free(q);
  }
}

/* What the parent's model is told of how its child ended. */
static char *
child_outcome(const ShiftdRunRow *c)
{
  switch (c->state) {
  case SHIFTD_RUN_DONE:
    return c->result[0] ? g_strdup(c->result) : g_strdup_printf("run %s is done (it gave no result)", c->name);
  case SHIFTD_RUN_IDLE:
    return g_strdup_printf("run %s found no work: %s", c->name, c->result);
  case SHIFTD_RUN_FAILED:
    return g_strdup_printf("child run %s failed: %s", c->name, c->error);
  case SHIFTD_RUN_CANCELLED:
    return g_strdup_printf("child run %s was cancelled", c->name);
  default:
    return NULL;
  }
}

static void
resume_parent(Run *parent, const ShiftdRunRow *child)
{
  g_autofree char *outcome = child_outcome(child);
  if (outcome)
    engine_child_ended(parent, child->name, shiftd_run_state_to_string(child->state), outcome);
}

void
delegation_check_waiting(Run *run)
{
  const ShiftdRunRow *row = run->pending;
  if (row->state != SHIFTD_RUN_WAITING || row->wait_child[0] == '\0')
    return;
  g_autofree char *name = g_strdup(row->wait_child);
  Run *child = daemon_find_run(run->daemon, name);
  if (child == NULL) {
    g_autofree char *why = g_strdup_printf("child run %s failed: it is gone from the store", name);
    engine_child_ended(run, name, "gone", why);
    return;
  }
  if (shiftd_run_state_final(child->published->state))
    resume_parent(run, child->published);
}

void
delegation_run_finished(Run *run)
{
  const ShiftdRunRow *row = run->published;
  if (row->parent == NULL || row->parent[0] == '\0')
    return;
  Run *parent = g_hash_table_lookup(run->daemon->runs, row->parent);
  if (parent && parent->pending->state == SHIFTD_RUN_WAITING && g_str_equal(parent->pending->wait_child, row->name))
    resume_parent(parent, row);
}

void
delegation_cancel_children(Run *run, guint32 uid)
{
  g_auto(GStrv) children = g_strdupv(run->pending->children);
  for (char **c = children; c && *c; c++) {
    Run *child = g_hash_table_lookup(run->daemon->runs, *c);
    if (child && shiftd_run_state_live(child->pending->state))
      (void)engine_cancel(child, uid, NULL, NULL, NULL);
  }
}

void
delegation_forget(void)
{
  g_clear_pointer(&offload, offload_free);
  g_clear_pointer(&starting, g_hash_table_unref);
}
