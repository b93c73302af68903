#!/usr/bin/python3
"""shiftctl against the live daemon: receipts, follow without gaps or doubles,
status, list, cancel, answer, and one-line errors with non-zero exits."""

import json
import re
import subprocess

from harness import SHIFTCTL, ShiftdTestCase, main


class Shiftctl(ShiftdTestCase):

    def ctl(self, *args, check=True, timeout=60):
        p = subprocess.run([SHIFTCTL, "--address=" + self.bus.address] + list(args), capture_output=True,
                           text=True, timeout=timeout)
        if check and p.returncode != 0:
            self.fail("shiftctl %s exited %d: %s" % (" ".join(args), p.returncode, p.stderr))
        return p

    def event_lines(self, text):
        return [int(m.group(1)) for m in re.finditer(r"^\s*(\d+) \S+ \d+ \S+ (\S+)", text, re.M)]

    def test_start_follow_prints_receipt_then_every_event(self):
        self.standin.scenario("cli", [{"tool": "not_a_tool", "arguments": {}, "delay": 0.2},
                                      {"tool": "finish", "arguments": {"result": "shipped"}, "delay": 0.2}])
        p = self.ctl("start", "--follow", "ship it scenario:cli")
        first = p.stdout.splitlines()[0]
        m = re.match(r"Started (\S+)\s+(/org/shiftd/Shift1/run/\S+)$", first)
        self.assertIsNotNone(m, first)
        name, path = m.groups()
        seqs = self.event_lines(p.stdout)
        events = self.client.events(path)
        self.assertEqual(seqs, [e[0] for e in events])
        self.assertIn("shipped", p.stdout)

    def test_follow_a_half_done_run_without_gaps_or_doubles(self):
        self.standin.scenario("long", [{"tool": "not_a_tool", "arguments": {"i": 1}, "delay": 0.15}] * 8
                              + [{"tool": "finish", "arguments": {"result": "ok"}, "delay": 0.15}])
        name, path = self.client.start_run("scenario:long")
        self.client.wait(lambda: len(self.client.events(path)) >= 6, 15, "the run to be half done")
        p = self.ctl("events", "--follow", name)
        seqs = self.event_lines(p.stdout)
        self.assertEqual(self.client.get(path, "State"), "done")
        self.assertEqual(seqs, list(range(1, self.client.get(path, "EventCount") + 1)))

    def test_json_status_list_and_receipt(self):
        self.standin.scenario("ask", [{"tool": "ask_human",
                                       "arguments": {"question": "Go?", "choices": ["go", "stop"]}},
                                      {"echo_last_tool_result": True}])
        receipt = json.loads(self.ctl("--json", "start", "scenario:ask").stdout)
        self.assertEqual(set(receipt), {"name", "path"})
        self.client.wait_state(receipt["path"], "waiting")
        status = json.loads(self.ctl("--json", "status", receipt["name"]).stdout)
        self.assertEqual(status["state"], "waiting")
        self.assertEqual(status["question"], "Go?")
        self.assertEqual(status["choices"], ["go", "stop"])
        listed = json.loads(self.ctl("--json", "list", "--state", "waiting").stdout)
        self.assertEqual([r["name"] for r in listed], [receipt["name"]])

        bad = self.ctl("answer", receipt["name"], "maybe", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertEqual(len(bad.stderr.strip().splitlines()), 1)
        self.ctl("answer", receipt["name"], "go")
        self.assertEqual(self.client.wait_final(receipt["path"]), "done")
        self.assertEqual(self.client.get(receipt["path"], "Result"), "go")

    def test_cancel_and_errors(self):
        self.standin.scenario("hang", [{"hang": True}])
        name, path = self.client.start_run("scenario:hang")
        self.client.wait_state(path, "running")
        self.ctl("cancel", name)
        self.assertEqual(self.client.get(path, "State"), "cancelled")
        again = self.ctl("cancel", name, check=False)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("already finished", again.stderr)

        for args, expect in ((("status", "nope"), "no run named"),
                             (("--json", "status", "nope"), "NoSuchRun"),
                             (("start", "--agent", "ghost", "x"), "no agent named"),
                             (("start", "   "), "empty")):
            p = self.ctl(*args, check=False)
            self.assertNotEqual(p.returncode, 0, args)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertIn(expect, p.stderr + p.stdout)
        usage = self.ctl("frobnicate", check=False)
        self.assertEqual(usage.returncode, 2)
        self.daemon_alive()

    def test_list_limit_after_a_restart(self):
        """--limit keeps the newest runs, also once the daemon has loaded them
        from its store (it once loaded them out of creation order)."""
        self.standin.scenario("quick", [{"reply": "ok"}])
        names = []
        for i in range(6):
            name, path = self.client.start_run("scenario:quick #%d" % i)
            self.client.wait_final(path)
            names.append(name)
        before = [r["name"] for r in json.loads(self.ctl("--json", "list", "--limit", "3").stdout)]
        self.assertEqual(before, names[-3:])
        self.assertEqual(self.daemon.stop(), 0, self.daemon.log())
        self.daemon.start()
        after = [r["name"] for r in json.loads(self.ctl("--json", "list", "--limit", "3").stdout)]
        self.assertEqual(after, names[-3:])
        every = [r["name"] for r in json.loads(self.ctl("--json", "list").stdout)]
        self.assertEqual(every, names)

    def test_no_daemon_is_a_clear_error(self):
        self.daemon.stop()
        p = self.ctl("list", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not running", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1)


if __name__ == "__main__":
    main()
