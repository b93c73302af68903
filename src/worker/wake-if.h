/* WakeIf=: the cheap precheck a standing agent runs before it calls the model. */
#pragma once

#include <json-glib/json-glib.h>

#include "daemon-link.h"
#include "hello.h"

/* Runs hello->wake_if. Work to do: TRUE with *ending NULL. Nothing to do:
 * TRUE with a no_work ending. FALSE only with the link's errors. */
gboolean shiftd_wake_if_check(const ShiftdHello *hello, ShiftdLink *link, JsonObject **ending, GError **error);
