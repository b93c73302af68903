#!/usr/bin/python3
"""Path wakes (WatchPath=): no wake while the path is quiet, one wake for a
burst of changes, one more for a later change, a path made after load, one
wake after a live run however many changes came during it, WatchPath= beside
Every=, the watch stopped by SetEnabled(false) and by removing the file, and
followed again after a restart."""

import os

from harness import AGENT, GLib, ShiftdTestCase, Timeout, main

S = 10**6
# the daemon's quiet gap is 1 s; systemd's path unit may add a little
SETTLE = 2.5


def agent_path(name):
    return "/org/shiftd/Shift1/agent/" + name


class Watch(ShiftdTestCase):
    start_daemon = False

    def start(self, agents):
        self.daemon = self.new_daemon(agents=agents)
        self.daemon.start()

    def aget(self, agent, prop):
        return self.client.get(agent_path(agent), prop, AGENT)

    def runs_of(self, agent):
        return sorted(self.client.list_runs(agent=agent), key=lambda r: r[4])

    def write(self, path, text="x"):
        with open(path, "w") as f:
            f.write(text)

    def assert_no_new_run(self, agent, count, seconds, why):
        """No run beyond `count` for `seconds`: the wait is what is tested."""
        with self.assertRaises(Timeout, msg="a run of %s came %s" % (agent, why)):
            self.client.wait(lambda: len(self.runs_of(agent)) > count, seconds, "no run of %s %s" % (agent, why))

    def wait_watch_run(self, agent, count):
        """The run number `count` (from 1) of the agent: a watch wake, run to its end."""
        runs = self.client.wait(lambda: len(self.runs_of(agent)) >= count and self.runs_of(agent), 15,
                                "wake %d of %s" % (count, agent))
        self.assertEqual(len(runs), count, "one wake, not %d" % len(runs))
        run = runs[-1]
        self.assertEqual(self.client.get(run[5], "Trigger"), "watch")
        self.assertEqual(self.client.wait_final(run[5]), "done")
        return run

    def path_unit_active(self, agent):
        return self.systemd.unit_active("shiftd-watch-%s.path" % agent)

    def test_quiet_burst_and_later_change(self):
        inbox = os.path.join(self.tmp, "inbox")
        os.makedirs(inbox)
        self.standin.scenario("inbox", [{"reply": "read the inbox"}])
        self.start({"mail": "[Agent]\nInstructions=scenario:inbox\n[Schedule]\nWatchPath=%s/\n" % inbox})
        self.assertEqual(self.aget("mail", "Schedule"), "watch " + inbox)
        self.assertEqual(self.aget("mail", "NextWakeAt"), 0)
        self.assertEqual(self.aget("mail", "Timer"), "")
        if self.systemd:
            self.client.wait(lambda: self.path_unit_active("mail"), 10, "the agent's path unit")
        # quiet: no wake at all
        self.assert_no_new_run("mail", 0, 3, "while its path is quiet")
        self.assertEqual(self.aget("mail", "NextWakeAt"), 0)
        # a burst of 20 writes: one wake
        for i in range(20):
            self.write(os.path.join(inbox, "msg-%02d" % i), "message %d" % i)
        self.wait_watch_run("mail", 1)
        self.assert_no_new_run("mail", 1, SETTLE, "after the burst's one wake")
        # a change later: a second wake
        os.unlink(os.path.join(inbox, "msg-03"))
        self.wait_watch_run("mail", 2)
        self.assertEqual(self.aget("mail", "NextWakeAt"), 0)

        # disabled: the watch stops
        self.client.call(agent_path("mail"), AGENT, "SetEnabled", "b", (False,))
        if self.systemd:
            self.client.wait(lambda: not self.path_unit_active("mail"), 10, "the path unit to stop")
        self.write(os.path.join(inbox, "while-disabled"))
        self.assert_no_new_run("mail", 2, SETTLE, "while it is disabled")
        # enabled again: it watches again
        self.client.call(agent_path("mail"), AGENT, "SetEnabled", "b", (True,))
        if self.systemd:
            self.client.wait(lambda: self.path_unit_active("mail"), 10, "the path unit again")
        self.write(os.path.join(inbox, "after-enable"))
        self.wait_watch_run("mail", 3)

    def test_path_made_after_load(self):
        inbox = os.path.join(self.tmp, "later", "inbox")
        self.standin.scenario("later", [{"reply": "saw it"}])
        self.start({"late": "[Agent]\nInstructions=scenario:later\n[Schedule]\nWatchPath=%s\n" % inbox})
        if self.systemd:
            self.client.wait(lambda: self.path_unit_active("late"), 10, "the agent's path unit")
        self.assert_no_new_run("late", 0, 2, "while its path is not there")
        os.makedirs(inbox)
        self.write(os.path.join(inbox, "first"))
        self.wait_watch_run("late", 1)
        self.assert_no_new_run("late", 1, SETTLE, "after the path appeared")
        # the new directory itself is watched now
        self.write(os.path.join(inbox, "second"))
        self.wait_watch_run("late", 2)

    def test_watch_survives_a_restart(self):
        inbox = os.path.join(self.tmp, "inbox")
        os.makedirs(inbox)
        self.standin.scenario("again", [{"reply": "still watching"}])
        self.start({"keep": "[Agent]\nInstructions=scenario:again\n[Schedule]\nWatchPath=%s\n" % inbox})
        unit = "shiftd-watch-keep.path"
        if self.systemd:
            self.client.wait(lambda: self.path_unit_active("keep"), 10, "the agent's path unit")
            first = self.systemd.show(unit, "ActiveEnterTimestampMonotonic")["ActiveEnterTimestampMonotonic"]
        self.assertEqual(self.daemon.stop(), 0)
        # the restarted daemon follows the path again (on systemd: the old unit
        # stopped as a leftover and made again under its name)
        self.daemon.start()
        if self.systemd:
            self.client.wait(lambda: self.path_unit_active("keep") and self.systemd.show(
                unit, "ActiveEnterTimestampMonotonic")["ActiveEnterTimestampMonotonic"] != first, 10,
                "the path unit, made again")
        self.assertEqual(self.runs_of("keep"), [])
        self.write(os.path.join(inbox, "after-restart"))
        self.wait_watch_run("keep", 1)

    def test_changes_during_a_live_run_make_one_wake_after_it(self):
        inbox = os.path.join(self.tmp, "inbox")
        os.makedirs(inbox)
        self.standin.scenario("slow", [{"reply": "slow work", "delay": 4}])
        self.start({"busy": "[Agent]\nInstructions=scenario:slow\n[Schedule]\nWatchPath=%s\n" % inbox})
        if self.systemd:
            self.client.wait(lambda: self.path_unit_active("busy"), 10, "the agent's path unit")
        self.write(os.path.join(inbox, "a"))
        first = self.client.wait(lambda: self.runs_of("busy") and self.runs_of("busy")[0], 10, "the first wake")
        self.assertEqual(self.client.get(first[5], "Trigger"), "watch")
        # two bursts while it runs: one wake held for its end, said on the run
        for name in ("b", "c"):
            self.write(os.path.join(inbox, name))
            self.client.wait(lambda: any(e[2] == "note" and "wakes again when this run ends" in e[3]
                                         for e in self.client.events(first[5])), 10,
                             "the held wake noted on the live run")
        self.standin.scenario("slow", [{"reply": "quick this time"}])
        self.assertEqual(len(self.runs_of("busy")), 1)
        self.assertEqual(self.client.wait_final(first[5]), "done")
        self.wait_watch_run("busy", 2)
        self.assert_no_new_run("busy", 2, SETTLE, "after the held wake")

    def test_with_every_and_removed_by_reload(self):
        watched = os.path.join(self.tmp, "status.json")
        self.write(watched, "{}")
        self.standin.scenario("both", [{"reply": "checked"}])
        self.start({"both": "[Agent]\nInstructions=scenario:both\n[Schedule]\nEvery=1h\nWatchPath=%s\n" % watched})
        self.assertEqual(self.aget("both", "Schedule"), "every 1h, watch " + watched)
        self.assertGreater(self.aget("both", "NextWakeAt"), GLib.get_real_time() + 3500 * S)
        if self.systemd:
            self.client.wait(lambda: self.path_unit_active("both"), 10, "the agent's path unit")
        self.write(watched, '{"state": "changed"}')
        self.wait_watch_run("both", 1)
        # the timer stays armed beside the watch
        self.assertGreater(self.aget("both", "NextWakeAt"), GLib.get_real_time() + 3000 * S)

        # a reload with the file gone stops the watch
        os.unlink(os.path.join(self.daemon.config_dir, "agents.d", "both.agent"))
        self.client.manager("Reload")
        if self.systemd:
            self.client.wait(lambda: not self.path_unit_active("both"), 10, "the path unit to stop")
        self.write(watched, '{"state": "changed again"}')
        self.assert_no_new_run("both", 1, SETTLE, "after its file was removed")
        # and a reload with it back watches again
        self.daemon.write_agent("both", "[Agent]\nInstructions=scenario:both\n[Schedule]\nWatchPath=%s\n" % watched)
        self.client.manager("Reload")
        if self.systemd:
            self.client.wait(lambda: self.path_unit_active("both"), 10, "the path unit again")
        self.write(watched, '{"state": "back"}')
        self.wait_watch_run("both", 2)


if __name__ == "__main__":
    main()
