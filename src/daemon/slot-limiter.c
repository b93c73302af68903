#include "slot-limiter.h"

struct SlotLimiter {
  guint slots;
  GHashTable *holders;
  GQueue queue;
  SlotGrantFn grant;
  SlotChangedFn changed;
  gpointer user_data;
};

SlotLimiter *
slot_limiter_new(guint slots, SlotGrantFn grant, SlotChangedFn changed, gpointer user_data)
{
  SlotLimiter *l = g_new0(SlotLimiter, 1);
  l->slots = MAX(slots, 1);
  l->holders = g_hash_table_new(NULL, NULL);
  l->grant = grant;
  l->changed = changed;
  l->user_data = user_data;
  return l;
}

void
slot_limiter_free(SlotLimiter *l)
{
  if (l == NULL)
    return;
  g_hash_table_unref(l->holders);
  g_queue_clear(&l->queue);
  g_free(l);
}

static void
grant_waiting(SlotLimiter *l)
{
  while (g_hash_table_size(l->holders) < l->slots && !g_queue_is_empty(&l->queue)) {
    gpointer w = g_queue_pop_head(&l->queue);
    g_hash_table_add(l->holders, w);
    l->grant(w, l->user_data);
  }
}

gboolean
slot_limiter_request(SlotLimiter *l, gpointer waiter)
{
  if (g_hash_table_contains(l->holders, waiter) || g_queue_find(&l->queue, waiter))
    return FALSE;
  g_queue_push_tail(&l->queue, waiter);
  grant_waiting(l);
  l->changed(l->user_data);
  return TRUE;
}

gboolean
slot_limiter_release(SlotLimiter *l, gpointer waiter)
{
  gboolean held = g_hash_table_remove(l->holders, waiter);
  gboolean queued = g_queue_remove(&l->queue, waiter);
  if (!held && !queued)
    return FALSE;
  grant_waiting(l);
  l->changed(l->user_data);
  return TRUE;
}

guint
slot_limiter_get_slots(SlotLimiter *l)
{
  return l->slots;
}

guint
slot_limiter_get_in_use(SlotLimiter *l)
{
  return g_hash_table_size(l->holders);
}

guint
slot_limiter_get_queue_length(SlotLimiter *l)
{
  return g_queue_get_length(&l->queue);
}

guint
slot_limiter_get_position(SlotLimiter *l, gpointer waiter)
{
  int i = g_queue_index(&l->queue, waiter);
  return i < 0 ? 0 : (guint)i + 1;
}

GList *
slot_limiter_get_queue(SlotLimiter *l)
{
  return l->queue.head;
}
