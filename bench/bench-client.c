/* The C side of shiftd's benchmark (bench/run-bench.py drives it). Every mode
 * times shiftd calls and, where it has one, their baseline in the same process,
 * interleaved, so both see the same machine load. It prints what it measured
 * for a person, and one "RESULT key value" line per figure for run-bench.py.
 * Exit status 0 when it measured, 1 on an error (a failed call, a timeout).
 *
 *   bench-client receipt ADDRESS STATE_DIR N        StartRun vs Ping + fdatasync (sd-bus)
 *   bench-client receipt-gdbus ADDRESS STATE_DIR N  the same through GDBus (Gio)
 *   bench-client reads ADDRESS RUN_PATH N           GetAll(Run) vs Ping, p99
 *   bench-client fsync-rate DIR SECONDS             serial small write + fdatasync per second
 *   bench-client throughput ADDRESS CLIENTS SECONDS receipts/s with CLIENTS connections, one call
 *                                                   in flight each (closed loop)
 *   bench-client fill ADDRESS COUNT SAMPLES_FILE [IN_FLIGHT]
 *                                                   COUNT runs started and cancelled while queued,
 *                                                   pipelined; writes a sample of their names/paths
 *   bench-client history ADDRESS_A SAMPLES_A ADDRESS_B SAMPLES_B N AGENT
 *                                                   per-call medians on two daemons, interleaved:
 *                                                   ListRuns, GetRun, GetAll, GetEvents, TriggerAgent
 *   bench-client store-commit DIR N                 shiftd's store alone (no bus, no daemon): a
 *                                                   receipt's transaction committed, and one row
 *                                                   in a plain SQLite table, vs fdatasync
 *
 * Every call has a timeout (CALL_TIMEOUT_USEC), so nothing here waits forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "run-store.h"
#include "store-file.h"

#define _cleanup_(f) __attribute__((cleanup(f)))

#define BUS_NAME "org.shiftd.Shift1"
#define MANAGER_PATH "/org/shiftd/Shift1"
#define MANAGER_IFACE "org.shiftd.Shift1.Manager"
#define RUN_IFACE "org.shiftd.Shift1.Run"
#define CALL_TIMEOUT_USEC (30ULL * 1000 * 1000)

static double
now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
compare_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double
percentile(double *v, int n, double p)
{
  qsort(v, n, sizeof *v, compare_double);
  int i = (int)(p * (n - 1) + 0.5);
  return v[i];
}

static int
call_failed(const char *what, const sd_bus_error *error, int r)
{
  fprintf(stderr, "%s: %s\n", what, error && error->message ? error->message : strerror(-r));
  return r;
}

/* --- sd-bus calls --- */

static int
ping(sd_bus *bus)
{
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping", &error, &reply, NULL);
  return r < 0 ? call_failed("Ping", &error, r) : r;
}

static int
start_run(sd_bus *bus)
{
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "StartRun", &error, &reply, "ssa{sv}", "",
                             "benchmark receipt scenario:queued", 0);
  return r < 0 ? call_failed("StartRun", &error, r) : r;
}

static int
get_all(sd_bus *bus, const char *path)
{
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_call_method(bus, BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", &error, &reply, "s",
                             RUN_IFACE);
  return r < 0 ? call_failed("GetAll", &error, r) : r;
}

static int
get_run(sd_bus *bus, const char *name)
{
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "GetRun", &error, &reply, "s", name);
  return r < 0 ? call_failed("GetRun", &error, r) : r;
}

static int
get_events(sd_bus *bus, const char *path)
{
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_call_method(bus, BUS_NAME, path, RUN_IFACE, "GetEvents", &error, &reply, "uu", 1, 0);
  return r < 0 ? call_failed("GetEvents", &error, r) : r;
}

/* ListRuns the way a client pages through history: one agent, one state, the
 * newest few. */
