#!/usr/bin/python3
"""shiftctl against the real daemon and real activation (tests/integration/
harness.py): a shiftd that cannot start is heard at once, with the
systemctl line to run, never after the 25 s of a D-Bus timeout, whether
dbus-daemon runs it or a real `systemd --user` does, and also when it dies
before it can answer; Reload names every problem of every refused file;
refusals are whole sentences; enable and disable arm and disarm a schedule.
Never touches the machine's buses; every process is stopped by PID."""

import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("SHIFTD_SOURCE_ROOT") or os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))

from harness import (AGENT, BUILD, BUS_NAME, MANAGER, MANAGER_PATH, SHIFTCTL, PrivateBus,  # noqa: E402
                     ShiftdTestCase, SystemdSession, main, wait_for)

import gi  # noqa: E402

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

SHIFTD = os.path.join(BUILD, "src", "daemon", "shiftd")
# "at once": well under the 25 s a D-Bus call waits by default
AT_ONCE = 5.0
HINT = 'See "systemctl --user status shiftd" for details.'
BAD_CONF = "[Model]\nBaseURL= http://x:1/v1   # local\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class FastFailure(ShiftdTestCase):
    """A start that fails, heard at once."""
    start_daemon = False

    def ctl(self, *args, env=None):
        t0 = time.monotonic()
        p = subprocess.run([SHIFTCTL] + list(args), env=env, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        return time.monotonic() - t0, p

    def systemd_with(self, unit):
        """A real systemd --user whose session bus activates shiftd.service, the unit given."""
        if os.geteuid() != 0 or not os.path.exists("/usr/lib/systemd/systemd"):
            self.skipTest("needs root and systemd to run a systemd --user of its own")
        tmp = self._subdir("systemd-" + str(len(os.listdir(self.tmp))))
        runtime = os.path.join(tmp, "runtime")
        write(os.path.join(runtime, "systemd", "user", "shiftd.service"), unit)
        write(os.path.join(runtime, "dbus-1", "services", BUS_NAME + ".service"),
              "[D-BUS Service]\nName=%s\nExec=/bin/false\nSystemdService=shiftd.service\n" % BUS_NAME)
        session = SystemdSession(tmp)
        self.addCleanup(session.stop)
        env = dict(session.env)
        env.pop("SHIFTD_BUS_ADDRESS", None)
        return session, env

    def assert_heard_at_once(self, took, p, first_line):
        self.assertLess(took, AT_ONCE, "shiftctl waited %.1f s: %s" % (took, p.stderr))
        self.assertEqual(p.returncode, 7, p)
        lines = p.stderr.splitlines()
        self.assertRegex(lines[0], first_line)
        self.assertEqual(lines[1:], [HINT], p.stderr)
        self.assertEqual(p.stdout, "")

    def test_a_unit_that_dies_before_it_takes_the_name(self):
        """systemd does not tell dbus-daemon about a start job that fails after
        it was queued (systemd#28877): a plain call waits its whole timeout.
        shiftctl watches the unit and says at once what systemd says."""
        session, env = self.systemd_with("[Service]\nType=notify\nExecStart=/bin/false\n")
        # the trap, shown: a plain client is still waiting after AT_ONCE
        conn = session.connect()
        t0 = time.monotonic()
        with self.assertRaises(GLib.Error) as cm:
            conn.call_sync(BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get",
                           GLib.Variant("(ss)", (MANAGER, "Version")), None, Gio.DBusCallFlags.NONE,
                           int(AT_ONCE * 1000) + 1000, None)
        self.assertGreaterEqual(time.monotonic() - t0, AT_ONCE, cm.exception.message)
        conn.close_sync(None)
        wait_for(lambda: session.show("shiftd.service", "ActiveState")["ActiveState"] == "failed", 10,
                 "shiftd.service to be failed")
        # shiftctl: at once, and what systemd saw
        took, p = self.ctl("list", env=env)
        self.assert_heard_at_once(took, p, r"^shiftctl: shiftd failed to start: shiftd\.service exited with "
                                           r"status 1 before it was ready \(exit-code\)$")
        took, p = self.ctl("--json", "status", "x", env=env)
        self.assertLess(took, AT_ONCE)
        self.assertIn('"error":"NotStarted"', p.stdout.replace(" ", ""))

    def test_a_unit_killed_by_a_signal(self):
        session, env = self.systemd_with("[Service]\nType=notify\nExecStart=/bin/sh -c 'kill -SEGV $$$$'\n")
        took, p = self.ctl("agents", env=env)
        self.assert_heard_at_once(took, p, r"^shiftctl: shiftd failed to start: shiftd\.service was killed by "
                                           r"signal SEGV before it was ready \((signal|core-dump)\)$")

    def test_shiftd_says_why(self):
        """The daemon itself answers the waiting call with the reason."""
        session, env = self.systemd_with("[Service]\nType=notify\nExecStart=%s --user\n" % SHIFTD)
        write(os.path.join(session.home, ".config", "shiftd", "shiftd.conf"), BAD_CONF)
        took, p = self.ctl("list", env=env)
        self.assert_heard_at_once(took, p, r"^shiftctl: shiftd failed to start: bad configuration: .*shiftd\.conf:2: "
                                           r".*\(exit status 78\); see journalctl --user -u shiftd$")

    def test_a_unit_that_starts(self):
        """Control: the same activation with a daemon that starts."""
        session, env = self.systemd_with("[Service]\nType=notify\nExecStart=%s --user --backend=embedded\n"
                                         "Environment=SHIFTD_WORKER_PATH=%s\n"
                                         % (SHIFTD, os.path.join(BUILD, "src", "worker", "shiftd-worker")))
        write(os.path.join(session.home, ".config", "shiftd", "shiftd.conf"),
              "[Model]\nBaseURL=%s\n" % self.standin.url)
        took, p = self.ctl("list", env=env)
        self.assertEqual(p.returncode, 0, p.stderr + session.systemctl("status", "shiftd").stdout)
        self.assertEqual(p.stdout, "No runs.\n")
        self.assertTrue(session.has_owner())

    def test_dbus_daemon_alone(self):
        """Exec= run by dbus-daemon (no systemd on the bus): it reports the
        exit itself; on a bus given by address where no systemd knows
        shiftd.service there is no systemctl line to give."""
        bus = PrivateBus(self._subdir("direct"))
        self.addCleanup(bus.stop)
        write(os.path.join(bus.services_dir, BUS_NAME + ".service"),
              "[D-BUS Service]\nName=%s\nExec=/bin/false\n" % BUS_NAME)
        took, p = self.ctl("--address=" + bus.address, "list")
        self.assertLess(took, AT_ONCE)
        self.assertEqual(p.returncode, 7, p)
        self.assertRegex(p.stderr, r"^shiftctl: shiftd failed to start: .*exited with status 1\n$")

    def test_not_running_and_not_startable(self):
        bus = PrivateBus(self._subdir("empty"))
        self.addCleanup(bus.stop)
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus.address)
        env.pop("SHIFTD_BUS_ADDRESS", None)
        took, p = self.ctl("list", env=env)
        self.assertLess(took, AT_ONCE)
        self.assertEqual(p.returncode, 7, p)
        self.assertEqual(p.stderr, "shiftctl: shiftd is not running on the session bus (org.shiftd.Shift1 has no "
                                   "owner)\n" + HINT + "\n")


