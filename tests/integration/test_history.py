#!/usr/bin/python3
"""A long history: 20,000 finished runs on record (each made through the API:
cancelled while queued behind a blocker, two commits and no worker). The
object manager lists only the live runs and a window of recent ones, every
run stays addressable with its events across a restart, lists come from the
store's indexes, and [Store] KeepRuns= prunes what it should and nothing
else."""

import os
import time

from gi.repository import Gio, GLib

from harness import BUS_NAME, MANAGER, MANAGER_PATH, RUN, ShiftdTestCase, main, wait_for

HISTORY = int(os.environ.get("SHIFTD_TEST_HISTORY", "20000"))
WINDOW = 500  # run-table.h RUN_WINDOW_MAX
IN_FLIGHT = 64


class History(ShiftdTestCase):
    conf = {"Limits": {"MaxActiveRuns": "1"}}
    agents = {"other": "[Agent]\nDescription=the odd one out\nInstructions=scenario:hang\n"}

    def fill(self, count):
        """count runs, every tenth of agent "other", each cancelled while
        queued; returns their names in creation order."""
        conn = self.client.conn
        names = [None] * count
        state = {"next": 0, "done": 0, "error": None}

        def call(path, iface, method, sig, args, cb):
            conn.call(BUS_NAME, path, iface, method, GLib.Variant(sig, args), None, Gio.DBusCallFlags.NONE,
                      20000, None, cb)

        def cancelled(c, res, i):
            try:
                c.call_finish(res)
            except GLib.Error as e:
                state["error"] = state["error"] or e.message
            state["done"] += 1
            launch()

        def started(c, res, i):
            try:
                name, path = c.call_finish(res).unpack()
            except GLib.Error as e:
                state["error"] = state["error"] or e.message
                state["done"] += 1
                return
            names[i] = name
            call(path, RUN, "Cancel", "()", (), lambda c2, r2: cancelled(c2, r2, i))

        def launch():
            if state["next"] >= count or state["error"]:
                return
            i = state["next"]
            state["next"] += 1
            agent = "other" if i % 10 == 9 else ""
            call(MANAGER_PATH, MANAGER, "StartRun", "(ssa{sv})", (agent, "history %d" % i, {}),
                 lambda c, r: started(c, r, i))

        for _ in range(IN_FLIGHT):
            launch()
        end = time.monotonic() + 300
        while state["done"] < count and not state["error"]:
            if time.monotonic() > end:
                self.fail("filling the history took over 300 s (%d of %d)" % (state["done"], count))
            self.client.ctx.iteration(True)
        self.assertIsNone(state["error"])
        return names

    def managed_objects(self):
        reply = self.bus.conn.call_sync(BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager",
                                        "GetManagedObjects", None, None, Gio.DBusCallFlags.NONE, 20000, None)
        return reply.get_data_as_bytes().get_size(), reply.unpack()[0]

    def run_paths(self, objects):
        return {p for p, ifaces in objects.items() if RUN in ifaces}

    def test_long_history(self):
        self.standin.scenario("hang", [{"hang": True}])
        _, blocker = self.client.start_run("scenario:hang")
        self.client.wait_state(blocker, "running")
        t0 = time.monotonic()
        names = self.fill(HISTORY)
        fill_s = time.monotonic() - t0
        print("filled %d runs in %.1f s (%.0f runs/s)" % (HISTORY, fill_s, HISTORY / fill_s))

        # the object manager: the live blocker and the newest WINDOW finished
        size, objects = self.managed_objects()
        paths = self.run_paths(objects)
        self.assertEqual(len(paths), WINDOW + 1)
        self.assertIn(blocker, paths)
        newest = {self.client.manager("GetRun", "s", (n,))[0] for n in names[-WINDOW:]}
        self.assertLessEqual(newest, paths)
        self.assertLess(size, 1 << 20, "GetManagedObjects is %d bytes" % size)
        self.daemon_alive()

        # every run answers by its name, the oldest too, with its events
        oldest = self.client.manager("GetRun", "s", (names[0],))[0]
        self.assertNotIn(oldest, paths)
        self.assertEqual(self.client.get(oldest, "State"), "cancelled")
        self.assertEqual(self.client.get(oldest, "Task"), "history 0")
        self.assertEqual([e[2] for e in self.client.events(oldest)], ["created", "cancelled"])

        # lists come from the store: filtered, limited, oldest first
        other = self.client.list_runs(agent="other", limit=5)
        self.assertEqual([r[0] for r in other], [n for i, n in enumerate(names) if i % 10 == 9][-5:])
        self.assertEqual(len(self.client.list_runs(state="cancelled")), HISTORY)
        self.assertEqual([r[0] for r in self.client.list_runs(state="running")], [self.client.get(blocker, "Name")])

        # after a restart: the same window, the same answers
        self.client.call(blocker, RUN, "Cancel")
        self.daemon.stop()
        t0 = time.monotonic()
        self.daemon.start()
        print("restart with %d runs on record: %.0f ms to the bus name" % (HISTORY + 1,
                                                                           (time.monotonic() - t0) * 1000))
        size, objects = self.managed_objects()
        self.assertEqual(len(self.run_paths(objects)), WINDOW)
        self.assertIn(blocker, self.run_paths(objects))  # the newest to finish
        self.assertEqual([e[2] for e in self.client.events(oldest)], ["created", "cancelled"])
        self.assertEqual(self.client.get(self.client.manager("GetRun", "s", (names[1],))[0], "Task"), "history 1")

    def test_window_leaves_the_object_manager(self):
        """A finished run pushed out of the window is announced removed and
        still answers by its path."""
        self.standin.scenario("hang", [{"hang": True}])
        _, blocker = self.client.start_run("scenario:hang")
        self.client.wait_state(blocker, "running")
        names = self.fill(WINDOW)
        removed = []
        self.client.subscribe(lambda p, i, m, args: removed.append(args[0]), path=MANAGER_PATH,
                              iface="org.freedesktop.DBus.ObjectManager", member="InterfacesRemoved")
        more = self.fill(3)
        first = [self.client.manager("GetRun", "s", (n,))[0] for n in names[:3]]
        self.client.wait(lambda: removed == first, 10, "InterfacesRemoved for the three oldest (got %s)" % removed)
        self.assertEqual(self.client.get(first[0], "State"), "cancelled")
        paths = self.run_paths(self.managed_objects()[1])
        self.assertNotIn(first[0], paths)
        self.assertIn(self.client.manager("GetRun", "s", (more[-1],))[0], paths)