static int
list_runs(sd_bus *bus)
{
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "ListRuns", &error, &reply, "a{sv}", 3,
                             "agent", "s", "default", "state", "s", "cancelled", "limit", "u", 20);
  if (r < 0)
    return call_failed("ListRuns", &error, r);
  /* the reply must hold what was asked for, or the figure means nothing */
  r = sd_bus_message_enter_container(reply, 'a', "(ssssto)");
  int n = 0;
  while (r >= 0 && (r = sd_bus_message_skip(reply, "(ssssto)")) > 0)
    n++;
  if (r < 0)
    return call_failed("ListRuns reply", NULL, r);
  if (n != 20) {
    fprintf(stderr, "ListRuns: %d runs in the reply, 20 asked for\n", n);
    return -EBADMSG;
  }
  return 0;
}

/* TriggerAgent, then (untimed, by the caller) Cancel of the run it made, so
 * the history stays what it was. */
static int
trigger_agent(sd_bus *bus, const char *agent, char **ret_path)
{
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "TriggerAgent", &error, &reply, "s", agent);
  if (r < 0)
    return call_failed("TriggerAgent", &error, r);
  const char *name = NULL, *path = NULL;
  r = sd_bus_message_read(reply, "so", &name, &path);
  if (r < 0)
    return call_failed("TriggerAgent reply", NULL, r);
  *ret_path = strdup(path);
  return 0;
}

static int
cancel_run(sd_bus *bus, const char *path)
{
  _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_call_method(bus, BUS_NAME, path, RUN_IFACE, "Cancel", &error, &reply, NULL);
  return r < 0 ? call_failed("Cancel", &error, r) : r;
}

/* The floor's disk part: one small write made durable, as a receipt is. */
static int
small_sync(int fd)
{
  static const char line[] = "a receipt-sized record, about one hundred bytes long, written and synced...\n";
  if (write(fd, line, sizeof line - 1) < 0 || fdatasync(fd) < 0)
    return -errno;
  return 0;
}

static int
open_floor_file(const char *dir, char *path, size_t size)
{
  snprintf(path, size, "%s/bench-floor.dat", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
  return fd;
}

static int
connect_bus(const char *address, sd_bus **ret)
{
  sd_bus *bus = NULL;
  int r = sd_bus_new(&bus);
  if (r >= 0)
    r = sd_bus_set_address(bus, address);
  if (r >= 0)
    r = sd_bus_set_bus_client(bus, 1);
  if (r >= 0)
    r = sd_bus_set_method_call_timeout(bus, CALL_TIMEOUT_USEC);
  if (r >= 0)
    r = sd_bus_start(bus);
  if (r < 0) {
    fprintf(stderr, "cannot connect to %s: %s\n", address, strerror(-r));
    sd_bus_unref(bus);
    return r;
  }
  *ret = bus;
  return 0;
}

/* --- receipt: StartRun against Ping + fdatasync --- */

typedef struct {
  int (*ping)(void *conn);
  int (*start)(void *conn);
  void *conn;
  const char *label; /* for the RESULT keys */
  const char *title;
} ReceiptClient;

static int
sdbus_ping(void *conn)
{
  return ping(conn);
}

static int
sdbus_start(void *conn)
{
  return start_run(conn);
}

static int
bench_receipt(const ReceiptClient *c, const char *state_dir, int n)
{
  char path[4096];
  int fd = open_floor_file(state_dir, path, sizeof path);
  if (fd < 0)
    return 1;
  double *t_ping = calloc(n, sizeof(double)), *t_sync = calloc(n, sizeof(double)),
         *t_start = calloc(n, sizeof(double));
  for (int i = 0; i < 100; i++) /* warm up: the store reaches its steady state */
    if (c->ping(c->conn) < 0 || c->start(c->conn) < 0 || small_sync(fd) < 0)
      return 1;
  for (int i = 0; i < n; i++) {
    /* rotate the order so none of the three always follows another */
    for (int k = 0; k < 3; k++) {
      int which = (i + k) % 3;
      double t0 = now_us();
      int r = which == 0 ? c->ping(c->conn) : which == 1 ? small_sync(fd) : c->start(c->conn);
      double dt = now_us() - t0;
      if (r < 0)
        return 1;
      (which == 0 ? t_ping : which == 1 ? t_sync : t_start)[i] = dt;
    }
  }
  close(fd);
  unlink(path);
  double m_ping = percentile(t_ping, n, 0.5), m_sync = percentile(t_sync, n, 0.5);
  double m_start = percentile(t_start, n, 0.5);
  double floor_us = m_ping + m_sync;
  printf("StartRun receipt (%s): median %.0f us over %d calls\n", c->title, m_start, n);
  printf("  floor: Peer.Ping median %.0f us + fdatasync of a small write median %.0f us = %.0f us; ratio %.2f\n",
         m_ping, m_sync, floor_us, m_start / floor_us);
  printf("RESULT %s.receipt_us %.1f\n", c->label, m_start);
  printf("RESULT %s.ping_us %.1f\n", c->label, m_ping);
  printf("RESULT %s.fdatasync_us %.1f\n", c->label, m_sync);
  free(t_ping);
  free(t_sync);
  free(t_start);
  return 0;
}

/* The same through GDBus, as a GLib/GJS/python-gi client makes its calls. */
static int
gdbus_call(GDBusConnection *conn, const char *iface, const char *method, GVariant *args, const char *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync(conn, BUS_NAME, MANAGER_PATH, iface, method, args, NULL,
                                                          G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                                          (int)(CALL_TIMEOUT_USEC / 1000), NULL, &error);
  if (reply == NULL) {
    fprintf(stderr, "%s: %s\n", what, error->message);
    return -EIO;
  }
  return 0;
}

static int
gdbus_ping(void *conn)
{
  return gdbus_call(conn, "org.freedesktop.DBus.Peer", "Ping", NULL, "Ping");
}

static int
gdbus_start(void *conn)
{
  GVariantBuilder options;
  g_variant_builder_init(&options, G_VARIANT_TYPE("a{sv}"));
  return gdbus_call(conn, MANAGER_IFACE, "StartRun",
                    g_variant_new("(ssa{sv})", "", "benchmark receipt scenario:queued", &options), "StartRun");
}

static int
run_receipt_gdbus(const char *address, const char *state_dir, int n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) conn = g_dbus_connection_new_for_address_sync(
    address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL,
    NULL, &error);
  if (conn == NULL) {
    fprintf(stderr, "cannot connect to %s: %s\n", address, error->message);
    return 1;
  }
  ReceiptClient c = { gdbus_ping, gdbus_start, conn, "gdbus", "GDBus client" };
  int ret = bench_receipt(&c, state_dir, n);
  g_dbus_connection_close_sync(conn, NULL, NULL);
  return ret;
}

