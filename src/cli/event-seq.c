#include "event-seq.h"

struct CliEventSeq {
  guint32 next;
  GTree *held; /* seq -> CliEvent, all > next - 1 */
};

static gint
compare_seq(gconstpointer a, gconstpointer b, gpointer unused)
{
  guint32 x = GPOINTER_TO_UINT(a), y = GPOINTER_TO_UINT(b);
  return x < y ? -1 : x > y;
}

CliEventSeq *
cli_event_seq_new(guint32 first)
{
  CliEventSeq *seq = g_new0(CliEventSeq, 1);
  seq->next = MAX(first, 1);
  seq->held = g_tree_new_full(compare_seq, NULL, NULL, (GDestroyNotify)cli_event_free);
  return seq;
}

void
cli_event_seq_free(CliEventSeq *seq)
{
  if (seq == NULL)
    return;
  g_tree_unref(seq->held);
  g_free(seq);
}

gboolean
cli_event_seq_offer(CliEventSeq *seq, CliEvent *event)
{
  gpointer key = GUINT_TO_POINTER(event->seq);
  if (event->seq < seq->next || g_tree_lookup_extended(seq->held, key, NULL, NULL)) {
    cli_event_free(event);
    return FALSE;
  }
  g_tree_insert(seq->held, key, event);
  return TRUE;
}

CliEvent *
cli_event_seq_pop(CliEventSeq *seq)
{
  gpointer key = GUINT_TO_POINTER(seq->next);
  gpointer value = NULL;
  if (!g_tree_lookup_extended(seq->held, key, NULL, &value))
    return NULL;
  g_tree_steal(seq->held, key);
  seq->next++;
  return value;
}

guint32
cli_event_seq_next(CliEventSeq *seq)
{
  return seq->next;
}

gboolean
cli_event_seq_gap(CliEventSeq *seq, guint32 *from, guint32 *count)
{
  GTreeNode *first = g_tree_node_first(seq->held);
  if (first == NULL)
    return FALSE;
  guint32 lowest = GPOINTER_TO_UINT(g_tree_node_key(first));
  if (lowest <= seq->next)
    return FALSE;
  *from = seq->next;
  *count = lowest - seq->next;
  return TRUE;
}
