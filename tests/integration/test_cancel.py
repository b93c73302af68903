#!/usr/bin/python3
"""Cancel in every state that is not final; final within 2 s, no process left."""

import json
import time

from harness import RUN, ShiftdTestCase, main


class Cancel(ShiftdTestCase):
    conf = {"Limits": {"MaxActiveRuns": "1"}}

    def test_cancel_running_is_final_within_two_seconds(self):
        self.standin.scenario("hang", [{"hang": True}])
        name, path = self.client.start_run("scenario:hang")
        self.client.wait(lambda: "model_call" in self.kinds(path), 10, "the model call to start")
        started = self.started_events(path)[-1]
        t0 = time.monotonic()
        self.client.call(path, RUN, "Cancel")
        self.assertEqual(self.client.get(path, "State"), "cancelled")
        self.assertLess(time.monotonic() - t0, 2.0)
        self.client.wait(lambda: self.worker_gone(started), 2.0 - (time.monotonic() - t0),
                         "the worker to be gone within 2 s of Cancel")
        events = self.client.events(path)
        self.assertEqual(events[-1][2], "cancelled")
        self.assertEqual(json.loads(events[-1][3])["uid"], self.client.get(path, "Owner"))
        # nothing is appended after the final event
        self.client.pump(0.3)
        self.assertEqual(self.client.events(path), events)
        self.assert_dbus_error("org.shiftd.Shift1.Error.AlreadyFinished", self.client.call, path, RUN, "Cancel")
        self.daemon_alive()

    def test_cancel_queued_and_waiting(self):
        self.standin.scenario("hang", [{"hang": True}])
        self.standin.scenario("ask", [{"tool": "ask_human", "arguments": {"question": "ok?"}}])
        # MaxActiveRuns=1: the second run queues behind the hanging first.
        a_name, a = self.client.start_run("scenario:hang")
        self.client.wait_state(a, "running")
        b_name, b = self.client.start_run("scenario:ask")
        self.assertEqual(self.client.wait_state(b, "queued"), "queued")
        self.assertEqual(self.client.get("/org/shiftd/Shift1", "ActiveRuns", "org.shiftd.Shift1.Manager"), 2)
        self.client.call(b, RUN, "Cancel")
        self.assertEqual(self.client.get(b, "State"), "cancelled")
        self.assertEqual(self.kinds(b), ["created", "cancelled"])
        self.client.call(a, RUN, "Cancel")
        # now a waiting run
        c_name, c = self.client.start_run("scenario:ask")
        self.client.wait_state(c, "waiting")
        self.client.call(c, RUN, "Cancel")
        self.assertEqual(self.client.get(c, "State"), "cancelled")
        self.assertEqual(self.client.get(c, "Question"), "")
        self.assert_dbus_error("org.shiftd.Shift1.Error.NotWaiting", self.client.call, c, RUN, "Answer", "s", ("x",))
        self.client.wait(lambda: self.client.get("/org/shiftd/Shift1", "ActiveRuns",
                                                 "org.shiftd.Shift1.Manager") == 0, 5, "ActiveRuns to drop to 0")


if __name__ == "__main__":
    main()
