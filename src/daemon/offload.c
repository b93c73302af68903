#include "offload.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct {
  gpointer job;
  OffloadWorkFn work;
  OffloadDoneFn done;
  gpointer user_data;
  GDestroyNotify free_job;
} Job;

struct Offload {
  GThreadPool *pool;
  GAsyncQueue *finished; /* Job*, worked on, waiting for the loop */
  int event_fd;          /* written when a job joins `finished` */
  sd_event_source *source;
};

static void
job_drop(gpointer data)
{
  Job *j = data;
  if (j->free_job)
    j->free_job(j->job);
  g_free(j);
}

static void
work_one(gpointer data, gpointer user_data)
{
  Offload *o = user_data;
  Job *j = data;
  j->work(j->job);
  g_async_queue_push(o->finished, j);
  uint64_t one = 1;
  /* only fails when the counter is full, and then the loop is awake anyway */
  ssize_t n = write(o->event_fd, &one, sizeof one);
  (void)n;
}

static int
on_finished(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
  Offload *o = userdata;
  uint64_t count;
  /* read first: a job finished after this wakes us again */
  ssize_t n = read(o->event_fd, &count, sizeof count);
  (void)n;
  Job *j;
  while ((j = g_async_queue_try_pop(o->finished)) != NULL) {
    j->done(j->job, j->user_data);
    g_free(j);
  }
  return 0;
}

int
offload_new(sd_event *event, Offload **ret)
{
  Offload *o = g_new0(Offload, 1);
  o->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (o->event_fd < 0) {
    int r = -errno;
    g_free(o);
    return r;
  }
  int r = sd_event_add_io(event, &o->source, o->event_fd, EPOLLIN, on_finished, o);
  if (r < 0) {
    close(o->event_fd);
    g_free(o);
    return r;
  }
  o->finished = g_async_queue_new();
  /* one thread: the user database's non-reentrant calls never race each other */
  o->pool = g_thread_pool_new_full(work_one, o, job_drop, 1, FALSE, NULL);
  *ret = o;
  return 0;
}

void
offload_free(Offload *o)
{
  if (o == NULL)
    return;
  g_thread_pool_free(o->pool, TRUE, TRUE);
  Job *j;
  while ((j = g_async_queue_try_pop(o->finished)) != NULL)
    job_drop(j);
  g_async_queue_unref(o->finished);
  sd_event_source_disable_unref(o->source);
  close(o->event_fd);
  g_free(o);
}

int
offload_queue(Offload *o, gpointer job, OffloadWorkFn work, OffloadDoneFn done, gpointer user_data,
              GDestroyNotify free_job)
{
  Job *j = g_new0(Job, 1);
  j->job = job;
  j->work = work;
  j->done = done;
  j->user_data = user_data;
  j->free_job = free_job;
  g_autoptr(GError) error = NULL;
  if (!g_thread_pool_push(o->pool, j, &error)) {
    /* the job stays the caller's */
    g_free(j);
    return -EAGAIN;
  }
  return 0;
}
