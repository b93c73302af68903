#!/usr/bin/python3
"""Standing agents: agents.d, schedules, idle backoff, WakeIf, quiet hours, the
review beat, skipped overlaps, missed wakes, enable/disable, fair slots."""

import json
import os
import subprocess
import time

from harness import AGENT, MANAGER, MANAGER_PATH, SHIFTCTL, GLib, ShiftdTestCase, main

S = 10**6


def agent_path(name):
    return "/org/shiftd/Shift1/agent/" + name


class Schedule(ShiftdTestCase):
    start_daemon = False

    def start(self, agents=None, conf=None):
        self.daemon = self.new_daemon(agents=agents, conf=conf)
        self.daemon.start()

    def runs_of(self, agent, trigger=None):
        runs = self.client.list_runs(agent=agent)
        if trigger:
            runs = [r for r in runs if self.client.get(r[5], "Trigger") == trigger]
        return runs

    def aget(self, agent, prop):
        return self.client.get(agent_path(agent), prop, AGENT)

    def test_idle_backoff_grows_then_snaps_back(self):
        self.standin.scenario("quiet", [{"tool": "no_work", "arguments": {"reason": "nothing new"}}])
        self.start(agents={"watcher": "[Agent]\nInstructions=scenario:quiet\n[Schedule]\nEvery=1s\nMaxInterval=4s\n"})
        # what the daemon announces, as (IdleStreak, CurrentInterval) pairs: a
        # later wake cannot hide one (the arithmetic, and the gaps between
        # wakes, are test-schedule-rules.c's)
        announced = []
        self.client.subscribe(lambda p, i, m, a: "IdleStreak" in a[1] and announced.append(
            (a[1]["IdleStreak"], a[1].get("CurrentInterval"))), path=agent_path("watcher"),
            iface="org.freedesktop.DBus.Properties", member="PropertiesChanged")
        self.assertEqual(self.aget("watcher", "BaseInterval"), 1 * S)
        self.assertEqual(self.aget("watcher", "MaxInterval"), 4 * S)
        self.assertEqual(self.aget("watcher", "CurrentInterval"), 1 * S)
        self.assertEqual(self.aget("watcher", "IdleStreak"), 0)
        idle = self.client.wait(lambda: next((r for r in self.runs_of("watcher") if r[2] == "idle"), None), 10,
                                "an idle wake")
        # an idle wake doubles the interval
        self.client.wait(lambda: (1, 2 * S) in announced, 5,
                         "IdleStreak 1, CurrentInterval 2 s announced")
        # work appears: the next wake does something and the interval snaps back
        self.standin.scenario("quiet", [{"reply": "found a new failure"}])
        done = self.client.wait(lambda: next((r for r in self.runs_of("watcher") if r[2] == "done"), None), 10,
                                "a productive wake")
        self.client.wait(lambda: (0, 1 * S) in announced[announced.index((1, 2 * S)):], 5,
                         "IdleStreak 0, CurrentInterval 1 s announced after it")
        self.assertEqual(self.aget("watcher", "CurrentInterval"), 1 * S)
        self.assertEqual(self.aget("watcher", "IdleStreak"), 0)
        for r in (idle, done):
            self.assertEqual(self.client.get(r[5], "Trigger"), "schedule")

    def test_on_calendar(self):
        self.standin.scenario("cal", [{"reply": "on time"}])
        self.start(agents={"clock": "[Agent]\nInstructions=scenario:cal\n[Schedule]\nOnCalendar=*:*:0/2\n"})
        self.assertEqual(self.aget("clock", "Schedule"), "*:*:0/2")
        self.assertEqual(self.aget("clock", "NextWakeAt") // S % 2, 0)
        self.client.wait(lambda: len([r for r in self.runs_of("clock") if r[2] == "done"]) >= 2, 10,
                         "two calendar wakes")
        for r in self.runs_of("clock")[:2]:
            self.assertEqual(self.client.get(r[5], "Trigger"), "schedule")
        # re-armed on the calendar (an even second, to the µs), not an interval on
        self.assertEqual(self.aget("clock", "NextWakeAt") % (2 * S), 0)

    def test_wake_if_refusal_makes_no_model_call(self):
        flag = os.path.join(self.tmp, "work-waiting")
        self.standin.scenario("wakeif", [{"reply": "handled the work"}])
        self.start(agents={"cheap": "[Agent]\nInstructions=scenario:wakeif\n[Schedule]\nEvery=1s\n"
                                    "MaxInterval=1s\nWakeIf=/usr/bin/test -e %s\n" % flag})
        self.client.wait(lambda: len(self.runs_of("cheap")) >= 2, 10, "two wakes")
        for r in self.runs_of("cheap")[:2]:
            self.client.wait_final(r[5])
            self.assertEqual(self.client.get(r[5], "State"), "idle")
            events = self.client.events(r[5])
            self.assertEqual(events[-1][2], "no_work")
            self.assertIn("WakeIf=/usr/bin/test -e", json.loads(events[-1][3])["reason"])
            self.assertNotIn("model_call", [e[2] for e in events])
        self.assertEqual([q for q in self.standin.requests() if q["scenario"] == "wakeif"], [])
        open(flag, "w").close()
        self.client.wait(lambda: any(r[2] == "done" for r in self.runs_of("cheap")), 10, "a wake with work")
        self.assertTrue([q for q in self.standin.requests() if q["scenario"] == "wakeif"])

    def test_broken_file_is_reported_and_the_others_run(self):
        self.standin.scenario("ok", [{"reply": "fine"}])
        self.start(agents={"good": "[Agent]\nInstructions=scenario:ok\n[Schedule]\nEvery=1s\n",
                           "broken": "[Agent]\nInstructions=x\n[Schedule]\nEvery=1s\nColour=blue\n"})
        names = [a[0] for a in self.client.manager("ListAgents")[0]]
        self.assertEqual(names, ["default", "good"])
        self.assertIn("broken.agent:5: unknown key \"Colour\" in [Schedule]", self.daemon.log())
        self.client.wait(lambda: any(r[2] == "done" for r in self.runs_of("good")), 10, "the good agent's wake")
        p = subprocess.run([SHIFTCTL, "--address=" + self.bus.address, "reload"], capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("broken.agent:5: unknown key", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1)

    def test_reload_adds_removes_and_changes(self):
        self.standin.scenario("ok", [{"reply": "fine"}])
        self.start(agents={"alpha": "[Agent]\nDescription=first\nInstructions=scenario:ok\n"})
        added, removed = [], []
        self.client.subscribe(lambda p, i, m, a: added.append(a[0]), path=MANAGER_PATH, member="InterfacesAdded")
        self.client.subscribe(lambda p, i, m, a: removed.append(a[0]), path=MANAGER_PATH,
                              member="InterfacesRemoved")
        a_name, a_path = self.client.manager("TriggerAgent", "s", ("alpha",))
        self.client.wait_final(a_path)
        os.unlink(os.path.join(self.daemon.config_dir, "agents.d", "alpha.agent"))
        self.daemon.write_agent("beta", "[Agent]\nDescription=second\nInstructions=scenario:ok\n"
                                        "[Schedule]\nEvery=1h\n")
        self.client.manager("Reload")
        self.assertEqual([a[0] for a in self.client.manager("ListAgents")[0]], ["beta", "default"])
        self.client.wait(lambda: agent_path("beta") in added and agent_path("alpha") in removed, 5,
                         "InterfacesAdded/Removed")
        self.assertEqual(self.client.get(a_path, "State"), "done")  # the removed agent's run stays
        self.assertEqual(self.aget("beta", "Schedule"), "every 1h")
        self.assertGreater(self.aget("beta", "NextWakeAt"), GLib.get_real_time() + 3500 * S)
        self.daemon.write_agent("beta", "[Agent]\nDescription=second, changed\nInstructions=scenario:ok\n"
                                        "[Schedule]\nEvery=2h\n")
        os.kill(self.daemon.proc.pid, 1)  # SIGHUP reloads too
        self.client.wait(lambda: self.aget("beta", "BaseInterval") == 7200 * S, 5, "the changed agent")
        self.assertEqual(self.aget("beta", "Description"), "second, changed")
        self.assertEqual(self.aget("beta", "Schedule"), "every 2h")
        self.assertEqual(self.aget("beta", "CurrentInterval"), 7200 * S)

    def test_quiet_hours_defer_the_wake(self):
        now = time.localtime()
        start = (now.tm_hour * 60 + now.tm_min - 1) % 1440
        end = (start + 3) % 1440
        quiet = "%02d:%02d-%02d:%02d" % (start // 60, start % 60, end // 60, end % 60)
        self.start(agents={"night": "[Agent]\nInstructions=x\n[Schedule]\nEvery=1s\nQuietHours=%s\n" % quiet})
        self.client.wait(lambda: self.aget("night", "NextWakeAt") > 0, 5, "a next wake")
        next_wake = self.aget("night", "NextWakeAt") / S
        window_end = time.mktime(time.struct_time((now.tm_year, now.tm_mon, now.tm_mday, end // 60, end % 60, 0,
                                                   0, 0, -1)))
        if window_end < time.time():
            window_end += 86400
        self.assertAlmostEqual(next_wake, window_end, delta=1)
        # no wake at start either (the wake timing inside the window is test-schedule-rules.c's)
        self.assertEqual(self.runs_of("night"), [])

    def test_review_beat_consolidates_into_notes(self):
        self.standin.scenario("work", [{"reply": "found: disk at 91%"}])
        self.start(agents={"keeper": "[Agent]\nInstructions=scenario:work\nTools=notes\n"
                                     "[Schedule]\nEvery=1s\nReviewEvery=3s\n"})
        review = self.client.wait(lambda: next((r for r in self.runs_of("keeper", "review")), None), 15,
                                  "a review run")
        self.assertEqual(self.client.wait_final(review[5]), "done")
        task = self.client.get(review[5], "Task")
        self.assertIn("review beat", task)
        self.assertIn("found: disk at 91%", task)
        # the notes so far are the worker's to add (they are the agent's, in its own directory)
        self.assertIn("Notes so far: (none yet)", self.standin.review_prompts()[0])
        notes = self.notes_file("keeper")
        self.client.wait(lambda: os.path.exists(notes), 5, "the notes file")
        with open(notes) as f:
            self.assertEqual(f.read(), self.client.get(review[5], "Result"))
        # the review did not count as idle or busy
        self.assertEqual(self.aget("keeper", "IdleStreak"), 0)
        # the next review starts from these notes
        self.client.wait(lambda: len(self.runs_of("keeper", "review")) >= 2, 15, "a second review")
        self.client.wait(lambda: len(self.standin.review_prompts()) >= 2, 15, "the second review's model call")
        self.assertIn("Notes so far:\n" + self.client.get(review[5], "Result"), self.standin.review_prompts()[1])

    def test_a_wake_while_the_last_run_is_live_is_skipped(self):
        self.standin.scenario("slow", [{"reply": "slow work", "delay": 3}])
        self.start(agents={"busy": "[Agent]\nInstructions=scenario:slow\n[Schedule]\nEvery=1s\n"})
        first = self.client.wait(lambda: self.runs_of("busy") and self.runs_of("busy")[0], 5, "the first wake")
        self.client.wait(lambda: any(e[2] == "note" and "skipped" in e[3] for e in self.client.events(first[5])), 10,
                         "a skipped wake recorded on the live run")
        self.assertEqual(len([r for r in self.runs_of("busy") if r[2] in ("queued", "running")]), 1)
        err = self.assert_dbus_error("org.shiftd.Shift1.Error.Busy", self.client.manager, "TriggerAgent", "s",
                                     ("busy",))
        self.assertIn(first[0], err.message)

    def test_missed_wake_happens_once_at_start(self):
        self.standin.scenario("ok", [{"reply": "fine"}])
        # an hour apart: no wake of its own comes during the test, only the missed one
        self.start(agents={"late": "[Agent]\nInstructions=scenario:ok\n[Schedule]\nEvery=1h\n"})
        self.client.wait(lambda: self.aget("late", "NextWakeAt") > 0, 5, "the first wake to be armed")
        self.assertEqual(self.runs_of("late"), [])
        self.assertEqual(self.daemon.stop(), 0)
        # the wake passed while shiftd was down: the store says it was due a minute ago
        due = (int(time.time()) - 60) * S
        self.set_next_wake_offline("late", due)
        self.daemon.start()
        missed = self.client.wait(lambda: self.runs_of("late") and self.runs_of("late")[0], 5, "the missed wake")
        self.assertEqual(self.client.wait_final(missed[5]), "done")
        self.assertEqual(self.client.get(missed[5], "Trigger"), "schedule")
        # the note is its own change, durable a moment after the receipt; it names the wake it stands for
        text = "this wake was due at %s, while shiftd was not running" % time.strftime(
            "%Y-%m-%d %H:%M:%S", time.localtime(due // S))
        self.client.wait(lambda: any(json.loads(e[3]).get("text") == text
                                     for e in self.client.events(missed[5]) if e[2] == "note"), 5,
                         "the note %r on %s" % (text, missed[0]))
        # once: the next wake is a normal one, an interval later, not a catch-up
        self.assertGreater(self.aget("late", "NextWakeAt") / S, time.time() + 3000)
        self.assertEqual(len(self.runs_of("late")), 1)

    def set_next_wake_offline(self, agent, next_wake):
        """Sets an agent's next wake in the store of the stopped daemon."""
        import sqlite3
        self.assertFalse(self.daemon.proc.alive())
        db = sqlite3.connect(os.path.join(self.daemon.state_dir, "shiftd.db"))
        try:
            with db:
                n = db.execute("UPDATE agents SET next_wake = ? WHERE name = ?", (next_wake, agent)).rowcount
            self.assertEqual(n, 1, "no row for agent %s in the store" % agent)
        finally:
            db.close()

    def test_disable_persists_and_manual_trigger_still_works(self):
        self.standin.scenario("ok", [{"reply": "fine"}])
        self.start(agents={"switch": "[Agent]\nInstructions=scenario:ok\n[Schedule]\nEvery=1s\n"})
        self.client.call(agent_path("switch"), AGENT, "SetEnabled", "b", (False,))
        self.assertFalse(self.aget("switch", "Enabled"))
        self.assertEqual(self.aget("switch", "NextWakeAt"), 0)
        count = len(self.runs_of("switch"))
        self.assertEqual(self.daemon.stop(), 0)
        self.daemon.start()
        self.assertFalse(self.aget("switch", "Enabled"))
        # the restarted daemon arms no wake for it (nor runs a missed one)
        self.assertEqual(self.aget("switch", "NextWakeAt"), 0)
        self.assertEqual(len(self.runs_of("switch")), count)
        name, path = self.client.call(agent_path("switch"), AGENT, "Trigger")
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Trigger"), "manual")
        self.assertEqual(self.aget("switch", "LastRun"), path)
        self.client.call(agent_path("switch"), AGENT, "SetEnabled", "b", (True,))
        self.client.wait(lambda: len(self.runs_of("switch", "schedule")) > 0, 5, "wakes again once enabled")


class Fairness(ShiftdTestCase):
    conf = {"Limits": {"ModelSlots": "2", "MaxActiveRuns": "16"}}
    agents = {"agent%d" % i: "[Agent]\nInstructions=scenario:fair%d\n" % i for i in range(6)}

    def test_six_agents_two_slots_no_starvation(self):
        call = 0.4
        for i in range(6):
            self.standin.scenario("fair%d" % i, [{"tool": "not_a_tool", "arguments": {}, "delay": call},
                                                 {"reply": "ok", "delay": call}])
        paths = [self.client.manager("TriggerAgent", "s", ("agent%d" % i,))[1] for i in range(6)]
        for p in paths:
            self.assertEqual(self.client.wait_final(p, 60), "done")
        self.assertEqual(self.standin.stats()["max_inflight"], 2)
        # FIFO grants: nobody waits longer than (queue position x the longest call)
        for position, p in enumerate(paths):
            events = self.client.events(p)
            started = next(e[1] for e in events if e[2] == "started")
            first_call = next(e[1] for e in events if e[2] == "model_call")
            bound = (position // 2 + 1) * 2 * call + 1.0
            self.assertLess((first_call - started) / S, bound, "run %d waited too long" % position)
        self.assertEqual(self.client.get(MANAGER_PATH, "ModelQueueLength", MANAGER), 0)


if __name__ == "__main__":
    main()
