/* As whom a run's worker and its tools run (DESIGN.md "Who may do what, and
 * as whom"). Never root unless the agent file says User=root: a root daemon
 * gives each standing agent a user of its own, and the default agent's runs
 * the caller's own uid and groups. A daemon that is not root cannot switch
 * users: its workers are its own user. */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "agent-file.h"

typedef enum {
  RUN_AS_DAEMON,  /* the daemon's own user */
  RUN_AS_USER,    /* a user of the system: User=, or the caller of the default agent */
  RUN_AS_DYNAMIC, /* an unprivileged uid of the agent's own, in no user database */
} RunAsKind;

typedef struct {
  RunAsKind kind;
  uid_t uid; /* RUN_AS_DYNAMIC: only once a backend has allocated one */
  gid_t gid;
  GArray *groups; /* supplementary gids (gid_t) */
  char *user;     /* RUN_AS_USER: name, or the uid as text; RUN_AS_DYNAMIC: the dynamic user's name */
  gboolean unnamed; /* RUN_AS_USER: a uid with no entry in the user database */
  char *home;     /* names its workspace and notes: the agent, or "default.UID" for a caller */
} RunAs;

void run_as_free(RunAs *as);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RunAs, run_as_free)

/* A user from the user database with its groups (NSS: call it when files
 * load, not per run). NULL with an error naming the user if there is none. */
RunAs *run_as_lookup_user(const char *name, GError **error);
/* The caller of the default agent: its uid and groups; a uid with no entry
 * in the user database gets no groups and the primary group "nogroup". */
RunAs *run_as_lookup_uid(uid_t uid);

/* Who runs a run of agent `config` started by `owner`:
 *   daemon not root          -> RUN_AS_DAEMON
 *   default agent, owner!=0  -> the owner (RUN_AS_USER)
 *   User= (resolved: `user`) -> that user
 *   anything else            -> RUN_AS_DYNAMIC, named after the agent */
RunAs *run_as_for(const AgentConfig *config, const RunAs *user, guint32 owner);
/* Whether run_as_for() reads the user database (the default agent's runs
 * that a root daemon runs as their caller): then look `owner` up with
 * run_as_lookup_uid() where waiting does no harm and hand it to
 * run_as_for_caller(), which asks nothing itself when given it. */
gboolean run_as_wants_caller(const AgentConfig *config, guint32 owner);
RunAs *run_as_for_caller(const AgentConfig *config, const RunAs *user, guint32 owner,
                         const RunAs *caller /* nullable */);

/* The dynamic user's name for an agent: "shiftd-NAME", shortened with a hash
 * where NAME is long (user names have at most 31 characters). */
char *run_as_dynamic_user_name(const char *agent);
/* A uid in 61184..65519 (systemd's range for dynamic users) for a name:
 * stable for the name, unused by the user and group databases and not in
 * `taken` (a set of uids). `preferred` (the uid the name's files already
 * have, or -1) wins when it is in the range and free. For backends that
 * allocate without systemd. (uid_t)-1 when the range is full. */
uid_t run_as_allocate_uid(const char *name, GHashTable *taken, uid_t preferred);
gboolean run_as_is_dynamic_uid(uid_t uid);
