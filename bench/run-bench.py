#!/usr/bin/python3
"""shiftd's benchmark: every figure is a ratio against a baseline measured side
by side in the same run (these machines are shared and noisy, so absolute
numbers mean little). docs/performance.md says what each row means.

A. StartRun (the receipt) against its floor: a Peer.Ping round trip on the same
   connection plus one fdatasync of a small write in the state dir. With the
   sd-bus C client (target: median <= 1.3 x the floor) and with a GDBus client;
   and, for what the floor leaves out, the receipt's transaction through
   shiftd's store alone (no bus) and a plain one-row SQLite commit, each
   against fdatasync.
B. GetAll on a Run while 8 runs are busy, against Ping alone (target: p99 <= 5 x).
C. Receipts per second with 1, 8 and 32 concurrent clients, against serial
   fdatasyncs per second on the same filesystem and against Celery task
   submission (apply_async) to Redis with appendfsync always, at the same
   concurrency (no targets: the figures are for comparison).
D. A small and a large history of finished runs (1k and 100k), made through the
   API: ListRuns, GetRun, GetAll, GetEvents and TriggerAgent each within 1.3 x
   of the small history's figure; and at the large one: GetManagedObjects reply
   under 1 MiB, start-up (exec to READY=1, sent once the bus name is owned)
   under 100 ms, RSS after start-up under 32 MiB.

Usage: bench/run-bench.py [--build DIR] [--history N] [--quick] ...
       (from the source tree, after meson compile; or meson test --benchmark)
Exit status: 0 when every target is met, 3 when one is missed (a measurement
that failed counts as missed), 1 on an error of the bench itself.
"""

import argparse
import importlib.util
import os
import platform
import select
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, ".."))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", help="the build tree (default: $SHIFTD_BUILD_ROOT, else ./build)")
    ap.add_argument("--client", help="bench-client (default: BUILD/bench/bench-client)")
    ap.add_argument("--calls", type=int, default=400, help="timed calls per latency figure (default 400)")
    ap.add_argument("--history", type=int, default=100000, help="runs in the large history (default 100000)")
    ap.add_argument("--small-history", type=int, default=1000, help="runs in the small history (default 1000)")
    ap.add_argument("--seconds", type=float, default=1.0, help="length of one throughput window (default 1)")
    ap.add_argument("--rounds", type=int, default=5, help="throughput rounds; medians are quoted (default 5)")
    ap.add_argument("--starts", type=int, default=5, help="daemon starts timed per history (default 5)")
    ap.add_argument("--quick", action="store_true",
                    help="a short run: --calls 100 --history 10000 --rounds 1 --seconds 0.5 --starts 3")
    ap.add_argument("--only", default="ABCD", help="sections to run, e.g. AD (default ABCD)")
    ap.add_argument("--tmpdir", help="where the state dirs go (default: the tests' place in the build tree); "
                                     "its filesystem is the one measured")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, stores)")
    args = ap.parse_args()
    if args.quick:
        args.calls, args.history, args.rounds, args.seconds, args.starts = 100, 10000, 1, 0.5, 3
    if args.build:
        os.environ["SHIFTD_BUILD_ROOT"] = os.path.abspath(args.build)
    return args


ARGS = parse_args()
sys.dont_write_bytecode = True  # nothing of ours in the source tree's tests/
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
os.environ.setdefault("SHIFTD_SOURCE_ROOT", SOURCE)

import harness  # noqa: E402
from harness import Client, PrivateBus, Process, Shiftd, Standin, GLib, Gio  # noqa: E402

CALL_TIMEOUT = 120        # seconds: any one bench-client invocation, fill excepted
FILL_RUNS_PER_S_FLOOR = 500  # the fill's own time bound assumes at least this rate
LARGE_MESSAGE_TIMEOUT_MS = 60000
# One worker at most, and the blocker's model call (the stand-in hangs) is never given up
# on: it holds that worker for the whole bench, so every further run stays queued.
BLOCKED = {"Limits": {"MaxActiveRuns": "1"}, "Model": {"Timeout": "1h", "Retries": "0"}}
SETTLE_S = 1.5            # after a shiftd throughput window, before Celery's


