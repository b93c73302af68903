/* One entry of a run's event list, as GetEvents and the Event signal carry it. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "shiftd-names.h"

typedef struct {
  guint32 seq;
  guint64 time;
  char *kind;
  char *json;
} CliEvent;

/* What an Event signal carries on the system bus instead of the content. */
#define CLI_EVENT_REDACTED SHIFTD_EVENT_REDACTED

CliEvent *cli_event_new(guint32 seq, guint64 time, const char *kind, const char *json);
void cli_event_free(CliEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliEvent, cli_event_free)

/* From a "(utss)" tuple. */
CliEvent *cli_event_new_from_variant(GVariant *tuple);
/* {"seq","time","kind","data"}: data is the parsed json, or the raw text if it does not parse. */
JsonObject *cli_event_to_json(const CliEvent *event);
