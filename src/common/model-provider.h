/* Which model API a run speaks: [Model] Provider= and an agent's Provider=. */
#pragma once

#include <glib.h>

#include "ini-file.h"

typedef enum {
  SHIFTD_PROVIDER_UNSET = 0, /* an agent that says nothing: [Model] Provider= decides */
  SHIFTD_PROVIDER_OPENAI,    /* Chat Completions */
  SHIFTD_PROVIDER_ANTHROPIC, /* the Messages API */
} ShiftdProvider;

/* "openai", "anthropic"; NULL for UNSET or anything else. */
const char *shiftd_provider_to_string(ShiftdProvider provider);
/* UNSET for NULL or a name that is not one of the above (exact, lower case). */
ShiftdProvider shiftd_provider_from_string(const char *name);

/* What the key takes, for error messages. */
#define SHIFTD_PROVIDER_CHOICES "openai or anthropic"

/* [group] Provider= ([Model] in shiftd.conf, [Agent] in an agent file) into
 * out, left as it is when the key is not there; a bad value is the entry's
 * error (file, line, what it takes). */
gboolean shiftd_ini_get_provider(ShiftdIniFile *ini, const char *group, ShiftdProvider *out, GError **error);