class BenchError(Exception):
    """The bench itself could not go on (not a daemon's missed target)."""


# --- the table ---

class Table:
    def __init__(self):
        self.rows = []  # (what, figure, baseline, ratio, target, verdict)

    def add(self, what, figure, baseline="", ratio=None, target="", met=None):
        verdict = "" if met is None else ("met" if met else "MISSED")
        self.rows.append((what, figure, baseline, "" if ratio is None else "%.2f" % ratio, target, verdict))
        return met

    def failed(self, what, reason, target="", baseline=""):
        reason = " ".join(str(reason).split())
        if len(reason) > 240:
            reason = reason[:237] + "..."
        self.rows.append((what, "failed: " + reason, baseline, "", target, "MISSED" if target else "failed"))

    def missed(self):
        return any(r[5] in ("MISSED", "failed") for r in self.rows)

    def render(self):
        head = ("measurement", "figure", "baseline (same run)", "ratio", "target", "verdict")
        rows = [head] + self.rows
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        out = []
        for n, r in enumerate(rows):
            out.append("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
            if n == 0:
                out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        return "\n".join(out)


TABLE = Table()


def say(*a):
    print(*a, flush=True)


def fmt_us(us):
    return "%.0f us" % us if us < 10000 else "%.1f ms" % (us / 1000)


def fmt_bytes(n):
    if n >= 1 << 20:
        return "%.1f MiB" % (n / (1 << 20))
    return "%.0f KiB" % (n / 1024) if n >= 1024 else "%d B" % n


# --- running bench-client with a bound ---

def client(*argv, timeout=CALL_TIMEOUT):
    """Runs bench-client; returns its RESULT lines as a dict. Its other output
    goes to ours as it comes."""
    cmd = [ARGS.client] + [str(a) for a in argv]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError("bench-client %s did not finish within %d s" % (argv[0], timeout))
    results = {}
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            _, key, value = line.split()
            results[key] = float(value)
        else:
            say("  " + line)
    if p.returncode != 0:
        raise RuntimeError("bench-client %s exited with status %d" % (argv[0], p.returncode))
    return results


# --- the machine ---

def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return cpu


def load_average():
    return "%.2f %.2f %.2f" % os.getloadavg()


def filesystem(path):
    try:
        out = subprocess.run(["df", "--output=fstype,source,target", path], capture_output=True, text=True,
                             timeout=10).stdout.splitlines()[-1].split()
        return "%s (%s, mounted on %s)" % tuple(out[:3])
    except (OSError, subprocess.SubprocessError, IndexError, TypeError):
        return "unknown"


# --- daemons ---

class Bench:
    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []
        os.makedirs(os.path.join(tmp, "standin"))
        self.standin = self.keep(Standin(os.path.join(tmp, "standin")))
        # "queued": the first run takes the only worker and hangs there (MaxActiveRuns=1), so
        # every later run stays queued and only the receipt path is measured
        self.standin.scenario("queued", [{"hang": True}])
        self.standin.scenario("busy", [{"tool": "not_a_tool", "arguments": {}, "delay": 0.02}])

    def keep(self, p):
        self.procs.append(p)
        return p

    def drop(self, p):
        try:
            p.stop()
        finally:
            if p in self.procs:
                self.procs.remove(p)

    def stop_all(self):
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception as e:  # keep stopping the others
                say("warning: stopping %s: %s" % (type(p).__name__, e))
        self.procs = []

    def bus(self, name):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        return self.keep(PrivateBus(d))

    def daemon(self, name, bus, conf=None, agents=None):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        return Shiftd(d, bus, self.standin, conf=conf, agents=agents)

    def start(self, d):
        self.keep(d.start())
        return d

    def blocker(self, bus):
        """The run that holds the only worker (MaxActiveRuns=1)."""
        c = Client(bus)
        name, path = c.start_run("blocker scenario:queued")
        c.wait_state(path, "running", 20)
        return path


def timed_start(d, timeout=30):
    """Starts d; returns (seconds from exec to READY=1, pid). READY=1 is sent
    right after the bus name is taken, so this is start-up to "name owned"."""
    sock_path = os.path.join(d.tmp, "notify.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.bind(sock_path)
        d.env["NOTIFY_SOCKET"] = sock_path
        t0 = time.monotonic()
        d.start(wait=False)
        end = t0 + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                d.proc.kill9()
                raise RuntimeError("no READY=1 within %d s" % timeout)
            r, _, _ = select.select([s], [], [], min(left, 0.2))
            if r:
                msg = s.recv(4096).decode(errors="replace")
                if "READY=1" in msg.split("\n"):
                    return time.monotonic() - t0, d.proc.pid
            elif not d.proc.alive():
                raise RuntimeError("shiftd exited with status %s before READY=1: %s" % (
                    d.proc.proc.returncode, last_lines(d.log(), 3)))
    finally:
        s.close()
        d.env.pop("NOTIFY_SOCKET", None)


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS for pid %d" % pid)


def last_lines(text, n):
    lines = [l for l in text.splitlines() if l.strip()]
    return " / ".join(lines[-n:])


# --- A. receipts ---

def section_a(b):
    say("\n== A. StartRun receipt against Ping + fdatasync")
    bus = b.bus("bus-a")
    d = b.start(b.daemon("daemon-a", bus, conf=BLOCKED))
    b.blocker(bus)
    for mode, label, what in (("receipt", "sdbus", "receipt, sd-bus C client (median)"),
                              ("receipt-gdbus", "gdbus", "receipt, GDBus C client (median)")):
        target = mode == "receipt"
        try:
            r = client(mode, bus.address, d.state_dir, ARGS.calls)
        except Exception as e:
            TABLE.failed(what, e, "<= 1.30" if target else "")
            continue
        floor = r[label + ".ping_us"] + r[label + ".fdatasync_us"]
        ratio = r[label + ".receipt_us"] / floor
        TABLE.add(what, fmt_us(r[label + ".receipt_us"]),
                  "Ping %s + fdatasync %s = %s" % (fmt_us(r[label + ".ping_us"]), fmt_us(r[label + ".fdatasync_us"]),
                                                   fmt_us(floor)),
                  ratio, "<= 1.30" if target else "", ratio <= 1.3 if target else None)
    # What the receipt's durable write costs by itself: the same transaction
    # through shiftd's store code, no bus and no daemon, against fdatasync.
    # Ping plus this is the lowest a receipt can reach with this store.
    what = "store commit of a receipt alone, no bus (median)"
    try:
        r = client("store-commit", d.state_dir, ARGS.calls)
        TABLE.add(what, fmt_us(r["store.commit_us"]), "fdatasync %s" % fmt_us(r["store.fdatasync_us"]),
                  r["store.commit_us"] / r["store.fdatasync_us"])
        TABLE.add("plain SQLite commit of one row, no index (median)", fmt_us(r["store.plain_us"]),
                  "fdatasync %s" % fmt_us(r["store.fdatasync_us"]), r["store.plain_us"] / r["store.fdatasync_us"])
    except Exception as e:
        TABLE.failed(what, e)
    b.drop(d)
    b.drop(bus)


# --- B. reads under load ---

def section_b(b):
    say("\n== B. GetAll on a Run while 8 runs are busy, against Ping")
    what = "GetAll on a Run, 8 runs busy (p99)"
    bus = b.bus("bus-b")
    d = b.start(b.daemon("daemon-b", bus, conf={"Limits": {"MaxActiveRuns": "16", "ModelSlots": "2",
                                                           "MaxSteps": "100000"}}))
    c = Client(bus)
    try:
        paths = [c.start_run("busy %d scenario:busy" % i, options={"max_steps": 10000})[1] for i in range(8)]
        c.wait(lambda: all(c.get(p, "Step") >= 2 for p in paths), 20, "8 busy runs")
        r = client("reads", bus.address, paths[0], ARGS.calls * 5)
        busy = [c.get(p, "State") for p in paths]
        ratio = r["reads.getall_p99_us"] / r["reads.ping_p99_us"]
        TABLE.add(what, fmt_us(r["reads.getall_p99_us"]), "Ping p99 %s" % fmt_us(r["reads.ping_p99_us"]), ratio,
                  "<= 5.00", ratio <= 5.0)
        if busy != ["running"] * 8:
            say("warning: not all runs stayed busy during the measurement: %s" % busy)
    except Exception as e:
        TABLE.failed(what, e, "<= 5.00")
    b.drop(d)
    b.drop(bus)


# --- C. throughput ---

class Redis:
    """redis-server of our own: a unix socket in its own dir, no TCP, the AOF
    on with appendfsync always; stopped by PID."""

    def __init__(self, tmp):
        self.dir = tmp
        self.socket = os.path.join(tmp, "redis.sock")
        conf = os.path.join(tmp, "redis.conf")
        with open(conf, "w") as f:
            f.write("port 0\nunixsocket %s\nunixsocketperm 700\ndir %s\nappendonly yes\nappendfsync always\n"
                    "save \"\"\ndaemonize no\nlogfile %s\n" % (self.socket, tmp, os.path.join(tmp, "redis.log")))
        self.proc = Process(["redis-server", conf], log_path=os.path.join(tmp, "redis.out"))
        try:
            harness.wait_for(lambda: not self.proc.alive() or self.ping(), 10, "redis-server to listen")
        except harness.Timeout:
            self.proc.kill9()
            raise
        if not self.proc.alive():
            raise BenchError("redis-server failed: %s" % last_lines(self.proc.log(), 3))
        if self.command("CONFIG", "GET", "appendfsync")[1] != "always":
            raise BenchError("redis-server is not on appendfsync always")
        self.url = "redis+socket://" + self.socket

    def command(self, *words):
        import redis  # python3-redis, Celery's Redis transport
        return redis.Redis(unix_socket_path=self.socket, socket_timeout=5,
                           decode_responses=True).execute_command(*words)

    def ping(self):
        if not os.path.exists(self.socket):
            return False
        try:
            return self.command("PING")
        except Exception:
            return False

    def stop(self):
        self.proc.stop()


class CeleryClients:
    """N celery-client.py processes, each a concurrent client."""

    def __init__(self, url, n, timeout=60):
        self.procs = []
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        for _ in range(n):
            self.procs.append(subprocess.Popen([sys.executable, os.path.join(HERE, "celery-client.py"), url],
                                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True))
        self.pid = self.procs[0].pid
        for line in self.read_all(timeout):
            if line != "ready":
                raise RuntimeError("celery client: %r" % line)

    def read_all(self, timeout):
        end = time.monotonic() + timeout
        out = {}
        while len(out) < len(self.procs):
            waiting = [p for p in self.procs if p not in out]
            left = end - time.monotonic()
            if left <= 0:
                raise RuntimeError("%d celery client(s) did not answer within %d s" % (len(waiting), timeout))
            ready, _, _ = select.select([p.stdout for p in waiting], [], [], left)
            for p in waiting:
                if p.stdout in ready:
                    line = p.stdout.readline()
                    if not line:
                        raise RuntimeError("a celery client exited with status %s" % p.wait(5))
                    out[p] = line.strip()
        return [out[p] for p in self.procs]

    def rate(self, seconds):
        for p in self.procs:
            p.stdin.write("go %f\n" % seconds)
            p.stdin.flush()
        total = 0.0
        for line in self.read_all(seconds + 60):
            n, elapsed = line.split()
            total += int(n) / float(elapsed)
        return total

    def stop(self):
        for p in self.procs:
            try:
                p.stdin.write("quit\n")
                p.stdin.close()
            except OSError:
                pass
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


def section_c(b):
    say("\n== C. Receipts per second against serial fdatasync and Celery on Redis (appendfsync always)")
    bus = b.bus("bus-c")
    d = b.start(b.daemon("daemon-c", bus, conf=BLOCKED))
    b.blocker(bus)
    rdir = os.path.join(b.tmp, "redis")
    os.makedirs(rdir)
    try:
        missing = [what for what, there in (("redis-server", shutil.which("redis-server")),
                                            ("python3-celery", importlib.util.find_spec("celery")),
                                            ("python3-redis", importlib.util.find_spec("redis"))) if not there]
        if missing:
            raise BenchError("not installed: %s (scripts/install-deps.sh installs them)" % ", ".join(missing))
        redis = b.keep(Redis(rdir))
    except Exception as e:
        for n in (1, 8, 32):
            TABLE.failed("receipts/s, %s, vs Celery" % clients(n), "cannot start redis-server: %s" % e)
        redis = None
    for n in (1, 8, 32):
        fs, sh, ce = [], [], []
        celery = None
        celery_error = None
        if redis:
            try:
                celery = b.keep(CeleryClients(redis.url, n))
            except Exception as e:
                celery_error = e
        try:
            for _ in range(ARGS.rounds):
                # in turn, so the three see the same machine; each window starts once the
                # one before has gone quiet (the store's checkpoints may go on after a burst)
                fs.append(client("fsync-rate", d.state_dir, ARGS.seconds)["fsync_per_s"])
                sh.append(client("throughput", bus.address, n, ARGS.seconds)["receipts_per_s"])
                time.sleep(SETTLE_S)
                if celery:
                    ce.append(celery.rate(ARGS.seconds))
                    say("  Celery apply_async with %d concurrent client(s): %.0f/s" % (n, ce[-1]))
        except Exception as e:
            TABLE.failed("receipts/s, %s" % clients(n), e)
            if celery:
                b.drop(celery)
            continue
        if celery:
            b.drop(celery)
        # the ratio of each round's pair, then their median: a pair shares the machine's mood
        rate = statistics.median(sh)
        TABLE.add("receipts/s, %s, vs serial fdatasync" % clients(n), "%.0f/s" % rate,
                  "fdatasync %.0f/s" % statistics.median(fs), statistics.median(x / y for x, y in zip(sh, fs)))
        what = "receipts/s, %s, vs Celery" % clients(n)
        if ce:
            TABLE.add(what, "%.0f/s" % rate, "Celery apply_async %.0f/s" % statistics.median(ce),
                      statistics.median(x / y for x, y in zip(sh, ce)))
        elif redis:
            TABLE.failed(what, celery_error or "no Celery figure")
    if redis:
        b.drop(redis)
    b.drop(d)
    b.drop(bus)


# --- D. history ---

def fill(label, bus, d, count):
    samples = os.path.join(d.tmp, "samples.txt")
    say("  filling %s history: %d runs" % (label, count))
    r = client("fill", bus.address, count, samples, 128, timeout=60 + count / FILL_RUNS_PER_S_FLOOR)
    return samples, r


def section_d(b):
    small, large = ARGS.small_history, ARGS.history
    tag_s, tag_l = label_count(small), label_count(large)
    say("\n== D. %s against %s finished runs on record" % (tag_l, tag_s))
    agents = {"bench": "[Agent]\nDescription=benchmark\nInstructions=benchmark trigger scenario:queued\n"}
    conf = BLOCKED
    bus = {"s": b.bus("bus-small"), "l": b.bus("bus-large")}
    d = {"s": b.daemon("daemon-small", bus["s"], conf=conf, agents=agents),
         "l": b.daemon("daemon-large", bus["l"], conf=conf, agents=agents)}
    samples = {}
    for k, count in (("s", small), ("l", large)):
        b.start(d[k])
        blocker = b.blocker(bus[k])
        samples[k], r = fill(tag_s if k == "s" else tag_l, bus[k], d[k], count)
        state = Client(bus[k]).get(blocker, "State")
        if state != "running":
            say("warning: the blocker run is %s, not running: the fill may have launched workers" % state)
        if k == "l":
            TABLE.add("filling the history through the API", "%.0f runs/s (%d in %.1f s)" % (
                r["fill_per_s"], count, r["fill_s"]))
        b.drop(d[k])

    # start-up and RSS: the two in turn, each started and stopped ARGS.starts times; the last
    # start of each stays up for the calls
    times = {"s": [], "l": []}
    rss = {"s": [], "l": []}
    errors = {}
    for i in range(ARGS.starts):
        for k in ("s", "l"):
            if k in errors:
                continue
            try:
                t, pid = timed_start(d[k])
                b.keep(d[k])
                time.sleep(0.5)  # what it holds once settled: the blocker's worker is launched again
                rss[k].append(rss_bytes(pid))
                times[k].append(t)
                if i < ARGS.starts - 1:
                    b.drop(d[k])
            except Exception as e:
                errors[k] = e
                if d[k].proc and d[k].proc.alive():
                    b.drop(d[k])
    for what, values, target, limit, fmt in (
            ("start-up, exec to bus name/READY", times, "< 100 ms", 0.100, lambda v: "%.1f ms" % (v * 1000)),
            ("RSS after start-up", rss, "< 32 MiB", 32 << 20, fmt_bytes)):
        row = "%s, %s runs" % (what, tag_l)
        if "l" in errors or "s" in errors:
            TABLE.failed(row, errors.get("l") or "small history: %s" % errors.get("s"), target)
            continue
        vs, vl = statistics.median(values["s"]), statistics.median(values["l"])
        TABLE.add(row, fmt(vl), "%s at %s" % (fmt(vs), tag_s), vl / vs, target, vl < limit)
    if errors:
        return

    # the calls, on both daemons in turn
    try:
        r = client("history", bus["s"].address, samples["s"], bus["l"].address, samples["l"], ARGS.calls, "bench",
                   timeout=CALL_TIMEOUT * 5)
        for key, what in (("list_runs", "ListRuns agent+state, limit 20"), ("get_run", "GetRun"),
                          ("get_all", "GetAll on a finished Run"), ("get_events", "GetEvents of a finished Run"),
                          ("trigger_agent", "TriggerAgent")):
            vs, vl = r["a.%s_us" % key], r["b.%s_us" % key]
            TABLE.add("%s, %s runs (median)" % (what, tag_l), fmt_us(vl), "%s at %s" % (fmt_us(vs), tag_s), vl / vs,
                      "<= 1.30", vl / vs <= 1.3)
    except Exception as e:
        TABLE.failed("calls on %s runs (ListRuns, GetRun, GetAll, GetEvents, TriggerAgent)" % tag_l, e, "<= 1.30")

    # GetManagedObjects last: with every run in memory it can grow past what the bus carries,
    # and the bus then drops the daemon
    sizes = {}
    for k in ("s", "l"):
        try:
            sizes[k] = managed_objects(bus[k])
        except Exception as e:
            sizes[k] = str(e).replace("GDBus.Error:", "") + "; " + daemon_fate(bus[k], d[k])
    row = "GetManagedObjects reply, %s runs" % tag_l
    if isinstance(sizes["s"], str):
        TABLE.failed(row, "at %s: %s" % (tag_s, sizes["s"]), "< 1 MiB")
    elif isinstance(sizes["l"], str):
        TABLE.failed(row, sizes["l"], "< 1 MiB", baseline="%s at %s" % (fmt_bytes(sizes["s"][0]), tag_s))
    else:
        (bs, ns, _), (bl, nl, tl) = sizes["s"], sizes["l"]
        TABLE.add(row, "%s, %d objects, %s" % (fmt_bytes(bl), nl, fmt_us(tl * 1e6)),
                  "%s, %d objects at %s" % (fmt_bytes(bs), ns, tag_s), bl / bs, "< 1 MiB", bl < (1 << 20))


def daemon_fate(bus, d, timeout=5):
    """What became of a daemon after a call failed: did the bus drop it, did it exit?"""
    try:
        harness.wait_for(lambda: not d.proc.alive() or not bus.has_owner(), timeout, "shiftd to go")
    except harness.Timeout:
        return "shiftd still owns its name"
    except GLib.Error as e:
        return "the bus does not answer: %s" % e.message
    try:
        harness.wait_for(lambda: not d.proc.alive(), timeout, "shiftd to exit")
    except harness.Timeout:
        return "the bus dropped shiftd, which is still running"
    return "the bus dropped shiftd, which then exited with status %s" % d.proc.proc.returncode


def managed_objects(bus):
    """(reply bytes, objects, seconds) of one GetManagedObjects, on a connection of its own."""
    conn = bus.connect()
    try:
        msg = Gio.DBusMessage.new_method_call(harness.BUS_NAME, harness.MANAGER_PATH,
                                              "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
        t0 = time.monotonic()
        reply, _ = conn.send_message_with_reply_sync(msg, Gio.DBusSendMessageFlags.NONE, LARGE_MESSAGE_TIMEOUT_MS,
                                                     None)
        dt = time.monotonic() - t0
        if reply.get_message_type() == Gio.DBusMessageType.ERROR:
            reply.to_gerror()
        size = len(reply.to_blob(Gio.DBusCapabilityFlags.NONE))
        return size, reply.get_body().get_child_value(0).n_children(), dt
    except GLib.Error as e:
        raise RuntimeError(e.message)
    finally:
        try:
            conn.close_sync(None)
        except GLib.Error:
            pass


def clients(n):
    return "1 client" if n == 1 else "%d clients" % n


def label_count(n):
    return "%dk" % (n // 1000) if n >= 1000 and n % 1000 == 0 else str(n)


def main():
    if not ARGS.client:
        ARGS.client = os.path.join(harness.BUILD, "bench", "bench-client")
    for path in (ARGS.client, harness.SHIFTD, harness.WORKER):
        if not os.access(path, os.X_OK):
            say("not built: %s (meson compile first, or say --build DIR)" % path)
            return 1
    base = ARGS.tmpdir or harness.test_tmp_base()
    os.makedirs(base, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="bench-", dir=base)
    os.chmod(tmp, 0o755)
    say("shiftd benchmark: %s" % " ".join(shlex.quote(a) for a in [sys.argv[0]] + sys.argv[1:]))
    say("machine: %d processors (%s), kernel %s, state dirs on %s (%s)" % (
        os.cpu_count(), machine(), platform.release(), filesystem(tmp), tmp))
    say("load average at the start: %s" % load_average())
    b = None
    status = 0
    t0 = time.monotonic()
    try:
        b = Bench(tmp)
        for s, fn in (("A", section_a), ("B", section_b), ("C", section_c), ("D", section_d)):
            if s in ARGS.only.upper():
                try:
                    fn(b)
                except (BenchError, KeyboardInterrupt, SystemExit):
                    raise
                except Exception as e:  # a daemon that did not cooperate: record it, go on
                    TABLE.failed("section %s" % s, "%s: %s" % (type(e).__name__, e))
    except BenchError as e:
        say("error: %s" % e)
        status = 1
    except Exception as e:
        say("error: %s: %s" % (type(e).__name__, e))
        status = 1
    finally:
        if b:
            b.stop_all()
        if not ARGS.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            say("kept %s" % tmp)
    say("\n" + TABLE.render())
    say("\n(%.0f s; load average at the end: %s)" % (time.monotonic() - t0, load_average()))
    if status:
        return status
    return 3 if TABLE.missed() else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))  # stop what we started on the way out
    sys.exit(main())
