#!/usr/bin/python3
"""Content stays with those who may read it. On a bus other uids share
(system mode) no broadcast signal carries run content: Event json is
{"redacted":true}, DecisionRequested has an empty question and no choices,
PropertiesChanged names content properties without values, InterfacesAdded
leaves them empty. On the session bus (user mode, one uid) signals carry
everything, so a desktop client needs no call per change. shiftctl works in
both modes."""

import json
import subprocess

from gi.repository import Gio

from harness import MANAGER, RUN, SHIFTCTL, ShiftdTestCase, main

TASK = "the secret task scenario:ask"
QUESTION = "Ship the secret?"
CONTENT = ("Task", "Summary", "Result", "Error", "Question", "Choices")


class Signals(ShiftdTestCase):
    start_daemon = False
    system = True

    def setUp(self):
        super().setUp()
        if self.systemd:
            self.skipTest("what signals carry does not depend on the backend")
        self.standin.scenario("ask", [{"tool": "ask_human", "arguments": {"question": QUESTION,
                                                                           "choices": ["ship", "hold"]}},
                                      {"tool": "finish", "arguments": {"result": "the secret result"}}])
        self.daemon = self.new_daemon(system=self.system)
        self.daemon.start()
        self.signals = []
        sid = self.client.conn.signal_subscribe(
            "org.shiftd.Shift1", None, None, None, None, Gio.DBusSignalFlags.NONE,
            lambda c, s, p, i, m, params: self.signals.append((p, i, m, params.unpack())))
        self.addCleanup(self.client.conn.signal_unsubscribe, sid)

    def run_through_a_decision(self):
        name, path = self.client.start_run(TASK)
        self.client.wait_state(path, "waiting")
        self.client.wait(lambda: any(s[2] == "DecisionRequested" for s in self.signals), 5, "DecisionRequested")
        self.client.call(path, RUN, "Answer", "s", ("ship",))
        self.client.wait_final(path)
        self.client.wait(lambda: any(s[2] == "RunFinished" for s in self.signals), 5, "RunFinished")
        self.client.pump(0.2)
        return name, path

    def of(self, member, path=None):
        return [s[3] for s in self.signals if s[2] == member and (path is None or s[0] == path)]

    def changed(self, path):
        """Every Run property announced: {name: [values]}, and the invalidated names."""
        values, invalidated = {}, set()
        for iface, changed, names in self.of("PropertiesChanged", path):
            if iface != RUN:
                continue
            for k, v in changed.items():
                values.setdefault(k, []).append(v)
            invalidated.update(names)
        return values, invalidated

    def added(self, path):
        for obj, ifaces in self.of("InterfacesAdded"):
            if obj == path:
                return ifaces[RUN]
        self.fail("no InterfacesAdded for %s" % path)

    def test_what_the_signals_carry(self):
        name, path = self.run_through_a_decision()
        values, invalidated = self.changed(path)
        added = self.added(path)
        events = self.of("Event", path)
        decision = self.of("DecisionRequested")[0]
        everything = json.dumps([values, added, events, decision])
        self.assertGreater(len(events), 4)
        if self.system:
            for secret in ("secret", "Ship the", "ship\"", "hold"):
                self.assertNotIn(secret, everything)
            self.assertTrue(all(e[3] == '{"redacted":true}' for e in events), events)
            self.assertEqual(decision, (name, path, "", []))
            self.assertEqual(added["Task"], "")
            for prop in ("Summary", "Result", "Question", "Choices"):
                self.assertNotIn(prop, values)
                self.assertIn(prop, invalidated)
        else:
            self.assertEqual(added["Task"], TASK)
            self.assertEqual(decision, (name, path, QUESTION, ["ship", "hold"]))
            self.assertIn(QUESTION, values["Question"])
            self.assertIn(["ship", "hold"], values["Choices"])
            self.assertIn("the secret result", values["Result"])
            self.assertTrue(values["Summary"])
            self.assertFalse(invalidated & set(CONTENT), invalidated)
            self.assertTrue(any("the secret result" in e[3] for e in events))
        # the state is no secret either way
        self.assertIn("waiting", values["State"])
        # and content comes by call to who may read it (root here)
        self.assertEqual(self.client.get(path, "Task"), TASK)
        self.assertEqual(self.client.get(path, "Result"), "the secret result")

    def test_shiftctl_follows_and_answers(self):
        self.standin.scenario("ask", [{"tool": "ask_human", "arguments": {"question": QUESTION,
                                                                           "choices": ["ship", "hold"]}},
                                      {"echo_last_tool_result": True}])
        follow = subprocess.Popen([SHIFTCTL, "--address=" + self.bus.address, "start", "--follow", TASK],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: follow.poll() is None and follow.kill())
        self.client.wait(lambda: self.of("DecisionRequested"), 15, "the question")
        name = self.of("DecisionRequested")[0][0]
        status = json.loads(subprocess.run([SHIFTCTL, "--address=" + self.bus.address, "--json", "status", name],
                                           capture_output=True, text=True, timeout=30).stdout)
        self.assertEqual((status["question"], status["choices"]), (QUESTION, ["ship", "hold"]))
        p = subprocess.run([SHIFTCTL, "--address=" + self.bus.address, "answer", name, "ship"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        out, err = follow.communicate(timeout=30)
        self.assertEqual(follow.returncode, 0, err)
        self.assertIn(QUESTION, out)  # the events' content, read by call in system mode
        self.assertIn("ship", out)


class SessionSignals(Signals):
    system = False


if __name__ == "__main__":
    main()
