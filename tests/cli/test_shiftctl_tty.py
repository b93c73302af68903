#!/usr/bin/python3
"""shiftctl on a terminal (a pseudo-terminal of the test's own), against the
scripted daemon (mock_shiftd.py) on a private bus: long output through the
pager and not off a terminal, "answer NAME" offering the choices, "watch"
redrawing in place as runs change, and "--json watch" as a feed. Every
process started here is stopped by PID."""

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import unittest

from test_shiftctl_mock import MOCK, SHIFTCTL, ShiftctlMockTest, read_line, start_bus, stop

from gi.repository import Gio, GLib  # noqa: E402 (after test_shiftctl_mock's gi.require_version)


class Terminal:
    """A process on a pseudo-terminal of ROWSxCOLS; what it wrote, as bytes."""

    def __init__(self, argv, env, rows=30, cols=100):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(argv, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                                     start_new_session=True)
        os.close(slave)
        self.output = b""
        self.pos = 0  # where the last match ended

    def read_until(self, pattern, timeout=10):
        """Reads until pattern (bytes) appears after the last match; what came
        in between. Fails after timeout."""
        start = self.pos
        end = time.monotonic() + timeout
        while pattern not in self.output[start:]:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out after %ss waiting for %r; the terminal shows:\n%s"
                                     % (timeout, pattern, self.output[start:].decode(errors="replace")))
            if select.select([self.master], [], [], left)[0]:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError("the terminal closed before %r; it showed:\n%s"
                                         % (pattern, self.output[start:].decode(errors="replace")))
                self.output += chunk
        self.pos = self.output.index(pattern, start) + len(pattern)
        return self.output[start:self.pos]

    def write(self, text):
        os.write(self.master, text.encode())

    def finish(self, timeout=10):
        """Waits for the exit, reading what is left; the exit status."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            # what it wrote before it exited is in the terminal already: read
            # until nothing is left, also when it exited before the first look
            exited = self.proc.poll() is not None
            if select.select([self.master], [], [], 0.05)[0]:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                self.output += chunk
            elif exited:
                break
        return self.proc.wait(max(0.1, end - time.monotonic()))

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.close(self.master)


class ShiftctlTty(ShiftctlMockTest):
    """Builds on ShiftctlMockTest's bus and mock; runs only its own tests (load_tests)."""

    def terminal(self, *args, env=None, rows=30, cols=100):
        t = Terminal([SHIFTCTL, "--address=" + self.address] + list(args), env or self.tty_env(), rows, cols)
        self.addCleanup(t.close)
        return t

    def tty_env(self, **extra):
        return dict(self.env, TERM="xterm", **extra)

    def set_state(self, name, state):
        self.conn.call_sync("org.shiftd.Shift1", "/org/shiftd/Test", "org.shiftd.Test.Control", "SetState",
                            GLib.Variant("(ss)", (name, state)), None, Gio.DBusCallFlags.NONE, 10000, None)

    # the pager

    def test_pager_on_a_terminal_only(self):
        self.start_mock([{"name": "run-a", "state": "done", "total": 3}])
        paged = os.path.join(self.tmp, "paged")
        pager = "echo \"LESS=$LESS\" > %s; cat >> %s" % (paged, paged)
        t = self.terminal("list", env=self.tty_env(SHIFTCTL_PAGER=pager, PAGER="false"))
        self.assertEqual(t.finish(), 0)
        with open(paged) as f:
            text = f.read()
        self.assertTrue(text.startswith("LESS=FRX\n"), text)
        self.assertIn("run-a", text)
        self.assertIn("1 run listed.", text)
        self.assertNotIn(b"run-a", t.output)
        os.unlink(paged)

        # $PAGER when $SHIFTCTL_PAGER is not set; the user's own $LESS is kept
        t = self.terminal("events", "run-a", env=self.tty_env(PAGER=pager, LESS="-S"))
        self.assertEqual(t.finish(), 0)
        with open(paged) as f:
            text = f.read()
        self.assertTrue(text.startswith("LESS=-S\n"), text)
        self.assertIn("created", text)
        os.unlink(paged)

        # --no-pager, or a pager of "cat" or "": straight to the terminal
        for args, env in ((("--no-pager", "list"), self.tty_env(SHIFTCTL_PAGER=pager)),
                          (("list",), self.tty_env(SHIFTCTL_PAGER="cat", PAGER=pager)),
                          (("list",), self.tty_env(SHIFTCTL_PAGER="", PAGER=pager))):
            t = self.terminal(*args, env=env)
            self.assertEqual(t.finish(), 0)
            self.assertIn(b"run-a", t.output)
            self.assertFalse(os.path.exists(paged), args)

        # off a terminal, never
        p = subprocess.run([SHIFTCTL, "--address=" + self.address, "list"], env=self.tty_env(SHIFTCTL_PAGER=pager),
                           capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        self.assertIn("run-a", p.stdout)
        self.assertFalse(os.path.exists(paged))

    def test_colour_on_a_terminal(self):
        self.start_mock([{"name": "run-a", "state": "failed", "total": 0}])
        t = self.terminal("--no-pager", "list")
        self.assertEqual(t.finish(), 0)
        self.assertIn(b"\033[1;31mfailed\033[0m", t.output)
        t = self.terminal("--no-pager", "list", env=self.tty_env(NO_COLOR="1"))
        self.assertEqual(t.finish(), 0)
        self.assertNotIn(b"\033[", t.output)

    # answer NAME

    def test_answer_offers_the_choices(self):
        self.start_mock([{"name": "run-w", "state": "waiting", "total": 0}])
        t = self.terminal("answer", "run-w")
        shown = t.read_until(b"Choice [1-2]: ")
        self.assertIn(b"run-w is waiting for a decision:", shown)
        self.assertIn(b"Deploy now?", shown)
        self.assertIn(b"1) yes", shown)
        self.assertIn(b"2) no", shown)
        t.write("maybe\n")
        t.read_until(b'"maybe" is not one of the choices.')
        t.read_until(b"Choice [1-2]: ")
        t.write("2\n")
        t.read_until(b"Answered run-w; it is \033[1;36mrunning\033[0m now")
        self.assertEqual(t.finish(), 0)
        self.assertEqual(self.calls("Answer")[-1][2], "('no',)")

    def test_answer_at_the_end_of_input_answers_nothing(self):
        self.start_mock([{"name": "run-w", "state": "waiting", "total": 0},
                         {"name": "run-d", "state": "done", "total": 0}])
        t = self.terminal("answer", "run-w")
        t.read_until(b"Choice [1-2]: ")
        t.write("\x04")  # Ctrl-D
        t.read_until(b"shiftctl: no answer given")
        self.assertEqual(t.finish(), 1)
        # a run that does not wait says so, without a prompt
        t = self.terminal("answer", "run-d")
        t.read_until(b"run run-d is not waiting for an answer (it is done)")
        self.assertEqual(t.finish(), 1)
        self.assertEqual(self.calls("Answer"), [])

    # watch

    def test_watch_redraws_in_place(self):
        self.start_mock([{"name": "run-r", "state": "running", "total": 0, "summary": "busy"},
                         {"name": "run-d", "state": "done", "total": 0}])
        t = self.terminal("watch", rows=24, cols=90)
        first = t.read_until(b"Ctrl-C to quit")
        self.assertIn(b"\033[?1049h", first)  # its own screen
        self.assertIn(b"\033[H", first)       # drawn from the top, in place
        self.assertIn(b"run-r", first)
        self.assertNotIn(b"Waiting for you", first)
        # a run stops to ask: the next frame shows it, highlighted, within a moment
        self.set_state("run-r", "waiting")
        frame = t.read_until(b"Waiting for you", timeout=5)
        t.read_until(b"Ctrl-C to quit")
        self.assertIn(b"\033[1;30;43m", frame)
        self.assertIn(b"1 waits for you", t.output)
        # and when it has been answered elsewhere, it is gone again
        self.set_state("run-r", "done")
        t.read_until(b"0 active runs", timeout=5)
        t.proc.send_signal(signal.SIGINT)
        self.assertEqual(t.finish(), 0)
        self.assertTrue(t.output.rstrip().endswith(b"\033[?25h\033[?1049l"), t.output[-80:])
        # lines fit the terminal: no line is longer than its 90 columns
        for line in t.output.decode(errors="replace").replace("\r\n", "\n").split("\n"):
            self.assertLessEqual(len(line.split("\033[K")[0].split("\033[H")[-1]), 90 + 40)

    def test_watch_tells_a_lost_bus_after_its_screen(self):
        # a bus of its own, to lose
        bus, address = start_bus(os.path.join(self.tmp, "lost"))
        self.addCleanup(stop, bus)
        env = dict(self.env, DBUS_SESSION_BUS_ADDRESS=address)
        mock = subprocess.Popen([sys.executable, MOCK, json.dumps({"runs": [], "receipt": ""})], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        self.addCleanup(stop, mock)
        self.assertEqual(read_line(mock, 20), "READY")
        t = Terminal([SHIFTCTL, "--address=" + address, "watch"], dict(env, TERM="xterm"))
        self.addCleanup(t.close)
        t.read_until(b"Ctrl-C to quit")
        stop(bus)
        self.assertEqual(t.finish(), 1)
        # on the terminal's own screen, where it stays, not on the view's
        after = t.output[t.output.rindex(b"\033[?1049l"):]
        self.assertIn(b"shiftctl: lost the connection to the bus at " + address.encode(), after)

    def test_watch_json_is_a_feed(self):
        self.start_mock([{"name": "run-r", "state": "running", "total": 0}])
        proc = subprocess.Popen([SHIFTCTL, "--address=" + self.address, "--json", "watch"], env=self.env,
                                stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.addCleanup(stop, proc)
        first = json.loads(read_line(proc, 10))
        self.assertEqual([(r["name"], r["state"]) for r in first["runs"]], [("run-r", "running")])
        self.assertEqual(first["decisions"], [])
        self.set_state("run-r", "waiting")
        second = json.loads(read_line(proc, 10))
        self.assertEqual([d["name"] for d in second["decisions"]], ["run-r"])
        self.assertEqual(second["decisions"][0]["choices"], ["yes", "no"])
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(10), 0)


# run only this file's tests, not the ones of the class it builds on
def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    for name in loader.getTestCaseNames(ShiftctlTty):
        if name in ShiftctlTty.__dict__:
            suite.addTest(ShiftctlTty(name))
    return suite


if __name__ == "__main__":
    unittest.main(verbosity=2)
