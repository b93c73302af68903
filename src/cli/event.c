#include "event.h"

#include "json-util.h"

CliEvent *
cli_event_new(guint32 seq, guint64 time, const char *kind, const char *json)
{
  CliEvent *event = g_new0(CliEvent, 1);
  event->seq = seq;
  event->time = time;
  event->kind = g_strdup(kind ? kind : "");
  event->json = g_strdup(json ? json : "");
  return event;
}

void
cli_event_free(CliEvent *event)
{
  if (event == NULL)
    return;
  g_free(event->kind);
  g_free(event->json);
  g_free(event);
}

CliEvent *
cli_event_new_from_variant(GVariant *tuple)
{
  guint32 seq;
  guint64 time;
  const char *kind, *json;
  g_variant_get(tuple, "(ut&s&s)", &seq, &time, &kind, &json);
  return cli_event_new(seq, time, kind, json);
}

JsonObject *
cli_event_to_json(const CliEvent *event)
{
  JsonObject *object = json_object_new();
  json_object_set_int_member(object, "seq", event->seq);
  json_object_set_int_member(object, "time", (gint64)event->time);
  json_object_set_string_member(object, "kind", event->kind);
  JsonNode *data = shiftd_json_parse(event->json, -1, NULL);
  if (data == NULL)
    data = json_node_init_string(json_node_alloc(), event->json);
  json_object_set_member(object, "data", data);
  return object;
}
