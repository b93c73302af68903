/* The "two stoves": at most N model calls at once across all runs, granted
 * first come, first served. */
#pragma once

#include <glib.h>

typedef struct SlotLimiter SlotLimiter;

/* Called when a waiter gets its slot. */
typedef void (*SlotGrantFn)(gpointer waiter, gpointer user_data);
/* Called when in-use count, queue length or queue positions changed. */
typedef void (*SlotChangedFn)(gpointer user_data);

SlotLimiter *slot_limiter_new(guint slots, SlotGrantFn grant, SlotChangedFn changed, gpointer user_data);
void slot_limiter_free(SlotLimiter *l);

/* Queues waiter (or grants at once). A waiter may hold or wait for one slot at
 * a time: FALSE (and nothing done) when it already does. */
gboolean slot_limiter_request(SlotLimiter *l, gpointer waiter);
/* Gives back a held slot, or leaves the queue; FALSE when it did neither. */
gboolean slot_limiter_release(SlotLimiter *l, gpointer waiter);

guint slot_limiter_get_slots(SlotLimiter *l);
guint slot_limiter_get_in_use(SlotLimiter *l);
guint slot_limiter_get_queue_length(SlotLimiter *l);
/* 1-based place in the queue, 0 when not waiting. */
guint slot_limiter_get_position(SlotLimiter *l, gpointer waiter);
/* Waiters in queue order (not owned). */
GList *slot_limiter_get_queue(SlotLimiter *l);
