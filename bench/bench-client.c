/* Times shiftd calls against their floors on one sd-bus connection, interleaved
 * so both see the same machine load. Prints medians/p99s and the ratios.
 *
 *   bench-client receipt ADDRESS STATE_DIR N     StartRun vs Ping + fdatasync
 *   bench-client reads ADDRESS RUN_PATH N        GetAll(Run) vs Ping
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define cleanup(f) __attribute__((cleanup(f)))

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
ping(sd_bus *bus)
{
  cleanup(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  cleanup(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_call_method(bus, "org.shiftd.Shift1", "/org/shiftd/Shift1", "org.freedesktop.DBus.Peer", "Ping",
                             &error, &reply, NULL);
  if (r < 0)
    fprintf(stderr, "Ping: %s\n", error.message ? error.message : strerror(-r));
  return r;
}

static int
start_run(sd_bus *bus)
{
  cleanup(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  cleanup(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_call_method(bus, "org.shiftd.Shift1", "/org/shiftd/Shift1", "org.shiftd.Shift1.Manager",
                             "StartRun", &error, &reply, "ssa{sv}", "", "benchmark receipt scenario:queued", 0);
  if (r < 0)
    fprintf(stderr, "StartRun: %s\n", error.message ? error.message : strerror(-r));
  return r;
}

static int
get_all(sd_bus *bus, const char *path)
{
  cleanup(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
  cleanup(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
  int r = sd_bus_call_method(bus, "org.shiftd.Shift1", path, "org.freedesktop.DBus.Properties", "GetAll", &error,
                             &reply, "s", "org.shiftd.Shift1.Run");
  if (r < 0)
    fprintf(stderr, "GetAll: %s\n", error.message ? error.message : strerror(-r));
  return r;
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
connect_bus(const char *address, sd_bus **ret)
{
  sd_bus *bus = NULL;
  int r = sd_bus_new(&bus);
  if (r >= 0)
    r = sd_bus_set_address(bus, address);
  if (r >= 0)
    r = sd_bus_set_bus_client(bus, 1);
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

static int
bench_receipt(sd_bus *bus, const char *state_dir, int n)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/bench-floor.dat", state_dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
    return 1;
  }
  double *t_ping = calloc(n, sizeof(double)), *t_sync = calloc(n, sizeof(double)),
         *t_start = calloc(n, sizeof(double));
  for (int i = 0; i < 100; i++) /* warm up: the store reaches its steady state */
    if (ping(bus) < 0 || start_run(bus) < 0 || small_sync(fd) < 0)
      return 1;
  for (int i = 0; i < n; i++) {
    /* rotate the order so none of the three always follows another */
    for (int k = 0; k < 3; k++) {
      int which = (i + k) % 3;
      double t0 = now_us();
      int r = which == 0 ? ping(bus) : which == 1 ? small_sync(fd) : start_run(bus);
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
  double ratio = m_start / floor_us;
  printf("StartRun receipt: median %.0f us over %d calls\n", m_start, n);
  printf("  floor: Peer.Ping median %.0f us + fdatasync of a small write median %.0f us = %.0f us\n", m_ping, m_sync,
         floor_us);
  printf("  ratio %.2f (target <= 1.50): %s\n", ratio, ratio <= 1.5 ? "met" : "MISSED");
  free(t_ping);
  free(t_sync);
  free(t_start);
  return ratio <= 1.5 ? 0 : 3;
}

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
  double ratio = p_get / p_ping;
  printf("GetAll on a Run while 8 runs are busy: p99 %.0f us (median %.0f us) over %d calls\n", p_get, m_get, n);
  printf("  baseline: Peer.Ping p99 %.0f us (median %.0f us)\n", p_ping, m_ping);
  printf("  ratio %.2f (target <= 5.00): %s\n", ratio, ratio <= 5.0 ? "met" : "MISSED");
  free(t_ping);
  free(t_get);
  return ratio <= 5.0 ? 0 : 3;
}

int
main(int argc, char **argv)
{
  if (argc != 5 || (strcmp(argv[1], "receipt") != 0 && strcmp(argv[1], "reads") != 0)) {
    fprintf(stderr, "usage: %s receipt ADDRESS STATE_DIR N | reads ADDRESS RUN_PATH N\n", argv[0]);
    return 2;
  }
  int n = atoi(argv[4]);
  if (n < 10) {
    fprintf(stderr, "N must be at least 10\n");
    return 2;
  }
  sd_bus *bus = NULL;
  if (connect_bus(argv[2], &bus) < 0)
    return 1;
  int ret = strcmp(argv[1], "receipt") == 0 ? bench_receipt(bus, argv[3], n) : bench_reads(bus, argv[3], n);
  sd_bus_flush_close_unref(bus);
  return ret;
}