class BusLost(ShiftdTestCase):
    def test_a_lost_bus_is_a_failure_not_a_stop(self):
        """When the bus drops the daemon (it did, once, on a reply over the
        bus's size limit) it exits with a failure, so that the unit's
        Restart=on-failure brings it back."""
        self.bus.proc.kill9()
        wait_for(lambda: not self.daemon.proc.alive(), 10, "shiftd to notice its bus is gone")
        self.assertNotEqual(self.daemon.proc.proc.returncode, 0)
        self.assertIn("lost the bus connection", self.daemon.log())


class Pruning(ShiftdTestCase):
    conf = {"Limits": {"MaxActiveRuns": "1"}}
    agents = History.agents
    fill = History.fill

    def test_keep_runs_prunes_the_oldest_finished_only(self):
        self.standin.scenario("hang", [{"hang": True}])
        _, blocker = self.client.start_run("scenario:hang")
        self.client.wait_state(blocker, "running")
        names = self.fill(3000)
        oldest = self.client.manager("GetRun", "s", (names[0],))[0]
        self.daemon.stop()

        # KeepRuns=1000: the 2000 oldest finished go, in two batches; the
        # live blocker stays
        d = self.new_daemon(conf={"Limits": {"MaxActiveRuns": "1"}, "Store": {"KeepRuns": "1000"}})
        d.start()
        self.daemon = d
        self.client.wait(lambda: len(self.client.list_runs(state="cancelled")) == 1000, 30,
                         "pruning down to 1000 finished runs")
        kept = [r[0] for r in self.client.list_runs(state="cancelled")]
        self.assertEqual(kept, names[-1000:])
        self.assertEqual(self.client.get(blocker, "State"), "running")
        self.assert_dbus_error("org.shiftd.Shift1.Error.NoSuchRun", self.client.manager, "GetRun", "s", (names[0],))
        self.assert_dbus_error("org.freedesktop.DBus.Error.UnknownObject", self.client.get, oldest, "State")
        self.assertEqual(self.pruned_total(d.log()), 2000)

        # 256 more finished: pruned again down to 1000
        self.fill(256)
        self.client.wait(lambda: len(self.client.list_runs(state="cancelled")) == 1000, 30,
                         "pruning after 256 more finished runs")
        self.assertEqual(self.pruned_total(d.log()), 2256)
        self.daemon_alive()

    @staticmethod
    def pruned_total(log):
        total = 0
        for line in log.splitlines():
            if "pruned " in line and "finished run(s)" in line:
                total += int(line.split("pruned ", 1)[1].split()[0])
        return total


if __name__ == "__main__":
    main()
