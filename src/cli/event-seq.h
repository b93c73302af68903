/* Puts events from history pages and live signals into one ordered stream:
 * each seq once, in order, with gaps noticed so they can be fetched. */
#pragma once

#include <glib.h>

#include "event.h"

typedef struct CliEventSeq CliEventSeq;

/* The stream starts at seq first (1, or --from). */
CliEventSeq *cli_event_seq_new(guint32 first);
void cli_event_seq_free(CliEventSeq *seq);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CliEventSeq, cli_event_seq_free)

/* Takes event; FALSE (and frees it) when its seq was already seen. */
gboolean cli_event_seq_offer(CliEventSeq *seq, CliEvent *event);
/* The next event in order, or NULL until it has been offered. */
CliEvent *cli_event_seq_pop(CliEventSeq *seq);
/* The seq the stream waits for. */
guint32 cli_event_seq_next(CliEventSeq *seq);
/* TRUE when later events are held but next is missing: [*from, *from + *count) is the gap. */
gboolean cli_event_seq_gap(CliEventSeq *seq, guint32 *from, guint32 *count);