/* --- reads: GetAll on a Run under load against Ping, p99 --- */

static int
bench_reads(sd_bus *bus, const char *run_path, int n)
{
  double *t_ping = calloc(n, sizeof(double)), *t_get = calloc(n, sizeof(double));
  for (int i = 0; i < 50; i++)
    if (ping(bus) < 0 || get_all(bus, run_path) < 0)
      return 1;
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < 2; k++) {
      int which = (i + k) % 2;
      double t0 = now_us();
      int r = which == 0 ? ping(bus) : get_all(bus, run_path);
      double dt = now_us() - t0;
      if (r < 0)
        return 1;
      (which == 0 ? t_ping : t_get)[i] = dt;
    }
  }
  double p_ping = percentile(t_ping, n, 0.99), p_get = percentile(t_get, n, 0.99);
  double m_ping = percentile(t_ping, n, 0.5), m_get = percentile(t_get, n, 0.5);
  printf("GetAll on a Run while 8 runs are busy: p99 %.0f us (median %.0f us) over %d calls\n", p_get, m_get, n);
  printf("  baseline: Peer.Ping p99 %.0f us (median %.0f us); ratio %.2f\n", p_ping, m_ping, p_get / p_ping);
  printf("RESULT reads.getall_p99_us %.1f\nRESULT reads.ping_p99_us %.1f\n", p_get, p_ping);
  printf("RESULT reads.getall_median_us %.1f\nRESULT reads.ping_median_us %.1f\n", m_get, m_ping);
  free(t_ping);
  free(t_get);
  return 0;
}

/* --- fsync-rate: the disk's serial commit rate --- */