class Daemon(ShiftdTestCase):
    agents = {
        "good": "[Agent]\nDescription=fine\nInstructions=scenario:ok\n[Schedule]\nEvery=1h\n",
    }

    def ctl(self, *args):
        return subprocess.run([SHIFTCTL, "--address=" + self.bus.address] + list(args), capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)

    def test_reload_names_every_problem(self):
        self.daemon.write_agent("bad", "[Agent]\nInstructions=x\nColour=blue\n[Schedule]\nEvery=soon\n"
                                       "QuietHours=25:00-07:00\n")
        self.daemon.write_agent("worse", "[Sandbox]\nMemoryMax=lots\n")
        p = self.ctl("reload")
        self.assertEqual(p.returncode, 1, p)
        agents_d = os.path.join(self.daemon.config_dir, "agents.d")
        expected = sorted([
            'shiftctl: refused: %s/bad.agent:3: unknown key "Colour" in [Agent]' % agents_d,
            "shiftctl: refused: %s/bad.agent:5: Every=soon: " % agents_d,
            "shiftctl: refused: %s/bad.agent:6: QuietHours=25:00-07:00: expected HH:MM-HH:MM" % agents_d,
            "shiftctl: refused: %s/worse.agent:2: MemoryMax=lots: expected a size" % agents_d,
        ])
        got = sorted(p.stderr.splitlines())
        self.assertEqual(len(got), len(expected), p.stderr)
        for line, start in zip(got, expected):
            self.assertTrue(line.startswith(start), (line, start))
        # the good one stays live
        self.assertIn("good", [a[0] for a in self.client.manager("ListAgents")[0]])

    def test_enable_and_disable(self):
        path = "/org/shiftd/Shift1/agent/good"
        p = self.ctl("disable", "good")
        self.assertEqual((p.returncode, p.stdout), (0, "Disabled good\n"), p)
        self.assertFalse(self.client.get(path, "Enabled", AGENT))
        self.assertEqual(self.client.get(path, "NextWakeAt", AGENT), 0)
        p = self.ctl("enable", "good")
        self.assertEqual(p.returncode, 0, p)
        self.assertRegex(p.stdout, r"^Enabled good; next wake in (59 min|1 h)\n$")
        self.assertTrue(self.client.get(path, "Enabled", AGENT))
        self.assertEqual(self.ctl("-q", "disable", "good").stdout, "")
        p = self.ctl("enable", "nope")
        self.assertEqual((p.returncode, p.stderr), (4, 'shiftctl: no agent named "nope"\n'))
        self.assertIn("disabled", self.ctl("--no-pager", "agents").stdout)

    def test_exit_codes_for_what_does_not_exist(self):
        for args in (("status", "nope"), ("events", "nope"), ("cancel", "nope"), ("answer", "nope", "x"),
                     ("trigger", "nope"), ("start", "--agent", "nope", "x"), ("enable", "nope")):
            p = self.ctl(*args)
            self.assertEqual(p.returncode, 4, (args, p))
            self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)

    def test_a_failed_run_says_failed_once(self):
        self.standin.scenario("boom", [{"fail": {"status": 400, "times": 10}}])
        p = self.ctl("start", "--wait", "scenario:boom")
        self.assertEqual(p.returncode, 1, p)
        outcome = p.stdout.splitlines()[1]
        self.assertRegex(outcome, r"^\u25cf run-\w+ failed: (?!failed)")
        self.assertNotIn("failed: failed", p.stdout)


