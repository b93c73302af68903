#!/usr/bin/python3
"""shiftctl against a scripted org.shiftd.Shift1 (mock_shiftd.py) on a private bus.

Never touches the machine's buses: every child gets a private session bus and
a system bus address that leads nowhere. Every process started here is stopped
by PID.
"""

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import gi

gi.require_version("Gio", "2.0")
gi.require_version("GLib", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MOCK = os.path.join(HERE, "mock_shiftd.py")
SHIFTCTL = os.environ.get("SHIFTCTL") or os.path.join(
    os.environ.get("SHIFTD_BUILD_ROOT", "build"), "src", "cli", "shiftctl")
RUN_PATH = "/org/shiftd/Shift1/run/"
EVENT_LINE = re.compile(r"^\s*(\d+) \w{3} \d\d \d\d:\d\d:\d\d (\w+)")


def read_line(proc, timeout):
    """The first line proc prints, waiting at most timeout seconds."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        if not sel.select(timeout):
            raise AssertionError("%s printed nothing within %ss" % (proc.args[0], timeout))
        return proc.stdout.readline().decode().strip()
    finally:
        sel.close()


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout:
        proc.stdout.close()


def start_bus(directory):
    """A private dbus-daemon; returns (process, address)."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "dbus.log"), "wb") as log:
        proc = subprocess.Popen(
            ["dbus-daemon", "--session", "--address=unix:path=%s/bus" % directory, "--nofork",
             "--print-address=1"], stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    return proc, read_line(proc, 20)


def event_seqs(text):
    return [int(m.group(1)) for m in map(EVENT_LINE.match, text.splitlines()) if m]


class ShiftctlMockTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="shiftctl-mock-")
        cls.bus, cls.address = start_bus(os.path.join(cls.tmp, "main"))
        cls.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": cls.tmp,
            "TZ": "UTC",
            "LC_ALL": "C.UTF-8",
            "DBUS_SESSION_BUS_ADDRESS": cls.address,
            "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=%s/no-system-bus" % cls.tmp,
        }
        cls.conn = Gio.DBusConnection.new_for_address_sync(
            cls.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)

    @classmethod
    def tearDownClass(cls):
        cls.conn.close_sync(None)
        stop(cls.bus)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def start_mock(self, runs, receipt=None):
        cfg = {"runs": runs, "receipt": receipt or (runs[0]["name"] if runs else "")}
        proc = subprocess.Popen([sys.executable, MOCK, json.dumps(cfg)], env=self.env,
                                stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.addCleanup(stop, proc)
        self.assertEqual(read_line(proc, 20), "READY")
        return proc

    def ctl(self, *args, env=None, address=True, timeout=30, input=None):
        argv = [SHIFTCTL] + (["--address=" + self.address] if address else []) + list(args)
        stdin = {} if input is not None else {"stdin": subprocess.DEVNULL}
        return subprocess.run(argv, env=env or self.env, capture_output=True, text=True,
                              timeout=timeout, input=input, **stdin)

    def calls(self, method=None):
        reply = self.conn.call_sync("org.shiftd.Shift1", "/org/shiftd/Test", "org.shiftd.Test.Control",
                                    "GetCalls", None, GLib.VariantType("(s)"),
                                    Gio.DBusCallFlags.NONE, 10000, None)
        calls = json.loads(reply.unpack()[0])
        return [c for c in calls if method is None or c[1] == method]

    def assert_one_error_line(self, result, text, status=1):
        self.assertEqual(result.returncode, status, result)
        self.assertEqual(result.stderr, "shiftctl: %s\n" % text)

    # events

    def test_events_prints_history_in_pages(self):
        self.start_mock([{"name": "run-a", "state": "done", "total": 9, "page_cap": 4}])
        result = self.ctl("events", "run-a")
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(event_seqs(result.stdout), list(range(1, 10)))
        self.assertGreaterEqual(len(self.calls("GetEvents")), 3)  # 4 + 4 + 1, then an empty page

        lines = self.ctl("events", "run-a", "--json", "--from", "3").stdout.splitlines()
        events = [json.loads(line) for line in lines]
        self.assertEqual([e["seq"] for e in events], list(range(3, 10)))
        self.assertEqual(events[-1]["kind"], "done")
        self.assertEqual(events[-1]["data"], {"result": "All tidy."})

    def test_events_human_rendering(self):
        self.start_mock([{"name": "run-a", "state": "done", "total": 6}])
        lines = self.ctl("events", "run-a").stdout.splitlines()
        # time spans read as spans, not as microseconds
        self.assertRegex(lines[0], r"^\s+1 Nov 14 22:13:21 created\s+Tidy the build log trigger=manual "
                                   r"max_steps=20 timeout=1h$")
        self.assertIn("model_call   step 1: mock-1, 3 messages", lines[2])
        self.assertIn('model_reply  step 1: "Looking at it" \u2192 shell', lines[3])
        self.assertIn("tool_call    step 1: shell(command=ls)", lines[4])
        self.assertIn("done         All tidy.", lines[5])

    def test_follow_live_events_with_gap_and_duplicates(self):
        # history 1..5; then 6..14 only as signals, 7 and 8 never signalled,
        # 3 and 9 signalled twice
        self.start_mock([{"name": "run-b", "history": 5, "total": 14, "page_cap": 4,
                          "live_on": "caught_up", "drop": [7, 8], "resend": [3, 9]}])
        result = self.ctl("events", "run-b", "--follow")
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(event_seqs(result.stdout), list(range(1, 15)))
        self.assertEqual(result.stderr, "")
        # the gap was filled by asking for exactly the missing range
        self.assertIn(["/org/shiftd/Shift1/run/run_2db", "GetEvents", "(uint32 7, uint32 2)"],
                      self.calls("GetEvents"))

    def test_follow_while_history_is_still_being_read(self):
        # live events are appended while the client still pages through history
        self.start_mock([{"name": "run-c", "history": 9, "total": 40, "page_cap": 2,
                          "drop": [20, 21, 22], "resend": [1, 39]}])
        result = self.ctl("--json", "events", "--follow", "run-c")
        self.assertEqual(result.returncode, 0, result)
        seqs = [json.loads(line)["seq"] for line in result.stdout.splitlines()]
        self.assertEqual(seqs, list(range(1, 41)))

    def test_follow_subscribes_before_reading_history(self):
        # 6..12 and the final state are announced before the first GetEvents
        # reply, and GetEvents never serves them: a client that subscribed
        # after reading history would never see them and would hang
        self.start_mock([{"name": "run-d", "history": 5, "total": 12, "strict": True,
                          "early": list(range(6, 13))}])
        result = self.ctl("events", "run-d", "--follow", timeout=20)
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(event_seqs(result.stdout), list(range(1, 13)))

    def test_follow_final_state_before_last_event(self):
        # State=done comes first and the last event's signal never comes:
        # EventCount says there is one more, so it is fetched
        self.start_mock([{"name": "run-e", "history": 3, "total": 8, "live_on": "caught_up",
                          "state_first": True, "drop": [8]}])
        result = self.ctl("events", "run-e", "--follow")
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(event_seqs(result.stdout), list(range(1, 9)))

    def test_follow_from(self):
        self.start_mock([{"name": "run-f", "history": 6, "total": 12}])
        result = self.ctl("events", "--from=4", "run-f", "--follow")
        self.assertEqual(event_seqs(result.stdout), list(range(4, 13)))

    def test_follow_finished_run_ends_at_once(self):
        self.start_mock([{"name": "run-g", "state": "failed", "total": 7}])
        result = self.ctl("events", "run-g", "--follow")
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(event_seqs(result.stdout), list(range(1, 8)))

    def test_follow_stops_at_a_question(self):
        self.start_mock([{"name": "run-w", "history": 4, "total": 9, "final_state": "waiting"}])
        result = self.ctl("events", "run-w", "--follow")
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(event_seqs(result.stdout), list(range(1, 10)))
        tail = result.stdout.split("\n", 9)[-1]
        self.assertIn("run-w is waiting for a decision:\n  Deploy now?\n  Choices: yes, no\n", tail)
        self.assertIn("Answer with: shiftctl --address=%s answer run-w CHOICE" % self.address, tail)

    def test_follow_reports_a_vanished_daemon(self):
        self.start_mock([{"name": "run-v", "history": 5, "total": 5, "vanish": True}])
        result = self.ctl("events", "run-v", "--follow")
        self.assert_one_error_line(
            result, "shiftd left the bus at %s (org.shiftd.Shift1 has no owner now) before the run ended"
            % self.address)
        self.assertEqual(event_seqs(result.stdout), list(range(1, 6)))

    # start / trigger

    def test_start_prints_the_receipt_and_sends_typed_options(self):
        self.start_mock([{"name": "run-7k2m", "state": "queued", "total": 0}])
        result = self.ctl("start", "--agent", "triage", "--model=m1", "--max-steps", "5",
                          "--timeout", "1h 30min", "--label", "nightly", "Fix", "the build")
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(result.stdout, "Started run-7k2m  /org/shiftd/Shift1/run/run_2d7k2m\n")
        [call] = self.calls("StartRun")
        self.assertEqual(call[2], "('triage', 'Fix the build', {'model': <'m1'>, 'max_steps': <uint32 5>, "
                                  "'timeout': <uint64 5400000000>, 'label': <'nightly'>})")

        # options and --json anywhere; no options: an empty a{sv} and the default agent
        result = self.ctl("--json", "start", "--", "--not-an-option")
        self.assertEqual(json.loads(result.stdout),
                         {"name": "run-7k2m", "path": "/org/shiftd/Shift1/run/run_2d7k2m"})
        self.assertEqual(self.calls("StartRun")[1][2], "('', '--not-an-option', @a{sv} {})")

    def test_start_follow_and_wait_exit_by_outcome(self):
        self.start_mock([{"name": "run-bad", "history": 2, "total": 6, "final_state": "failed"},
                         {"name": "run-ok", "history": 2, "total": 6, "final_state": "done"}],
                        receipt="run-bad")
        result = self.ctl("start", "--follow", "break", "it")
        self.assertEqual(result.returncode, 1, result)
        lines = result.stdout.splitlines()
        self.assertTrue(lines[0].startswith("Started run-bad  "))
        self.assertEqual(event_seqs(result.stdout), list(range(1, 7)))
        # the state once, then the error ("failed: failed: …" once)
        self.assertEqual(lines[-1], "\u25cf run-bad failed: model server unreachable")
        self.assertNotIn("failed: failed", result.stdout)

    def test_start_wait_prints_only_the_outcome(self):
        self.start_mock([{"name": "run-ok", "history": 2, "total": 6, "final_state": "done"}])
        result = self.ctl("start", "--wait", "tidy")
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(result.stdout.splitlines()[1:], ["\u25cf run-ok done", "All tidy."])
        result = self.ctl("--json", "start", "--wait", "tidy")
        receipt, outcome = map(json.loads, result.stdout.splitlines())
        self.assertEqual(receipt["name"], "run-ok")
        self.assertEqual((outcome["state"], outcome["result"]), ("done", "All tidy."))

    def test_trigger(self):
        self.start_mock([{"name": "triage-x1", "state": "queued", "total": 0}])
        result = self.ctl("trigger", "triage")
        self.assertEqual(result.stdout, "Started triage-x1  /org/shiftd/Shift1/run/triage_2dx1\n")
        self.assert_one_error_line(self.ctl("trigger", "nope"), 'no agent named "nope"', status=4)

    # status / list / agents

    def test_status_of_a_waiting_run(self):
        self.start_mock([{"name": "run-w", "state": "waiting", "total": 8, "final_state": "waiting"}])
        result = self.ctl("status", "run-w")
        self.assertEqual(result.returncode, 0, result)
        out = result.stdout
        self.assertTrue(out.startswith("\u25cf run-w - working on it\n"), out)
        for line in ["      State: waiting", "    Trigger: manual", "       Task: Tidy the build log",
                     "             and say what you did", "   Progress: step 2, attempt 1",
                     "    Created: Tue 2023-11-14 22:13:20 UTC; ", "      Owner: uid 1000",
                     "   Question: Deploy now?", "    Choices: yes, no",
                     "   Deadline: Tue 2023-11-14 23:13:20 UTC; ",
                     "     Answer: shiftctl --address=%s answer run-w CHOICE" % self.address,
                     "Events (last 5 of 8):"]:
            self.assertIn("\n" + line, out)
        self.assertEqual(event_seqs(out), [4, 5, 6, 7, 8])

        status = json.loads(self.ctl("status", "run-w", "--json").stdout)
        self.assertEqual(status["name"], "run-w")
        self.assertEqual(status["state"], "waiting")
        self.assertEqual(status["choices"], ["yes", "no"])
        self.assertEqual(status["event_count"], 8)
        self.assertEqual(status["created_at"], 1_700_000_000_000_000)
        self.assertEqual(status["path"], RUN_PATH + "run_2dw")
        self.assertEqual([e["seq"] for e in status["events"]], [4, 5, 6, 7, 8])

    def test_list(self):
        self.start_mock([{"name": "run-a", "state": "running", "total": 0},
                         {"name": "run-long-name", "state": "done", "total": 0, "agent": "triage",
                          "summary": "tidied \u00fcber alles"}])
        before = time.time_ns() // 1000
        result = self.ctl("list", "--json", "--state", "running", "--limit", "5", "--since", "1h",
                          "--agent", "default")
        after = time.time_ns() // 1000
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(json.loads(result.stdout), [{
            "name": "run-a", "agent": "default", "state": "running", "summary": "working on it",
            "created_at": 1_700_000_000_000_000, "path": RUN_PATH + "run_2da"}])
        [call] = self.calls("ListRuns")
        since = int(re.search(r"'since': <uint64 (\d+)>", call[2]).group(1))
        self.assertTrue(before - 3600 * 10**6 <= since <= after - 3600 * 10**6, call)
        self.assertIn("'state': <'running'>", call[2])
        self.assertIn("'agent': <'default'>", call[2])
        self.assertIn("'limit': <uint32 5>", call[2])

        lines = self.ctl("list").stdout.splitlines()
        self.assertEqual(len(lines), 5)
        self.assertEqual(lines[3:], ["", "2 runs listed."])
        bare = self.ctl("list", "--no-legend").stdout.splitlines()
        self.assertEqual(bare, lines[1:3])
        self.assertEqual(self.ctl("list", "--state", "queued", "--no-legend").stdout, "")
        self.assertEqual(self.ctl("list", "--state", "queued").stdout, "No runs.\n")
        self.assertRegex(lines[0], r"^NAME +AGENT +STATE +CREATED +SUMMARY$")
        for column in ("AGENT", "STATE", "CREATED", "SUMMARY"):
            at = lines[0].index(column)
            for line in lines[1:3]:
                self.assertEqual(line[at - 2:at], "  ", (column, line))
                self.assertNotEqual(line[at], " ", (column, line))
        self.assertTrue(lines[2].endswith("tidied \u00fcber alles"))

        self.assertEqual(self.ctl("list", "--state", "sleepy").returncode, 2)

    def test_agents_tolerates_missing_properties(self):
        self.start_mock([{"name": "triage-1", "state": "done", "total": 0}])
        result = self.ctl("agents")
        self.assertEqual(result.returncode, 0, result)
        lines = result.stdout.splitlines()
        self.assertRegex(lines[0], r"^NAME +SCHEDULE +NEXT-WAKE +INTERVAL +IDLE +LAST-RUN +TOKENS +DESCRIPTION$")
        self.assertRegex(lines[1], r"^triage +every 15min +\d+ y ago +30min +1 +done +1\.2k/346k +Sorts the inbox$")
        self.assertRegex(lines[2], r"^bare +- +- +- +- +- +- +Has no object to ask$")

        agents = json.loads(self.ctl("--json", "agents").stdout)
        self.assertEqual(agents[0]["current_interval"], 1_800_000_000)
        self.assertEqual(agents[0]["idle_streak"], 1)
        self.assertEqual(agents[0]["last_run_state"], "done")
        self.assertEqual((agents[0]["tokens_today"], agents[0]["tokens_total"]), (1250, 345678))
        self.assertEqual(agents[1], {"name": "bare", "description": "Has no object to ask", "schedule": "",
                                     "next_wake": 0, "path": "/org/shiftd/Shift1/agent/bare"})

    # cancel / answer / reload

    def test_cancel_answer_reload(self):
        self.start_mock([{"name": "run-r", "state": "running", "total": 0},
                         {"name": "run-w", "state": "waiting", "total": 0}])
        result = self.ctl("cancel", "run-r")
        self.assertEqual((result.returncode, result.stdout), (0, "Cancelled run-r; it is cancelled now\n"))
        self.assert_one_error_line(self.ctl("cancel", "run-r"), "run run-r has already finished")

        self.assert_one_error_line(self.ctl("answer", "run-w", "maybe"), '"maybe" is not one of the choices')
        result = self.ctl("--json", "answer", "run-w", "yes")
        self.assertEqual(json.loads(result.stdout), {"name": "run-w", "path": RUN_PATH + "run_2dw",
                                                     "state": "running"})
        self.assertEqual(self.calls("Answer")[-1][2], "('yes',)")
        self.assert_one_error_line(self.ctl("answer", "run-w", "yes"), "run run-w is not waiting for an answer")

        self.assertEqual(json.loads(self.ctl("reload", "--json").stdout), {"reloaded": True})
        self.assertEqual(len(self.calls("Reload")), 1)

    # systemctl-like options and new commands

    def test_quiet(self):
        self.start_mock([{"name": "run-q", "state": "waiting", "total": 0},
                         {"name": "run-r", "state": "running", "total": 0}], receipt="run-r")
        for args in (("start", "tidy"), ("cancel", "run-r"), ("answer", "run-q", "yes"), ("enable", "triage"),
                     ("disable", "triage"), ("reload",)):
            result = self.ctl("-q", *args)
            self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "", ""), args)
        # errors are still told
        self.assert_one_error_line(self.ctl("--quiet", "cancel", "run-r"), "run run-r has already finished")

    def test_start_reads_the_task_from_stdin(self):
        self.start_mock([{"name": "run-in", "state": "queued", "total": 0}])
        result = self.ctl("start", "--label", "piped", "-", input="Fix the build\nand tell me why it broke\n")
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(result.stdout, "Started run-in  /org/shiftd/Shift1/run/run_2din\n")
        [call] = self.calls("StartRun")
        self.assertEqual(call[2], "('', 'Fix the build\\nand tell me why it broke', {'label': <'piped'>})")
        result = self.ctl("start", "-", input="  \n")
        self.assertEqual(result.returncode, 2, result)
        self.assertEqual(result.stderr, "shiftctl: the task is empty (see shiftctl --help)\n")
        # "-" among other words is a word
        self.ctl("start", "a", "-", "b")
        self.assertEqual(self.calls("StartRun")[-1][2], "('', 'a - b', @a{sv} {})")

    def test_start_from_stdin_sends_only_utf8(self):
        self.start_mock([{"name": "run-in", "state": "queued", "total": 0}])

        def start(data):
            return subprocess.run([SHIFTCTL, "--address=" + self.address, "start", "-"], env=self.env,
                                  input=data, capture_output=True, timeout=30)
        # bytes that are not UTF-8 are refused here, not handed to GVariant
        result = start(b"caf\xe9 au lait\n")
        self.assertEqual(result.returncode, 2, result)
        self.assertEqual(result.stderr, b"shiftctl: the task is not valid UTF-8 (see shiftctl --help)\n")
        self.assertEqual(self.calls("StartRun"), [])
        # too long: cut one character past the limit, never inside a character
        result = start(b"a" * (256 * 1024) + "\u00e9t\u00e9".encode() * 100)
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(result.stderr, b"")
        [call] = self.calls("StartRun")
        self.assertTrue(call[2].endswith("a\u00e9', @a{sv} {})"), call[2][-40:])

    def test_lines(self):
        self.start_mock([{"name": "run-n", "state": "done", "total": 9}])
        self.assertEqual(event_seqs(self.ctl("status", "-n", "2", "run-n").stdout), [8, 9])
        self.assertIn("Events (last 2 of 9):", self.ctl("status", "--lines=2", "run-n").stdout)
        zero = self.ctl("status", "-n0", "run-n").stdout
        self.assertEqual(event_seqs(zero), [])
        self.assertNotIn("Events", zero)
        self.assertEqual(event_seqs(self.ctl("events", "-n", "3", "run-n").stdout), [7, 8, 9])
        self.assertEqual(event_seqs(self.ctl("events", "-n", "30", "run-n").stdout), list(range(1, 10)))
        self.assertEqual(self.ctl("events", "-n", "0", "run-n").stdout, "")
        result = self.ctl("events", "-n", "3", "--from", "2", "run-n")
        self.assertEqual(result.returncode, 2, result)
        self.assertEqual(event_seqs(self.ctl("-f", "events", "-n", "2", "run-n").stdout), [8, 9])

    def test_enable_disable(self):
        self.start_mock([])
        result = self.ctl("disable", "triage")
        self.assertEqual((result.returncode, result.stdout), (0, "Disabled triage\n"), result)
        self.assertEqual(self.calls("SetEnabled"), [["/org/shiftd/Shift1/agent/triage", "SetEnabled", "(false,)"]])
        result = self.ctl("enable", "triage", env=dict(self.env, SHIFTCTL_NOW_USEC=str(1_700_000_000_000_000)))
        self.assertEqual((result.returncode, result.stdout), (0, "Enabled triage; next wake in 15 min\n"), result)
        self.assertEqual(json.loads(self.ctl("--json", "enable", "triage").stdout),
                         {"name": "triage", "path": "/org/shiftd/Shift1/agent/triage", "enabled": True,
                          "next_wake": 1_700_000_900_000_000})
        self.assert_one_error_line(self.ctl("enable", "ghost"), 'no agent named "ghost"', status=4)
        self.assertEqual(self.ctl("enable").returncode, 2)

    def test_answer_without_a_choice_needs_a_terminal(self):
        self.start_mock([{"name": "run-w", "state": "waiting", "total": 0}])
        result = self.ctl("answer", "run-w")
        self.assertEqual(result.returncode, 2, result)
        self.assertIn("usage: shiftctl answer NAME CHOICE (asked for only on a terminal)", result.stderr)
        self.assertEqual(self.calls("Answer"), [])

    def test_reload_reports_every_problem(self):
        problems = ['/etc/shiftd/agents.d/x.agent:3: unknown key "Colour" in [Agent]',
                    "/etc/shiftd/agents.d/x.agent:5: Every=soon: bad time span",
                    '/etc/shiftd/agents.d/y.agent:2: Tools=a; b: unknown tool "a"']
        message = "some agent files were refused: %s\n%s; %s" % tuple(problems)
        cfg = {"runs": [], "receipt": "", "reload_error": message}
        proc = subprocess.Popen([sys.executable, MOCK, json.dumps(cfg)], env=self.env, stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
        self.addCleanup(stop, proc)
        self.assertEqual(read_line(proc, 20), "READY")
        result = self.ctl("reload")
        self.assertEqual(result.returncode, 1, result)
        self.assertEqual(result.stderr.splitlines(), ["shiftctl: refused: " + p for p in problems])
        result = self.ctl("--json", "reload")
        self.assertEqual(json.loads(result.stdout)["refused"], problems)

    def test_complete(self):
        self.start_mock([{"name": "run-a", "state": "done", "total": 0},
                         {"name": "run-w", "state": "waiting", "total": 0},
                         {"name": "run-r", "state": "running", "total": 0}])
        out = lambda *a: self.ctl("__complete", *a).stdout.splitlines()  # noqa: E731
        self.assertEqual(out("runs"), ["run-a", "run-w", "run-r"])
        self.assertEqual(out("runs", "waiting"), ["run-w"])
        self.assertEqual(out("runs", "live"), ["run-w", "run-r"])
        self.assertEqual(out("agents"), ["triage", "bare"])
        self.assertEqual(out("choices", "run-w"), ["yes", "no"])
        self.assertEqual(out("choices", "run-a"), [])
        self.assertIn("waiting", out("states"))
        commands = [line.split("\t")[0] for line in out("commands")]
        self.assertEqual(commands, ["start", "status", "list", "events", "cancel", "answer", "agents", "trigger",
                                    "reload", "enable", "disable", "watch"])
        options = [line.split("\t")[0] for line in out("options", "list")]
        self.assertIn("--state=", options)
        self.assertIn("--no-legend", options)
        self.assertNotIn("--follow", options)
        # nothing to say on a bus without shiftd, at once and quietly
        proc, empty = start_bus(os.path.join(self.tmp, "complete-empty"))
        self.addCleanup(stop, proc)
        result = self.ctl("--address=" + empty, "__complete", "runs", address=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual((result.stdout, result.stderr), ("", ""))
        # the static lists need no bus at all
        result = self.ctl("--address=unix:path=/nonexistent", "__complete", "commands", address=False)
        self.assertEqual(result.returncode, 0)
        self.assertIn("watch\t", result.stdout)

    def test_watch_prints_one_frame_off_a_terminal(self):
        self.start_mock([{"name": "run-w", "state": "waiting", "total": 0},
                         {"name": "run-d", "state": "done", "total": 0, "summary": "All tidy."}])
        result = self.ctl("watch")
        self.assertEqual(result.returncode, 0, result)
        self.assertIn("1 waits for you", result.stdout)
        self.assertIn("\u25b6 run-w: Deploy now?", result.stdout)
        self.assertIn("[yes / no]", result.stdout)
        self.assertNotIn("\033", result.stdout)

    # errors and buses

    def test_error_mapping(self):
        self.start_mock([])
        result = self.ctl("status", "foo")
        self.assert_one_error_line(result, 'no run named "foo"', status=4)
        self.assertEqual(result.stdout, "")
        result = self.ctl("status", "foo", "--json")
        self.assert_one_error_line(result, 'no run named "foo"', status=4)
        self.assertEqual(json.loads(result.stdout), {"error": "NoSuchRun", "message": 'no run named "foo"',
                                                     "dbus_error": "org.shiftd.Shift1.Error.NoSuchRun"})
        self.assert_one_error_line(self.ctl("start", "--agent", "ghost", "x"), 'no agent named "ghost"', status=4)
        for args in (("events", "foo"), ("cancel", "foo"), ("answer", "foo", "yes"), ("enable", "ghost")):
            self.assertEqual(self.ctl(*args).returncode, 4, args)

    def test_usage_errors(self):
        for argv, message in [
                (["frobnicate"], 'unknown command "frobnicate"'),
                (["list", "--bogus"], 'unknown option "--bogus"'),
                (["list", "--limit", "many"], 'option --limit wants a whole number from 1 up, not "many"'),
                (["status"], "missing argument: usage: shiftctl status NAME [-n N]"),
                (["status", "--follow", "x"], 'option --follow does not apply to "status"'),
                (["start", "--follow", "--wait", "x"], "--follow and --wait cannot be used together"),
                (["start", "--timeout", "soon", "x"], None),
                (["--user", "--system", "list"], "--user and --system cannot be used together"),
                ([], "no command given")]:
            result = self.ctl(*argv, address=False)
            self.assertEqual(result.returncode, 2, (argv, result))
            self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
            if message:
                self.assertEqual(result.stderr, "shiftctl: %s (see shiftctl --help)\n" % message)
        result = self.ctl("--json", "frobnicate", address=False)
        self.assertEqual(json.loads(result.stdout)["error"], "Usage")
        help_text = self.ctl("events", "--help", address=False)
        self.assertEqual(help_text.returncode, 0)
        self.assertIn("Usage: shiftctl events NAME", help_text.stdout)

    def test_daemon_not_running(self):
        proc, empty = start_bus(os.path.join(self.tmp, "empty"))
        self.addCleanup(stop, proc)
        # a bus by address where no systemd knows shiftd.service: one line, no hint
        result = self.ctl("--address", empty, "list", address=False)
        self.assert_one_error_line(
            result, "shiftd is not running on the bus at %s (org.shiftd.Shift1 has no owner)" % empty, status=7)
        # the session bus: the line, and where to look
        env = dict(self.env, DBUS_SESSION_BUS_ADDRESS=empty)
        t0 = time.monotonic()
        result = self.ctl("--json", "status", "x", env=env, address=False)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(result.returncode, 7, result)
        self.assertEqual(result.stderr, "shiftctl: shiftd is not running on the session bus "
                         "(org.shiftd.Shift1 has no owner)\n"
                         "See \"systemctl --user status shiftd\" for details.\n")
        self.assertEqual(json.loads(result.stdout)["error"], "NotRunning")
        # -q: the line alone
        result = self.ctl("-q", "list", env=env, address=False)
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)

    def test_bus_choice(self):
        self.start_mock([{"name": "run-a", "state": "done", "total": 1}])
        proc, empty = start_bus(os.path.join(self.tmp, "other"))
        self.addCleanup(stop, proc)
        # the session bus by default and with --user
        env = dict(self.env)
        self.assertEqual(self.ctl("status", "run-a", env=env, address=False).returncode, 0)
        self.assertEqual(self.ctl("--user", "status", "run-a", env=env, address=False).returncode, 0)
        # $SHIFTD_BUS_ADDRESS beats the session bus ...
        env["DBUS_SESSION_BUS_ADDRESS"] = empty
        env["SHIFTD_BUS_ADDRESS"] = self.address
        self.assertEqual(self.ctl("status", "run-a", env=env, address=False).returncode, 0)
        # ... but not an explicit --user
        self.assertEqual(self.ctl("--user", "status", "run-a", env=env, address=False).returncode, 7)
        # and --address beats them all
        env["SHIFTD_BUS_ADDRESS"] = empty
        self.assertEqual(self.ctl("status", "run-a", env=env).returncode, 0)
        # --system goes to the system bus, never the session's
        result = self.ctl("--system", "status", "run-a", address=False)
        self.assertEqual(result.returncode, 7)
        self.assertTrue(result.stderr.startswith("shiftctl: cannot connect to the system bus: "), result)


if __name__ == "__main__":
    unittest.main(verbosity=2)
