#!/usr/bin/python3
"""shiftctl's output, compared with files under tests/cli/golden/.

Each case runs shiftctl against the scripted daemon (mock_shiftd.py) on a
private bus, with everything that shapes output pinned: --no-pager, COLUMNS,
TZ=UTC, LANG=C.UTF-8 (no LANGUAGE), the clock (SHIFTCTL_NOW_USEC) and no
terminal. A golden file holds the standard output, then the standard error
and the exit status. To accept a change on purpose:
    SHIFTCTL_UPDATE_GOLDEN=1 meson test -C BUILD shiftctl-golden
and read the diff before committing it.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from test_shiftctl_mock import MOCK, SHIFTCTL, read_line, start_bus, stop

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
UPDATE = os.environ.get("SHIFTCTL_UPDATE_GOLDEN") == "1"
T0 = 1_700_000_000_000_000
NOW = T0 + 200_000_000  # 3 min 20 s after the mock's runs were created

RUNS = [
    {"name": "nightly-7k2m", "agent": "triage", "state": "done", "total": 9, "summary": "All tidy.",
     "props": {"Result": "All tidy.\nThree files moved.", "FinishedAt": T0 + 60_000_000, "Step": 2}},
    {"name": "run-w3", "state": "waiting", "total": 8, "final_state": "waiting",
     "summary": "waiting for an answer: Deploy now?"},
    {"name": "run-f9", "state": "failed", "total": 6, "final_state": "failed",
     "summary": "failed: model server unreachable",
     "props": {"Error": "model server unreachable", "FinishedAt": T0 + 30_000_000}},
    {"name": "run-r1", "state": "running", "total": 5, "summary": "running shell (step 1)"},
    {"name": "run-long", "state": "queued", "total": 0,
     "summary": "queued behind three other runs, each of which asks the model for a very long answer"},
    {"name": "run-bad", "history": 2, "total": 6, "final_state": "failed"},
]
# cases that change what the mock holds get a mock of their own
OWN_MOCK = {"start-follow-failed"}

# name: (argv, extra environment)
CASES = {
    "help": (["--help"], {}),
    "help-events": (["events", "--help"], {}),
    "list": (["list"], {}),
    "list-narrow": (["list"], {"COLUMNS": "60"}),
    "list-no-legend": (["list", "--no-legend"], {}),
    "list-json": (["--json", "list", "--state", "waiting"], {}),
    "status-waiting": (["status", "run-w3"], {}),
    "status-failed": (["status", "-n", "3", "run-f9"], {}),
    "status-done": (["status", "nightly-7k2m"], {}),
    "events": (["events", "nightly-7k2m"], {}),
    "events-last": (["events", "-n", "2", "nightly-7k2m"], {}),
    "agents": (["agents"], {}),
    "watch": (["watch"], {}),
    "start-follow-failed": (["start", "--follow", "break", "it"], {}),
    "no-such-run": (["status", "run-gone"], {}),
    "no-such-agent": (["trigger", "ghost"], {}),
    "usage": (["status"], {}),
    "cancel-finished": (["cancel", "nightly-7k2m"], {}),
}


class Golden(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="shiftctl-golden-")
        cls.bus, cls.address = start_bus(os.path.join(cls.tmp, "bus"))
        cls.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": cls.tmp,
            "TZ": "UTC",
            "LANG": "C.UTF-8",
            "COLUMNS": "80",
            "SHIFTCTL_NOW_USEC": str(NOW),
            "DBUS_SESSION_BUS_ADDRESS": cls.address,
            "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=%s/no-system-bus" % cls.tmp,
        }
        cls.mock = cls.start_mock(cls.env)

    @classmethod
    def start_mock(cls, env):
        cfg = {"runs": [r for r in RUNS if r["name"] != "run-bad"], "receipt": "run-r1"}
        mock = subprocess.Popen([sys.executable, MOCK, json.dumps(cfg)], env=env, stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
        if read_line(mock, 20) != "READY":
            stop(mock)
            raise AssertionError("the mock did not start")
        return mock

    @classmethod
    def tearDownClass(cls):
        stop(cls.mock)
        stop(cls.bus)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def own_mock(self, name):
        """A bus and a mock for one case; its environment."""
        bus, address = start_bus(os.path.join(self.tmp, name))
        self.addCleanup(stop, bus)
        env = dict(self.env, DBUS_SESSION_BUS_ADDRESS=address)
        cfg = {"runs": [r for r in RUNS if r["name"] == "run-bad"], "receipt": "run-bad"}
        mock = subprocess.Popen([sys.executable, MOCK, json.dumps(cfg)], env=env, stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
        self.addCleanup(stop, mock)
        self.assertEqual(read_line(mock, 20), "READY")
        return env

    def run_case(self, name):
        argv, extra = CASES[name]
        env = self.own_mock(name) if name in OWN_MOCK else self.env
        # the session bus by default: no --address in the hints
        p = subprocess.run([SHIFTCTL, "--no-pager"] + argv, env=dict(env, **extra), capture_output=True,
                           text=True, timeout=30, stdin=subprocess.DEVNULL)
        text = "$ shiftctl %s\n%s" % (" ".join(argv), p.stdout)
        if p.stderr:
            text += "--- stderr\n" + p.stderr
        text += "--- exit %d\n" % p.returncode
        path = os.path.join(GOLDEN, name + ".txt")
        if UPDATE:
            os.makedirs(GOLDEN, exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            return
        with open(path) as f:
            expected = f.read()
        self.maxDiff = None
        self.assertEqual(text, expected, "shiftctl's output for %s changed (see the docstring to accept it)" % name)


def make_test(name):
    return lambda self: self.run_case(name)


for case in CASES:
    setattr(Golden, "test_" + case.replace("-", "_"), make_test(case))


if __name__ == "__main__":
    unittest.main(verbosity=2)
