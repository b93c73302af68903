/* Who may do what. The owner of a run, root, and (for answers) the users and
 * groups its agent's AnswerBy= names are allowed at once, as are (for starting
 * a standing agent's runs) its User= and StartBy=; anyone else only if polkit,
 * asked asynchronously, grants the action. Without polkit on the bus, only
 * those. */
#pragma once

#include <systemd/sd-bus.h>
#include <sys/types.h>

#include "access-rules.h"
#include "caller.h"
#include "daemon.h"


/* allowed: go on; else error holds the reason (AccessDenied or what failed). */
typedef void (*AccessDone)(sd_bus_message *m, gboolean allowed, const sd_bus_error *error, gpointer user_data);

/* Decides for the sender of m about run (for READ, ANSWER, CANCEL) or agent
 * (for START); both NULL for agent management. done may run before this
 * returns (no polkit needed) or later. */
void access_check(Daemon *d, sd_bus_message *m, Run *run, Agent *agent, AccessAction action, AccessDone done,
                  gpointer user_data);

/* Without asking anyone: may m's sender read the run (owner, root, AnswerBy,
 * or a read-foreign grant polkit gave this sender earlier)? For property
 * getters, which cannot wait: from cached credentials only, and FALSE when
 * there are none. */
gboolean access_may_read_now(Daemon *d, sd_bus_message *m, Run *run);
/* A read-foreign grant remembered for this sender. */
gboolean access_has_read_grant(const char *sender);

/* Forgets what polkit said about a connection that left the bus. */
void access_forget_sender(const char *sender);
void access_free(void);
