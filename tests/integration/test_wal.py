#!/usr/bin/python3
"""The store's WAL stays under a fixed size under a sustained receipt load, and
is emptied once the store is idle (src/common/run-store.c: WAL_LIMIT_BYTES)."""

import os
import threading
import time

from harness import BUS_NAME, MANAGER, MANAGER_PATH, Gio, GLib, ShiftdTestCase, Timeout, main, wait_for

MiB = 1 << 20
# run-store.c restarts the log at 16 MiB and, at 24 MiB (WAL_LIMIT_BYTES), holds
# the writer until it has; the file can pass that by one group commit's frames,
# a few hundred KiB for receipts. Without the checkpoint schedule, this load
# grows the WAL by tens of MiB.
WAL_BOUND = 25 * MiB
# the WAL has to pass this for the schedule's checkpoints to have come into play
WAL_BUSY = 4 * MiB
CLIENTS = 8
IN_FLIGHT = 4        # calls each client keeps waiting
LOAD_SECONDS = 8
IDLE_TRUNCATE = 10   # seconds, at most, for the idle WAL to be emptied
SMALL = 64 * 1024


class WalSampler(threading.Thread):
    """Samples the WAL file's size every millisecond or so."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.max = 0
        self.samples = 0
        self.done = threading.Event()

    def size(self):
        try:
            return os.stat(self.path).st_size
        except FileNotFoundError:
            return 0

    def run(self):
        while not self.done.is_set():
            self.max = max(self.max, self.size())
            self.samples += 1
            self.done.wait(0.001)

    def stop(self):
        self.done.set()
        self.join(10)


class Wal(ShiftdTestCase):
    # one run hangs and every later run stays queued: only receipts are written
    conf = {"Limits": {"MaxActiveRuns": "1"}}

    def drive_receipts(self, seconds):
        """CLIENTS connections, each keeping IN_FLIGHT StartRun calls waiting, for
        `seconds`; returns how many receipts came back."""
        ctx = GLib.MainContext.default()
        conns = [self.bus.connect() for _ in range(CLIENTS)]
        state = {"receipts": 0, "in_flight": 0, "errors": []}
        end = time.monotonic() + seconds

        def start(conn):
            state["in_flight"] += 1
            conn.call(BUS_NAME, MANAGER_PATH, MANAGER, "StartRun",
                      GLib.Variant("(ssa{sv})", ("", "receipt scenario:hang", {})), None,
                      Gio.DBusCallFlags.NONE, 30000, None, done, conn)

        def done(conn, result, _):
            state["in_flight"] -= 1
            try:
                conn.call_finish(result)
                state["receipts"] += 1
            except GLib.Error as e:
                state["errors"].append(e.message)
                return
            if time.monotonic() < end:
                start(conn)

        try:
            for conn in conns:
                for _ in range(IN_FLIGHT):
                    start(conn)
            # every reply comes back: the calls' own 30 s timeout bounds this
            while state["in_flight"] > 0:
                ctx.iteration(True)
        finally:
            for conn in conns:
                conn.close_sync(None)
        self.assertEqual(state["errors"], [], "StartRun failed under load")
        return state["receipts"]

    def test_wal_is_bounded_under_load_and_emptied_when_idle(self):
        self.standin.scenario("hang", [{"hang": True}])
        _, first = self.client.start_run("first scenario:hang")
        self.client.wait_state(first, "running", 15)
        sampler = WalSampler(os.path.join(self.daemon.state_dir, "shiftd.db-wal"))
        sampler.start()
        try:
            t0 = time.monotonic()
            receipts = self.drive_receipts(LOAD_SECONDS)
            elapsed = time.monotonic() - t0
        finally:
            sampler.stop()
        rate = receipts / elapsed
        print("%d receipts in %.1f s (%.0f/s); WAL at most %.2f MiB over %d samples"
              % (receipts, elapsed, rate, sampler.max / MiB, sampler.samples))
        self.assertGreater(sampler.samples, 1000, "the WAL was not sampled often enough")
        self.assertLessEqual(sampler.max, WAL_BOUND, "the WAL grew to %.2f MiB under load (bound %.0f MiB)"
                             % (sampler.max / MiB, WAL_BOUND / MiB))
        # a load that never made the WAL big would prove nothing
        self.assertGreaterEqual(sampler.max, WAL_BUSY, "the load (%d receipts, %.0f/s) left the WAL at %.2f MiB:"
                                " too light to test its bound" % (receipts, rate, sampler.max / MiB))

        # idle: the WAL is emptied (a TRUNCATE checkpoint)
        t0 = time.monotonic()
        try:
            wait_for(lambda: sampler.size() <= SMALL, IDLE_TRUNCATE, "the idle store's WAL to be truncated")
            emptied = True
        except Timeout:
            emptied = False
        self.assertTrue(emptied, "the idle store's WAL was not truncated within %d s: it is still %d bytes"
                        % (IDLE_TRUNCATE, sampler.size()))
        print("WAL emptied %.2f s after the load stopped" % (time.monotonic() - t0))

        # the store still takes receipts, and a WAL written again after being
        # emptied is emptied again
        sampler = WalSampler(sampler.path)
        sampler.start()
        try:
            _, after = self.client.start_run("after scenario:hang")
            try:
                wait_for(lambda: sampler.max > 0 and sampler.size() == 0, IDLE_TRUNCATE,
                         "the WAL to be written and emptied again")
                again = True
            except Timeout:
                again = False
        finally:
            sampler.stop()
        self.assertTrue(again, "after one more receipt, the WAL (at most %d bytes) is %d bytes, not emptied"
                        % (sampler.max, sampler.size()))

        # nothing was lost on the way: after kill -9, every receipt is on record
        self.daemon.kill9()
        self.daemon.start()
        runs = self.client.list_runs()
        self.assertGreaterEqual(len(runs), receipts + 2)
        self.assertEqual(runs[-1][5], after)


if __name__ == "__main__":
    main()
