#!/usr/bin/python3
"""kill -9 loses nothing announced; lost workers resume from their checkpoint;
SIGTERM stops cleanly; names are never reused."""

import json
import os
import signal

from harness import RUN, ShiftdTestCase, main


class Durability(ShiftdTestCase):

    def restart(self, kill=True):
        if kill:
            self.daemon.kill9()
        else:
            self.assertEqual(self.daemon.stop(), 0, "shiftd did not exit 0 on SIGTERM:\n" + self.daemon.log())
        self.daemon.start()

    def test_kill9_mid_run_resumes_from_checkpoint(self):
        self.standin.scenario("long", [
            {"tool": "not_a_tool", "arguments": {"why": "first step"}},
            {"tool": "not_a_tool", "arguments": {"why": "second step"}, "delay": 30},
            {"tool": "finish", "arguments": {"result": "finished after resume"}},
        ])
        name, path = self.client.start_run("scenario:long")
        # wait until the second model call is under way (the first step is checkpointed)
        self.client.wait(lambda: [json.loads(e[3]).get("step") for e in self.client.events(path)
                                  if e[2] == "model_call"] == [1, 2], 15, "the second model call")
        announced = self.client.events(path)
        # the slow step is in flight; the next attempt finds it quick
        self.standin.scenario("long", [
            {"tool": "not_a_tool", "arguments": {"why": "first step"}},
            {"tool": "not_a_tool", "arguments": {"why": "second step"}},
            {"tool": "finish", "arguments": {"result": "finished after resume"}},
        ])
        self.restart(kill=True)
        # resumed: same name, same events so far, then a new attempt
        self.assertEqual(self.client.manager("GetRun", "s", (name,))[0], path)
        self.assertEqual(self.client.events(path)[:len(announced)], announced)
        self.assertEqual(self.client.wait_final(path, 30), "done")
        events = self.client.events(path)
        self.assert_events_gapless(events)
        kinds = [e[2] for e in events]
        self.assertEqual(kinds.count("resumed"), 1)
        resumed = json.loads(events[kinds.index("resumed")][3])
        self.assertEqual(resumed["attempt"], 2)
        self.assertEqual(resumed["from_step"], 1)
        self.assertEqual(self.client.get(path, "Attempt"), 2)
        self.assertEqual(self.client.get(path, "Result"), "finished after resume")
        # the resumed attempt carried the first step's conversation: its first request
        # already had one assistant message (the checkpoint), not a fresh start
        resumed_calls = [r for r in self.standin.requests() if r["scenario"] == "long"]
        self.assertEqual([r["step"] for r in resumed_calls][-2:], [1, 2])

    def test_kill9_after_finish_keeps_everything(self):
        self.standin.scenario("quick", [{"reply": "ok"}])
        self.standin.scenario("ask", [{"tool": "ask_human", "arguments": {"question": "Merge?",
                                                                          "choices": ["yes", "no"]}},
                                      {"echo_last_tool_result": True}])
        done = [self.run_to_end("scenario:quick") for _ in range(3)]
        w_name, w_path = self.client.start_run("scenario:ask")
        self.client.wait_state(w_path, "waiting")
        before = {p: (self.client.props(p), self.client.events(p)) for _, p, _ in done}
        before[w_path] = (self.client.props(w_path), self.client.events(w_path))
        self.restart(kill=True)
        for path, (props, events) in before.items():
            self.assertEqual(self.client.props(path), props)
            self.assertEqual(self.client.events(path), events)
        # the waiting run is still answerable
        self.client.call(w_path, RUN, "Answer", "s", ("yes",))
        self.assertEqual(self.client.wait_final(w_path), "done")
        self.assertEqual(self.client.get(w_path, "Result"), "yes")

    def test_receipt_is_durable_before_the_reply(self):
        self.standin.scenario("hang", [{"hang": True}])
        names = []
        for _ in range(5):
            name, path = self.client.start_run("scenario:hang")
            names.append(name)
        self.daemon.kill9()
        self.daemon.start()
        for name in names:
            path = self.client.manager("GetRun", "s", (name,))[0]
            self.assertEqual(self.client.events(path)[0][2], "created")
        for name in names:
            self.client.call(self.client.manager("GetRun", "s", (name,))[0], RUN, "Cancel")

    def test_sigterm_stops_cleanly_and_runs_resume(self):
        self.standin.scenario("slow", [
            {"tool": "not_a_tool", "arguments": {}},
            {"tool": "finish", "arguments": {"result": "ok"}, "delay": 30},
        ])
        name, path = self.client.start_run("scenario:slow")
        self.client.wait(lambda: self.kinds(path).count("model_call") == 2, 15, "the second model call")
        pid = self.daemon.proc.pid
        self.standin.scenario("slow", [
            {"tool": "not_a_tool", "arguments": {}},
            {"tool": "finish", "arguments": {"result": "ok"}},
        ])
        self.restart(kill=False)
        self.assertNotEqual(self.daemon.proc.pid, pid)
        self.assertEqual(self.client.wait_final(path, 30), "done")
        self.assertIn("resumed", self.kinds(path))

    def test_names_are_never_reused(self):
        self.standin.scenario("quick", [{"reply": "ok"}])
        names = set()
        for round_ in range(2):
            for _ in range(40):
                name, path = self.client.start_run("scenario:quick")
                self.assertNotIn(name, names)
                names.add(name)
            self.restart(kill=round_ == 0)
        self.assertEqual(len(self.client.list_runs()), 80)


class LeftoverUnits(ShiftdTestCase):
    """A unit an earlier shiftd started for an attempt it never recorded
    (killed between StartTransientUnit and the store) is not in the way of
    that run's next attempt, even while it is still stopping."""

    conf = {"Limits": {"MaxActiveRuns": "1"}}

    def test_an_unrecorded_attempts_unit_still_stopping(self):
        if not self.systemd:
            self.skipTest("units are the systemd backend's")
        self.standin.scenario("hang", [{"hang": True}])
        self.standin.scenario("quick", [{"reply": "ok"}])
        _, busy = self.client.start_run("scenario:hang")
        self.client.wait_state(busy, "running")
        name, path = self.client.start_run("scenario:quick")
        self.assertEqual(self.client.get(path, "State", RUN), "queued")
        self.daemon.kill9()
        # what the killed daemon might have left: the run's first unit, slow to stop
        unit = "shiftd-run-%s-1.service" % name
        r = self.systemd.systemd_run("--unit=" + unit, "-p", "TimeoutStopSec=20", "--",
                                     "/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.1; done")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.addCleanup(self.systemd.systemctl, "kill", "--signal=KILL", unit)
        conf = os.path.join(self.daemon.config_dir, "shiftd.conf")
        with open(conf) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(text.replace("MaxActiveRuns=1", "MaxActiveRuns=2"))
        self.daemon.start()
        self.assertEqual(self.client.wait_final(path, 30), "done", self.client.get(path, "Error", RUN))
        started = self.started_events(path)
        self.assertEqual([(e["attempt"], e["unit"]) for e in started],
                         [(2, "shiftd-run-%s-2.service" % name)], started)
        self.assertIn("stopping %s, left from an earlier shiftd" % unit, self.daemon.log())
        self.client.call(busy, RUN, "Cancel")


if __name__ == "__main__":
    main()
