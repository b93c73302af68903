/* The review beat (Trigger "review"): the model sees the agent's notes so far
 * with the recent results the daemon listed, and the review's result becomes
 * the new notes. The worker does both: the notes live in the agent's own
 * directory, for the agent's user, where the daemon does not reach in. */
#pragma once

#include <glib.h>

#include "hello.h"

/* The task with the notes so far appended. */
char *shiftd_review_task(const ShiftdHello *hello);
/* Replaces the notes with the review's result. */
gboolean shiftd_review_save(const ShiftdHello *hello, const char *result, GError **error);
