/* What "shiftctl watch" shows, as a pure function of what shiftd said, the
 * clock and the screen: pending decisions first and highlighted, then the
 * runs (live ones first), then the agents. */
#pragma once

#include <glib.h>

typedef struct {
  char *name;
  char *agent;
  char *state;
  char *summary;
  guint64 created;
} WatchRun;

typedef struct {
  char *name;
  char *question;
  char **choices;
  guint64 deadline;
} WatchDecision;

typedef struct {
  char *name;
  char *schedule;
  guint64 next_wake;
  gboolean enabled;
  char *last_state; /* NULL: none or unknown */
} WatchAgent;

typedef struct {
  char *where;   /* "the session bus" */
  char *version; /* shiftd's, "" if unknown */
  char *problem; /* why the view is not current ("shiftd is not running …"), or NULL */
  guint active;
  guint slots;
  guint slots_in_use;
  guint queue_length;
  GPtrArray *runs;      /* WatchRun*, any order */
  GPtrArray *decisions; /* WatchDecision*, any order */
  GPtrArray *agents;    /* WatchAgent*, any order */
} WatchModel;

WatchModel *watch_model_new(void);
void watch_model_free(WatchModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WatchModel, watch_model_free)

WatchRun *watch_run_new(const char *name, const char *agent, const char *state, const char *summary,
                        guint64 created);
WatchDecision *watch_decision_new(const char *name, const char *question, const char *const *choices,
                                  guint64 deadline);
WatchAgent *watch_agent_new(const char *name, const char *schedule, guint64 next_wake, gboolean enabled,
                            const char *last_state);

typedef struct {
  guint64 now;
  GTimeZone *tz;
  guint width;  /* 0: no limit */
  guint height; /* 0: no limit; else the frame has at most this many lines */
  gboolean color;
  const char *answer_flags; /* bus options for the answer hint, "" for the default bus */
} WatchScreen;

/* The frame, lines ending in "\n"; runs are cut (with a count of the rest)
 * to fit height. */
char *watch_render(const WatchModel *model, const WatchScreen *screen);
/* The model as one JSON object (runs, decisions, agents, and the counts). */
char *watch_to_json(const WatchModel *model);
