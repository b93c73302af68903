/* Run names: short, typable, valid once escaped as a D-Bus path element. */
#pragma once

#include <glib.h>

#define SHIFTD_RUN_NAME_MAX 64

/* "<agent prefix>-<suffix_len random characters>", e.g. "triage-7k2m". */
char *shiftd_run_name_generate(const char *agent, guint suffix_len, GRand *rand);
gboolean shiftd_run_name_is_valid(const char *name);
