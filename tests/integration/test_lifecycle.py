#!/usr/bin/python3
"""A run's whole life over D-Bus: receipt, events without gaps, each ending."""

import json
import os
import time

from harness import MANAGER, MANAGER_PATH, RUN, GLib, ShiftdTestCase, main


class Lifecycle(ShiftdTestCase):

    def test_receipt_then_done_with_gapless_events(self):
        self.standin.scenario("life", [
            {"tool": "finish", "arguments": {"result": "All 12 tests pass."}, "delay": 0.3},
        ])
        seen = []
        started, finished = [], []
        self.client.subscribe(lambda p, i, m, a: seen.append(a), iface=RUN, member="Event")
        self.client.subscribe(lambda p, i, m, a: started.append(a), path=MANAGER_PATH, member="RunStarted")
        self.client.subscribe(lambda p, i, m, a: finished.append(a), path=MANAGER_PATH, member="RunFinished")

        t0 = time.monotonic()
        name, path = self.client.start_run("Check the build. scenario:life")
        receipt_time = time.monotonic() - t0
        # The receipt comes before any model call is answered (the reply is delayed 0.3 s).
        self.assertLess(receipt_time, 0.3)
        self.assertRegex(name, r"^run-[2-9a-z]{4}$")
        self.assertTrue(path.startswith("/org/shiftd/Shift1/run/"))
        self.assertEqual(self.client.manager("GetRun", "s", (name,))[0], path)
        self.assertIn(self.client.get(path, "State"), ("queued", "running"))

        self.assertEqual(self.client.wait_final(path), "done")
        props = self.client.props(path)
        self.assertEqual(props["Name"], name)
        self.assertEqual(props["Agent"], "default")
        self.assertEqual(props["Trigger"], "manual")
        self.assertEqual(props["Task"], "Check the build. scenario:life")
        self.assertEqual(props["Result"], "All 12 tests pass.")
        self.assertEqual(props["Summary"], "All 12 tests pass.")
        self.assertEqual(props["Error"], "")
        self.assertEqual(props["Step"], 1)
        self.assertEqual(props["Attempt"], 1)
        self.assertEqual(props["Owner"], os.getuid())
        self.assertEqual(props["Unit"], "")
        self.assertTrue(0 < props["CreatedAt"] <= props["StartedAt"] <= props["FinishedAt"])

        events = self.client.events(path)
        self.assert_events_gapless(events)
        self.assertEqual(props["EventCount"], len(events))
        kinds = [e[2] for e in events]
        # finish ends the run: its tool_call is followed by the final event.
        self.assertEqual(kinds, ["created", "started", "model_call", "model_reply", "tool_call", "done"])
        for seq, when, kind, data in events:
            self.assertIsInstance(json.loads(data), dict)
        self.assertEqual(json.loads(events[-1][3])["result"], "All 12 tests pass.")

        # Every event was also announced, once, in order, with the same content.
        self.client.wait(lambda: len(seen) >= len(events), 5, "all Event signals")
        self.assertEqual([tuple(e) for e in seen], [tuple(e) for e in events])
        self.assertIn((name, path), [tuple(s) for s in started])
        self.assertIn((name, path, "done"), [tuple(f) for f in finished])
        # Paging returns the same list.
        self.assertEqual(self.client.events(path, 3, 2), events[2:4])
        self.assertEqual(self.client.events(path, len(events) + 1, 0), [])

    def test_plain_reply_is_the_result(self):
        self.standin.scenario("plain", [{"reply": "Nothing broke today."}])
        name, path, state = self.run_to_end("scenario:plain")
        self.assertEqual(state, "done")
        self.assertEqual(self.client.get(path, "Result"), "Nothing broke today.")
        self.assertEqual(self.kinds(path)[-1], "done")

    def test_no_work_ends_idle(self):
        self.standin.scenario("idle", [{"tool": "no_work", "arguments": {"reason": "inbox empty"}}])
        name, path, state = self.run_to_end("scenario:idle")
        self.assertEqual(state, "idle")
        events = self.client.events(path)
        self.assertEqual(events[-1][2], "no_work")
        self.assertEqual(json.loads(events[-1][3])["reason"], "inbox empty")
        self.assertIn("inbox empty", self.client.get(path, "Summary"))

    def test_ask_waits_with_question_then_answer_continues(self):
        self.standin.scenario("ask", [
            {"tool": "ask_human", "arguments": {"question": "Deploy to production?",
                                                "choices": ["deploy", "hold"], "deadline": "1h"}},
            {"echo_last_tool_result": True},
        ])
        asked = []
        self.client.subscribe(lambda p, i, m, a: asked.append(a), path=MANAGER_PATH, member="DecisionRequested")
        name, path = self.client.start_run("Ship it? scenario:ask")
        self.assertEqual(self.client.wait_state(path, ("waiting",) + ("failed", "done")), "waiting")
        props = self.client.props(path)
        self.assertEqual(props["Question"], "Deploy to production?")
        self.assertEqual(props["Choices"], ["deploy", "hold"])
        now = GLib.get_real_time()
        self.assertTrue(now + 3500 * 10**6 < props["DecisionDeadline"] <= now + 3600 * 10**6)
        self.assertEqual(self.kinds(path)[-1], "asked")
        self.client.wait(lambda: asked, 5, "DecisionRequested")
        self.assertEqual(tuple(asked[0]), (name, path, "Deploy to production?", ["deploy", "hold"]))
        # No worker while waiting: the attempt's process (or unit) is gone.
        started = self.started_events(path)[-1]
        self.client.wait(lambda: self.worker_gone(started), 5, "the worker to exit")

        self.assert_dbus_error("org.shiftd.Shift1.Error.InvalidArgument",
                               self.client.call, path, RUN, "Answer", "s", ("maybe",))
        self.client.call(path, RUN, "Answer", "s", ("deploy",))
        self.assert_dbus_error("org.shiftd.Shift1.Error.NotWaiting",
                               self.client.call, path, RUN, "Answer", "s", ("hold",))
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Result"), "deploy")
        self.assertEqual(self.client.get(path, "Attempt"), 2)
        self.assertEqual(self.client.get(path, "Question"), "")
        kinds = self.kinds(path)
        self.assertEqual(kinds[kinds.index("asked"):kinds.index("asked") + 3], ["asked", "answered", "started"])
        # The model saw the answer as the ask_human tool result.
        last = self.standin.requests()[-1]["body"]["messages"]
        tool_msgs = [m for m in last if m.get("role") == "tool"]
        self.assertEqual(tool_msgs[-1]["content"].strip().split("\n")[0].strip('"'), "deploy")

    def test_list_runs_and_object_manager(self):
        self.standin.scenario("quick", [{"reply": "ok"}])
        a = self.run_to_end("first scenario:quick")
        self.standin.scenario("idle", [{"tool": "no_work", "arguments": {"reason": "none"}}])
        b = self.run_to_end("second scenario:idle")
        runs = self.client.list_runs()
        self.assertEqual([r[0] for r in runs], [a[0], b[0]])
        row = runs[0]
        self.assertEqual(row[1:4], ("default", "done", "ok"))
        self.assertEqual(row[5], a[1])
        self.assertEqual([r[0] for r in self.client.list_runs(state="idle")], [b[0]])
        self.assertEqual([r[0] for r in self.client.list_runs(limit=1)], [b[0]])
        self.assertEqual(self.client.list_runs(agent="nobody"), [])
        self.assertEqual(len(self.client.list_runs(since=GLib.get_real_time() + 10**9)), 0)
        managed = self.client.call(MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")[0]
        self.assertIn(a[1], managed)
        self.assertEqual(managed[a[1]][RUN]["State"], "done")
        self.assertIn("/org/shiftd/Shift1/agent/default", managed)

    def test_manager_properties(self):
        props = self.client.props(MANAGER_PATH, MANAGER)
        self.assertEqual(props["Mode"], "user")
        self.assertEqual(props["Backend"], self.daemon.backend)
        self.assertEqual(props["ModelSlots"], 2)
        self.assertEqual(props["ModelSlotsInUse"], 0)
        self.assertEqual(props["ModelQueueLength"], 0)
        self.assertEqual(props["ActiveRuns"], 0)
        self.assertRegex(props["Version"], r"^\d+\.\d+")
        agents = self.client.manager("ListAgents")[0]
        self.assertEqual(agents[0][0], "default")
        self.assertEqual(agents[0][4], "/org/shiftd/Shift1/agent/default")


if __name__ == "__main__":
    main()