class Refusal(ShiftdTestCase):
    """On a system-like bus, another uid is refused in a whole sentence."""
    start_daemon = False

    def setUp(self):
        super().setUp()
        self.use_system_bus()
        self.daemon = self.new_daemon(system=True)
        self.daemon.start()

    def test_refusal_is_a_whole_sentence(self):
        if os.geteuid() != 0 or shutil.which("setpriv") is None:
            self.skipTest("needs root and setpriv to call as another uid")
        self.standin.scenario("ask", [{"tool": "ask_human", "arguments": {"question": "Go?", "choices": ["go"]}}])
        name, path = self.client.start_run("scenario:ask")
        self.client.wait_state(path, "waiting")
        for args, sentence in ((("answer", name, "go"), "may not answer run %s: polkit is not running, so only the "
                                "run's owner, its agent's AnswerBy= and root may answer it" % name),
                               (("cancel", name), "may not cancel run %s: polkit is not running, so only the "
                                "run's owner and root may cancel it" % name),
                               (("reload",), "may not manage agents: polkit is not running, so only root and "
                                "shiftd's own user may manage agents")):
            p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SHIFTCTL,
                                "--address=" + self.sysbus.address] + list(args),
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 1, p)
            self.assertEqual(p.stderr, "shiftctl: uid 65534 %s\n" % sentence)
        self.assertEqual(self.client.get(path, "State"), "waiting")


if __name__ == "__main__":
    main()