static int
bench_fsync_rate(const char *dir, double seconds)
{
  char path[4096];
  int fd = open_floor_file(dir, path, sizeof path);
  if (fd < 0)
    return 1;
  for (int i = 0; i < 20; i++)
    if (small_sync(fd) < 0)
      return 1;
  long n = 0;
  double t0 = now_us(), end = t0 + seconds * 1e6, t;
  while ((t = now_us()) < end) {
    if (small_sync(fd) < 0) {
      fprintf(stderr, "fdatasync: %s\n", strerror(errno));
      return 1;
    }
    n++;
  }
  close(fd);
  unlink(path);
  double rate = n / ((t - t0) / 1e6);
  printf("serial small write + fdatasync: %.0f/s\nRESULT fsync_per_s %.1f\n", rate, rate);
  return 0;
}

/* --- asynchronous calls on several connections, one event loop --- */

typedef struct Pump Pump;

typedef struct {
  Pump *pump;
  sd_bus *bus;
  int index;
  char *path; /* fill: the run this slot is cancelling */
} Slot;

struct Pump {
  sd_event *event;
  Slot *slots;
  int n_slots;
  int failed;
  /* throughput */
  double counting_from, counting_until;
  long counted;
  /* fill */
  long to_start, started, finished, total;
  long sample_every;
  FILE *samples;
  double t_start, next_report;
};

static void
pump_fail(Pump *p, const char *what, const sd_bus_error *e, int r)
{
  if (!p->failed)
    call_failed(what, e, r);
  p->failed = 1;
  sd_event_exit(p->event, 1);
}

