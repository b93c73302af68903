/* Work that may block (the user database, directory scans) done on a
 * thread, one job at a time, its result handed back on the main loop: the
 * loop itself never waits for it. */
#pragma once

#include <glib.h>
#include <systemd/sd-event.h>

typedef struct Offload Offload;

/* On the thread: may block; must touch nothing the loop owns. */
typedef void (*OffloadWorkFn)(gpointer job);
/* On the loop, once the work is done; takes the job (frees it). */
typedef void (*OffloadDoneFn)(gpointer job, gpointer user_data);

int offload_new(sd_event *event, Offload **ret);
/* Waits for the job at work; jobs not done yet are dropped with free_job,
 * and no done runs any more. */
void offload_free(Offload *o);

/* Queues job; once queued it is owned here (done or free_job frees it), on
 * failure (negative errno) it stays the caller's. done runs on a later
 * iteration of the loop, never before this returns. */
int offload_queue(Offload *o, gpointer job, OffloadWorkFn work, OffloadDoneFn done, gpointer user_data,
                  GDestroyNotify free_job);
