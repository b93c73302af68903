#!/usr/bin/python3
"""Human decisions: answers by name (once), free text, deadlines with and
without a default, and waiting runs that outlive the daemon."""

import json
import threading

from harness import MANAGER_PATH, RUN, GLib, Gio, ShiftdTestCase, main, dbus_error_name

S = 10**6

ASK = {"tool": "ask_human", "arguments": {"question": "Merge the fix?", "choices": ["merge", "wait"]}}
ECHO = {"echo_last_tool_result": True}


class Decisions(ShiftdTestCase):
    agents = {
        "patient": "[Agent]\nInstructions=scenario:ask\n[Decisions]\nTimeout=1s\nDefault=wait\n",
        "strict": "[Agent]\nInstructions=scenario:ask\n[Decisions]\nTimeout=1s\n",
    }

    def setUp(self):
        super().setUp()
        self.standin.scenario("ask", [ASK, ECHO])

    def waiting(self, task="scenario:ask", agent=""):
        name, path = self.client.start_run(task, agent=agent)
        self.assertEqual(self.client.wait_state(path, ("waiting", "failed", "done")), "waiting")
        return name, path

    def test_two_answers_racing_exactly_one_wins(self):
        name, path = self.waiting()
        results = []
        done = threading.Event()
        conns = [self.bus.connect() for _ in range(2)]

        def answered(conn, res, choice):
            try:
                conn.call_finish(res)
                results.append(("ok", choice))
            except GLib.Error as e:
                results.append((dbus_error_name(e), choice))
            if len(results) == 2:
                done.set()
        for conn, choice in zip(conns, ("merge", "wait")):
            conn.call("org.shiftd.Shift1", path, RUN, "Answer", GLib.Variant("(s)", (choice,)), None,
                      Gio.DBusCallFlags.NONE, 10000, None, answered, choice)
        self.client.wait(lambda: done.is_set(), 10, "both answers to come back")
        outcomes = sorted(r[0] for r in results)
        self.assertEqual(outcomes, ["ok", "org.shiftd.Shift1.Error.NotWaiting"])
        winner = next(r[1] for r in results if r[0] == "ok")
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Result"), winner)
        self.assertEqual([e[2] for e in self.client.events(path)].count("answered"), 1)

    def test_an_answer_while_the_asking_worker_is_still_exiting(self):
        import os
        link = os.path.join(self.tmp, "ask-linger")
        os.symlink(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake-worker", "fake-worker.py"), link)
        self.daemon.stop()
        self.daemon = self.new_daemon(worker=link)
        self.daemon.start()
        name, path = self.waiting("anything")
        started = self.started_events(path)[-1]
        self.client.call(path, RUN, "Answer", "s", ("go",))
        self.assertFalse(self.worker_gone(started), "the first worker should still be lingering")
        self.assertEqual(self.client.wait_final(path, 15), "done")
        self.assertEqual(self.client.get(path, "Result"), "go")
        self.assertEqual(self.client.get(path, "Attempt"), 2)

    def test_free_text_answers(self):
        self.standin.scenario("free", [{"tool": "ask_human", "arguments": {"question": "Which branch?"}}, ECHO])
        name, path = self.waiting("scenario:free")
        self.assertEqual(self.client.get(path, "Choices"), [])
        self.assert_dbus_error("org.shiftd.Shift1.Error.InvalidArgument", self.client.call, path, RUN, "Answer",
                               "s", ("   ",))
        self.client.call(path, RUN, "Answer", "s", ("release/2.1",))
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Result"), "release/2.1")

    def test_agent_deadline_applies_its_default(self):
        name, path = self.waiting(agent="patient")
        deadline = self.client.get(path, "DecisionDeadline")
        self.assertAlmostEqual(deadline / S, self.client.get(path, "UpdatedAt") / S, delta=1.5)
        self.assertEqual(self.client.wait_final(path, 10), "done")
        answered = [json.loads(e[3]) for e in self.client.events(path) if e[2] == "answered"]
        self.assertEqual(answered[0]["answer"], "wait")
        self.assertEqual(answered[0]["by"], "deadline")
        self.assertIn("wait", self.client.get(path, "Result"))

    def test_deadline_without_default_fails(self):
        name, path = self.waiting(agent="strict")
        self.assertEqual(self.client.wait_final(path, 10), "failed")
        self.assertEqual(self.client.get(path, "Error"), "no answer before the deadline")
        self.assertEqual(self.client.get(path, "Question"), "")

    def test_the_model_sets_a_deadline_per_question(self):
        self.standin.scenario("quick", [{"tool": "ask_human", "arguments": {
            "question": "Retry?", "choices": ["yes", "no"], "default": "no", "deadline": "1s"}}, ECHO])
        name, path = self.waiting("scenario:quick")
        self.assertEqual(self.client.wait_final(path, 10), "done")
        self.assertIn("no", self.client.get(path, "Result"))

    def test_waiting_runs_and_deadlines_survive_kill9(self):
        self.standin.scenario("later", [{"tool": "ask_human", "arguments": {
            "question": "Deploy?", "choices": ["go", "stop"], "default": "stop", "deadline": "4s"}}, ECHO])
        a_name, a = self.waiting("scenario:later")
        b_name, b = self.waiting()
        before = {p: self.client.props(p) for p in (a, b)}
        self.daemon.kill9()
        self.daemon.start()
        for p in (a, b):
            props = self.client.props(p)
            for key in ("State", "Question", "Choices", "DecisionDeadline", "Task"):
                self.assertEqual(props[key], before[p][key], key)
        # no worker exists while a run waits, before or after the restart
        self.assertEqual(self.client.get(a, "Unit"), "")
        # b is answerable; a's deadline still holds and takes its default
        self.client.call(b, RUN, "Answer", "s", ("merge",))
        self.assertEqual(self.client.wait_final(b), "done")
        self.assertEqual(self.client.wait_final(a, 15), "done")
        answered = [json.loads(e[3]) for e in self.client.events(a) if e[2] == "answered"]
        self.assertEqual((answered[0]["answer"], answered[0]["by"]), ("stop", "deadline"))

    def test_decision_requested_then_answer_reaches_the_model(self):
        requested = []
        self.client.subscribe(lambda p, i, m, a: requested.append(a), path=MANAGER_PATH, member="DecisionRequested")
        name, path = self.waiting()
        self.client.wait(lambda: requested, 5, "DecisionRequested")
        kinds = [e[2] for e in self.client.events(path)]
        self.assertEqual(kinds[-1], "asked")  # durable before it was announced
        self.client.call(path, RUN, "Answer", "s", ("merge",))
        self.assertEqual(self.client.wait_final(path), "done")
        last = [r for r in self.standin.requests() if r["scenario"] == "ask"][-1]["body"]["messages"]
        ask_call = next(c for m in last if m.get("tool_calls") for c in m["tool_calls"]
                        if c["function"]["name"] == "ask_human")
        answer = next(m for m in last if m.get("role") == "tool" and m.get("tool_call_id") == ask_call["id"])
        self.assertIn("merge", answer["content"])


if __name__ == "__main__":
    main()