static int on_receipt(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static int
send_start_run(Slot *s, sd_bus_message_handler_t callback, const char *task)
{
  return sd_bus_call_method_async(s->bus, NULL, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "StartRun", callback, s,
                                  "ssa{sv}", "", task, 0);
}

static int
on_receipt(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  Slot *s = userdata;
  Pump *p = s->pump;
  if (sd_bus_message_is_method_error(m, NULL)) {
    pump_fail(p, "StartRun", sd_bus_message_get_error(m), -EIO);
    return 0;
  }
  double t = now_us();
  if (t >= p->counting_from && t < p->counting_until)
    p->counted++;
  if (t >= p->counting_until)
    return 0; /* this client is done */
  int r = send_start_run(s, on_receipt, "benchmark throughput scenario:queued");
  if (r < 0)
    pump_fail(p, "StartRun", NULL, r);
  return 0;
}

static int
on_deadline(sd_event_source *source, uint64_t usec, void *userdata)
{
  Pump *p = userdata;
  sd_event_exit(p->event, 0);
  return 0;
}

static int
pump_open(Pump *p, const char *address, int n_connections, int n_slots)
{
  int r = sd_event_new(&p->event);
  if (r < 0)
    return r;
  p->slots = calloc(n_slots, sizeof(Slot));
  p->n_slots = n_slots;
  sd_bus *buses[n_connections];
  for (int i = 0; i < n_connections; i++) {
    r = connect_bus(address, &buses[i]);
    if (r < 0)
      return r;
    r = sd_bus_attach_event(buses[i], p->event, 0);
    if (r < 0)
      return r;
  }
  for (int i = 0; i < n_slots; i++)
    p->slots[i] = (Slot){ p, buses[i % n_connections], i, NULL };
  return 0;
}

static void
pump_close(Pump *p, int n_connections)
{
  for (int i = 0; i < n_connections && i < p->n_slots; i++)
    sd_bus_flush_close_unref(p->slots[i].bus);
  for (int i = 0; i < p->n_slots; i++)
    free(p->slots[i].path);
  free(p->slots);
  sd_event_unref(p->event);
}

static int
bench_throughput(const char *address, int clients, double seconds)
{
  Pump p = { 0 };
  if (pump_open(&p, address, clients, clients) < 0)
    return 1;
  const double warmup = 0.3e6;
  double t0 = now_us();
  p.counting_from = t0 + warmup;
  p.counting_until = p.counting_from + seconds * 1e6;
  for (int i = 0; i < clients; i++)
    if (send_start_run(&p.slots[i], on_receipt, "benchmark throughput scenario:queued") < 0)
      return 1;
  uint64_t now;
  sd_event_now(p.event, CLOCK_MONOTONIC, &now);
  /* until the window ends, plus time for the calls in flight to come back */
  sd_event_add_time(p.event, NULL, CLOCK_MONOTONIC, now + (uint64_t)(warmup + seconds * 1e6), 1000, on_deadline, &p);
  int r = sd_event_loop(p.event);
  if (r != 0 || p.failed) {
    fprintf(stderr, "throughput: %s\n", p.failed ? "a call failed" : strerror(-r));
    return 1;
  }
  double rate = p.counted / seconds;
  printf("receipts with %d concurrent client(s): %.0f/s\nRESULT receipts_per_s %.1f\n", clients, rate, rate);
  pump_close(&p, clients);
  return 0;
}

/* --- fill: history through the API --- */

static int fill_next(Slot *s);

static int
on_cancelled(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  Slot *s = userdata;
  Pump *p = s->pump;
  if (sd_bus_message_is_method_error(m, NULL)) {
    pump_fail(p, "Cancel", sd_bus_message_get_error(m), -EIO);
    return 0;
  }
  p->finished++;
  free(s->path);
  s->path = NULL;
  double t = now_us();
  if (t >= p->next_report) {
    fprintf(stderr, "  filled %ld of %ld runs (%.0f/s)\n", p->finished, p->total,
            p->finished / ((t - p->t_start) / 1e6));
    p->next_report = t + 5e6;
  }
  if (p->finished == p->total) {
    sd_event_exit(p->event, 0);
    return 0;
  }
  if (fill_next(s) < 0)
    pump_fail(p, "StartRun", NULL, -EIO);
  return 0;
}

static int
on_filled_receipt(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  Slot *s = userdata;
  Pump *p = s->pump;
  if (sd_bus_message_is_method_error(m, NULL)) {
    pump_fail(p, "StartRun", sd_bus_message_get_error(m), -EIO);
    return 0;
  }
  const char *name = NULL, *path = NULL;
  int r = sd_bus_message_read(m, "so", &name, &path);
  if (r < 0) {
    pump_fail(p, "StartRun reply", NULL, r);
    return 0;
  }
  p->started++;
  if (p->samples && p->started % p->sample_every == 0)
    fprintf(p->samples, "%s %s\n", name, path);
  s->path = strdup(path);
  r = sd_bus_call_method_async(s->bus, NULL, BUS_NAME, path, RUN_IFACE, "Cancel", on_cancelled, s, NULL);
  if (r < 0)
    pump_fail(p, "Cancel", NULL, r);
  return 0;
}

static int
fill_next(Slot *s)
{
  Pump *p = s->pump;
  if (p->to_start == 0)
    return 0;
  p->to_start--;
  return send_start_run(s, on_filled_receipt, "benchmark history scenario:queued");
}

static int
bench_fill(const char *address, long count, const char *samples_path, int in_flight)
{
  /* dbus-daemon allows each connection 128 calls awaiting replies by default */
  int connections = (in_flight + 63) / 64;
  Pump p = { 0 };
  if (pump_open(&p, address, connections, in_flight) < 0)
    return 1;
  p.samples = fopen(samples_path, "we");
  if (p.samples == NULL) {
    fprintf(stderr, "cannot write %s: %s\n", samples_path, strerror(errno));
    return 1;
  }
  p.total = p.to_start = count;
  p.sample_every = count >= 200 ? count / 200 : 1;
  p.t_start = now_us();
  p.next_report = p.t_start + 5e6;
  for (int i = 0; i < in_flight && i < count; i++)
    if (fill_next(&p.slots[i]) < 0)
      return 1;
  int r = sd_event_loop(p.event);
  double dt = (now_us() - p.t_start) / 1e6;
  fclose(p.samples);
  if (r != 0 || p.failed) {
    fprintf(stderr, "fill: %s after %ld runs\n", p.failed ? "a call failed" : strerror(-r), p.finished);
    return 1;
  }
  printf("filled %ld runs (started, cancelled while queued) in %.1f s: %.0f/s with %d calls in flight\n", count, dt,
         count / dt, in_flight);
  printf("RESULT fill_per_s %.1f\nRESULT fill_s %.2f\n", count / dt, dt);
  pump_close(&p, connections);
  return 0;
}

/* --- history: the same calls on a small and a large history, interleaved --- */

typedef struct {
  char **names, **paths;
  int n;
} Samples;

static int
read_samples(const char *file, Samples *s)
{
  FILE *f = fopen(file, "re");
  if (f == NULL) {
    fprintf(stderr, "cannot read %s: %s\n", file, strerror(errno));
    return -errno;
  }
  char name[512], path[1024];
  int cap = 0;
  while (fscanf(f, "%511s %1023s", name, path) == 2) {
    if (s->n == cap) {
      cap = cap ? cap * 2 : 256;
      s->names = realloc(s->names, cap * sizeof(char *));
      s->paths = realloc(s->paths, cap * sizeof(char *));
    }
    s->names[s->n] = strdup(name);
    s->paths[s->n] = strdup(path);
    s->n++;
  }
  fclose(f);
  if (s->n == 0) {
    fprintf(stderr, "%s holds no runs\n", file);
    return -ENOENT;
  }
  return 0;
}

enum { OP_LIST, OP_GET_RUN, OP_GET_ALL, OP_GET_EVENTS, OP_TRIGGER, N_OPS };
static const char *const op_names[N_OPS] = { "ListRuns", "GetRun", "GetAll", "GetEvents", "TriggerAgent" };
static const char *const op_keys[N_OPS] = { "list_runs", "get_run", "get_all", "get_events", "trigger_agent" };

static int
history_op(int op, sd_bus *bus, const Samples *s, int i, const char *agent, double *dt)
{
  int k = i % s->n;
  char *triggered = NULL;
  double t0 = now_us();
  int r = op == OP_LIST        ? list_runs(bus)
          : op == OP_GET_RUN   ? get_run(bus, s->names[k])
          : op == OP_GET_ALL   ? get_all(bus, s->paths[k])
          : op == OP_GET_EVENTS ? get_events(bus, s->paths[k])
                               : trigger_agent(bus, agent, &triggered);
  *dt = now_us() - t0;
  if (r >= 0 && triggered)
    r = cancel_run(bus, triggered);
  free(triggered);
  return r;
}

static int
bench_history(const char *addr_a, const char *samples_a, const char *addr_b, const char *samples_b, int n,
              const char *agent)
{
  Samples s[2] = { 0 };
  sd_bus *bus[2] = { NULL, NULL };
  if (read_samples(samples_a, &s[0]) < 0 || read_samples(samples_b, &s[1]) < 0 || connect_bus(addr_a, &bus[0]) < 0 ||
      connect_bus(addr_b, &bus[1]) < 0)
    return 1;
  double *t[N_OPS][2];
  for (int op = 0; op < N_OPS; op++)
    for (int d = 0; d < 2; d++)
      t[op][d] = calloc(n, sizeof(double));
  double dt;
  for (int i = 0; i < 20; i++) /* warm up */
    for (int op = 0; op < N_OPS; op++)
      for (int d = 0; d < 2; d++)
        if (history_op(op, bus[d], &s[d], i * 7, agent, &dt) < 0)
          return 1;
  for (int i = 0; i < n; i++)
    for (int op = 0; op < N_OPS; op++)
      for (int k = 0; k < 2; k++) {
        int d = (i + op + k) % 2; /* neither daemon always goes first */
        if (history_op(op, bus[d], &s[d], i, agent, &t[op][d][i]) < 0) {
          fprintf(stderr, "history: %s on daemon %c failed\n", op_names[op], 'A' + d);
          return 1;
        }
      }
  for (int op = 0; op < N_OPS; op++) {
    double a = percentile(t[op][0], n, 0.5), b = percentile(t[op][1], n, 0.5);
    printf("%-13s median %8.0f us (A) %8.0f us (B)  B/A %.2f\n", op_names[op], a, b, b / a);
    printf("RESULT a.%s_us %.1f\nRESULT b.%s_us %.1f\n", op_keys[op], a, op_keys[op], b);
  }
  for (int d = 0; d < 2; d++)
    sd_bus_flush_close_unref(bus[d]);
  return 0;
}

/* --- store-commit: what the receipt's durable write costs by itself --- */

static void
store_committed(gpointer user_data, const GError *error)
{
  int *result = user_data;
  *result = error ? -EIO : 1;
  if (error)
    fprintf(stderr, "store commit: %s\n", error->message);
}

/* The transaction engine_start_run() commits for a receipt, through the same
 * store code (its writer thread and eventfd included), waited for as the
 * daemon's main loop waits: poll on the notify fd, then dispatch. */
static int
store_receipt(ShiftdStore *store, GRand *rand, guint64 seq)
{
  g_autoptr(ShiftdRunRow) row = shiftd_run_row_new();
  g_free(row->name);
  row->name = g_strdup_printf("run-%08x%08" G_GINT64_MODIFIER "x", g_rand_int(rand), seq);
  shiftd_set_string(&row->agent, "default");
  shiftd_set_string(&row->task, "benchmark receipt scenario:queued");
  shiftd_set_string(&row->summary, "queued");
  row->created_at = row->updated_at = g_get_real_time();
  row->max_steps = 20;
  row->timeout_usec = (guint64)3600 * G_USEC_PER_SEC;
  ShiftdStoreTxn *txn = shiftd_store_txn_new();
  shiftd_store_txn_put_run(txn, row, TRUE);
  shiftd_store_txn_put_task(txn, row->name, row->task);
  shiftd_store_txn_add_event(txn, row->name, 1, row->created_at, "created",
                             "{\"agent\":\"default\",\"trigger\":\"manual\",\"owner\":0,"
                             "\"task\":\"benchmark receipt scenario:queued\",\"max_steps\":20,"
                             "\"timeout_usec\":3600000000}");
  int result = 0;
  shiftd_store_commit(store, txn, store_committed, &result);
  struct pollfd p = { .fd = shiftd_store_get_notify_fd(store), .events = POLLIN };
  while (result == 0) {
    if (poll(&p, 1, CALL_TIMEOUT_USEC / 1000) <= 0) {
      fprintf(stderr, "store commit: no completion within %d s\n", (int)(CALL_TIMEOUT_USEC / G_USEC_PER_SEC));
      return -ETIMEDOUT;
    }
    shiftd_store_dispatch(store);
  }
  return result < 0 ? result : 0;
}

/* The least any SQLite store does for a receipt: one ~200-byte row into one
 * table with no index, WAL, synchronous=FULL, on this thread. */
static sqlite3 *
plain_db_open(const char *state)
{
  g_autofree char *path = g_build_filename(state, "plain.db", NULL);
  sqlite3 *db = NULL;
  if (sqlite3_open(path, &db) != SQLITE_OK ||
      sqlite3_exec(db,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                   "CREATE TABLE IF NOT EXISTS receipts(id INTEGER PRIMARY KEY, record TEXT NOT NULL);",
                   NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "plain SQLite store in %s: %s\n", state, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return NULL;
  }
  return db;
}

static int
plain_receipt(sqlite3 *db)
{
  static const char sql[] = "INSERT INTO receipts(record) VALUES('{\"name\":\"run-7k2m\",\"agent\":\"default\","
                            "\"state\":\"queued\",\"trigger\":\"manual\",\"owner\":0,"
                            "\"task\":\"benchmark receipt scenario:queued\",\"max_steps\":20,"
                            "\"timeout_usec\":3600000000}')";
  char *error = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &error) != SQLITE_OK) {
    fprintf(stderr, "plain SQLite commit: %s\n", error);
    sqlite3_free(error);
    return -EIO;
  }
  return 0;
}

