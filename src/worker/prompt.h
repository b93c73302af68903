/* The system prompt: how an unattended shiftd agent must behave. */
#pragma once

#include <glib.h>

#include "hello.h"

char *shiftd_prompt_system(const ShiftdHello *hello);
/* The first messages of a fresh run: the system prompt and the task. */
JsonArray *shiftd_prompt_initial_messages(const ShiftdHello *hello);
