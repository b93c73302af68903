/* What a backend needs to start one attempt, the same for both backends: as
 * whom the worker runs, what it may write, and what it must not see. */
#pragma once

#include <glib.h>

#include "agent.h"
#include "daemon.h"
#include "run-as.h"

typedef struct {
  RunAs *run_as;
  const AgentConfig *config; /* limits and ReadWritePaths= (not owned) */
  /* The agent's workspace and notes, where the daemon keeps them
   * (STATE_DIR/workspace/HOME, STATE_DIR/notes/HOME), or NULL... */
  char *workspace;
  char *notes_dir;
  /* ...or, where systemd switches users, the unit's StateDirectory=
   * ("shiftd-agents/HOME"), which holds both; NULL otherwise. */
  char *state_directory;
  /* What the worker must not see: the daemon's state dir (an empty one in its
   * place that it may pass through but not list, with the workspace and
   * notes bound into it), its config dir (an empty one it may not enter) and
   * the API key file (an empty file of mode 0000 in its place, hidden_node). */
  char *hide_state_dir;
  GPtrArray *hide_dirs;
  GPtrArray *hide_files;
  char *hidden_node;
  gboolean private_network;
  const char *confine_error; /* the backend cannot confine it: why (not owned) */
} LaunchSpec;

void launch_spec_free(LaunchSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LaunchSpec, launch_spec_free)

/* Works out the attempt's identity and view, and makes the workspace and notes
 * directories the daemon keeps (owned by the run's user, 0700). Call
 * launch_spec_prepare() first: then it reads no user database. */
LaunchSpec *launch_spec_new(Daemon *d, Agent *agent, Run *run, GError **error);

/* What the attempt needs of the user database (the caller a default-agent
 * run works as; the uid the daemon gives an agent of its own) is looked up
 * on a thread, never on the loop. TRUE when it is at hand; else FALSE, and
 * ready runs on the loop once it is, with the run's name (and error set when
 * it cannot be had). */
typedef void (*LaunchSpecReady)(Daemon *d, const char *run_name, const GError *error);
gboolean launch_spec_prepare(Daemon *d, Agent *agent, Run *run, LaunchSpecReady ready);
/* At exit: waits for a look-up at work and forgets the rest. */
void launch_spec_forget(void);

/* The hello's "settings" member. */
void launch_spec_fill_settings(const LaunchSpec *spec, Agent *agent, Run *run, JsonObject *settings);