static int
bench_store_commit(const char *dir, int n)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state = g_build_filename(dir, "store-commit", NULL);
  if (g_mkdir_with_parents(state, 0700) < 0) {
    fprintf(stderr, "cannot make %s: %s\n", state, g_strerror(errno));
    return 1;
  }
  g_autoptr(ShiftdStore) store = shiftd_store_open(state, &error);
  if (store == NULL) {
    fprintf(stderr, "cannot open a store in %s: %s\n", state, error->message);
    return 1;
  }
  sqlite3 *plain = plain_db_open(state);
  if (plain == NULL)
    return 1;
  char path[4096];
  int fd = open_floor_file(state, path, sizeof path);
  if (fd < 0)
    return 1;
  g_autoptr(GRand) rand = g_rand_new();
  double *t[3] = { calloc(n, sizeof(double)), calloc(n, sizeof(double)), calloc(n, sizeof(double)) };
  guint64 seq = 0;
  for (int i = 0; i < 100; i++)
    if (store_receipt(store, rand, seq++) < 0 || plain_receipt(plain) < 0 || small_sync(fd) < 0)
      return 1;
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < 3; k++) {
      int which = (i + k) % 3;
      double t0 = now_us();
      int r = which == 0 ? store_receipt(store, rand, seq++) : which == 1 ? plain_receipt(plain) : small_sync(fd);
      double dt = now_us() - t0;
      if (r < 0)
        return 1;
      t[which][i] = dt;
    }
  }
  close(fd);
  unlink(path);
  sqlite3_close(plain);
  double m_commit = percentile(t[0], n, 0.5), m_plain = percentile(t[1], n, 0.5), m_sync = percentile(t[2], n, 0.5);
  printf("store commit of a receipt (no bus): median %.0f us over %d; plain SQLite commit of one row %.0f us;"
         " fdatasync of a small write %.0f us; ratios %.2f and %.2f\n",
         m_commit, n, m_plain, m_sync, m_commit / m_sync, m_plain / m_sync);
  printf("RESULT store.commit_us %.1f\nRESULT store.plain_us %.1f\nRESULT store.fdatasync_us %.1f\n", m_commit,
         m_plain, m_sync);
  for (int i = 0; i < 3; i++)
    free(t[i]);
  return 0;
}

