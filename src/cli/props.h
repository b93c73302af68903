/* Reading a GetAll a{sv} dictionary. Missing or mistyped entries read as
 * empty, so a daemon with fewer properties still shows what it has. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

const char *cli_props_str(GVariant *props, const char *key);
guint32 cli_props_u32(GVariant *props, const char *key);
guint64 cli_props_u64(GVariant *props, const char *key);
gboolean cli_props_has(GVariant *props, const char *key, const char *type);
/* A copy, never NULL; free with g_strfreev. */
char **cli_props_strv(GVariant *props, const char *key);

/* "DecisionDeadline" -> "decision_deadline" */
char *cli_snake_case(const char *name);
/* Every entry under its snake_case name. */
JsonObject *cli_props_to_json(GVariant *props);