int
main(int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "";
  setvbuf(stdout, NULL, _IOLBF, 0);
  if ((g_str_equal(mode, "receipt") || g_str_equal(mode, "receipt-gdbus") || g_str_equal(mode, "reads")) &&
      argc == 5) {
    int n = atoi(argv[4]);
    if (n < 10) {
      fprintf(stderr, "N must be at least 10\n");
      return 2;
    }
    if (g_str_equal(mode, "receipt-gdbus"))
      return run_receipt_gdbus(argv[2], argv[3], n);
    sd_bus *bus = NULL;
    if (connect_bus(argv[2], &bus) < 0)
      return 1;
    ReceiptClient c = { sdbus_ping, sdbus_start, bus, "sdbus", "sd-bus client" };
    int ret = g_str_equal(mode, "receipt") ? bench_receipt(&c, argv[3], n) : bench_reads(bus, argv[3], n);
    sd_bus_flush_close_unref(bus);
    return ret;
  }
  if (g_str_equal(mode, "store-commit") && argc == 4 && atoi(argv[3]) >= 10)
    return bench_store_commit(argv[2], atoi(argv[3]));
  if (g_str_equal(mode, "fsync-rate") && argc == 4)
    return bench_fsync_rate(argv[2], atof(argv[3]));
  if (g_str_equal(mode, "throughput") && argc == 5 && atoi(argv[3]) > 0)
    return bench_throughput(argv[2], atoi(argv[3]), atof(argv[4]));
  if (g_str_equal(mode, "fill") && (argc == 5 || argc == 6) && atol(argv[3]) > 0)
    return bench_fill(argv[2], atol(argv[3]), argv[4], argc == 6 ? atoi(argv[5]) : 128);
  if (g_str_equal(mode, "history") && argc == 8 && atoi(argv[6]) >= 10)
    return bench_history(argv[2], argv[3], argv[4], argv[5], atoi(argv[6]), argv[7]);
  fprintf(stderr,
          "usage: %s receipt|receipt-gdbus ADDRESS STATE_DIR N | reads ADDRESS RUN_PATH N |\n"
          "       fsync-rate DIR SECONDS | throughput ADDRESS CLIENTS SECONDS |\n"
          "       fill ADDRESS COUNT SAMPLES_FILE [IN_FLIGHT] |\n"
          "       history ADDRESS_A SAMPLES_A ADDRESS_B SAMPLES_B N AGENT | store-commit DIR N\n",
          argv[0]);
  return 2;
}
