#!/usr/bin/python3
"""Bad input gets a clear one-line error, loses nothing, and never takes the
daemon down: bad calls, misbehaving workers and model servers, bad config."""

import os
import socket
import struct

from harness import (FINAL, MANAGER, MANAGER_PATH, RUN, GLib, ShiftdTestCase, Shiftd, main, wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
INVALID = "org.shiftd.Shift1.Error.InvalidArgument"


class BadCalls(ShiftdTestCase):

    def test_unknown_names(self):
        for name in ("nope", "", "../etc", "run-zzzz", "x" * 300):
            self.assert_dbus_error("org.shiftd.Shift1.Error.NoSuchRun", self.client.manager, "GetRun", "s", (name,))
        self.assert_dbus_error("org.shiftd.Shift1.Error.NoSuchAgent", self.client.start_run, "hi", agent="ghost")
        self.assert_dbus_error("org.shiftd.Shift1.Error.NoSuchAgent", self.client.manager, "TriggerAgent", "s",
                               ("ghost",))
        with self.assertRaises(GLib.Error):
            self.client.call("/org/shiftd/Shift1/run/nope", RUN, "Cancel")
        self.daemon_alive()

    def test_bad_tasks(self):
        for task in ("", "   \n\t "):
            err = self.assert_dbus_error(INVALID, self.client.start_run, task)
            self.assertIn("empty", err.message)
        err = self.assert_dbus_error(INVALID, self.client.start_run, "x" * (256 * 1024 + 1))
        self.assertIn("limit", err.message)
        self.assertEqual(self.client.list_runs(), [])
        # exactly at the limit is fine
        self.standin.scenario("big", [{"reply": "read it"}])
        name, path = self.client.start_run("scenario:big " + "y" * (256 * 1024 - 13))
        self.assertEqual(self.client.wait_final(path), "done")
        self.daemon_alive()

    def test_bad_options(self):
        cases = [
            ({"max_steps": GLib.Variant("s", "5")}, "must be of type 'u'"),
            ({"timeout": GLib.Variant("u", 5)}, "must be of type 't'"),
            ({"model": GLib.Variant("i", 1)}, "must be of type 's'"),
            ({"colour": GLib.Variant("s", "red")}, "unknown option"),
            ({"max_steps": GLib.Variant("u", 0)}, "max_steps"),
            ({"timeout": GLib.Variant("t", 5)}, "timeout"),
            ({"model": GLib.Variant("s", "")}, "empty"),
            ({"label": GLib.Variant("s", "a\nb")}, "control character"),
        ]
        for options, expect in cases:
            err = self.assert_dbus_error(INVALID, self.client.start_run, "task", options=options)
            self.assertIn(expect, err.message)
            self.assertNotIn("\n", err.message)
        for flt, expect in (({"state": GLib.Variant("s", "sleeping")}, "unknown state"),
                            ({"owner": GLib.Variant("u", 0)}, "unknown filter"),
                            ({"limit": GLib.Variant("s", "3")}, "type 'u'")):
            err = self.assert_dbus_error(INVALID, self.client.manager, "ListRuns", "a{sv}", (flt,))
            self.assertIn(expect, err.message)
        self.assertEqual(self.client.list_runs(), [])
        self.daemon_alive()

    def test_wrong_signature_is_refused(self):
        with self.assertRaises(GLib.Error) as cm:
            self.client.manager("StartRun", "ss", ("default", "task"))
        self.assertIn("InvalidArgs", cm.exception.message)
        self.daemon_alive()

    def test_non_utf8_never_reaches_the_daemon(self):
        """A hand-made D-Bus message with an invalid UTF-8 task: the bus itself
        refuses it (and drops the sender), so shiftd never sees it."""
        sock = socket.socket(socket.AF_UNIX)
        sock.settimeout(5)
        sock.connect(self.bus.socket)
        sock.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
        self.assertTrue(sock.recv(4096).startswith(b"OK "))
        sock.sendall(b"BEGIN\r\n")

        def pad(b, n):
            return b + b"\0" * (-len(b) % n)

        def string_field(code, t, value):
            v = value.encode() if isinstance(value, str) else value
            return bytes([code, 1, ord(t), 0]) + struct.pack("<I", len(v)) + v + b"\0"

        def message(serial, path, iface, member, dest, sig, body):
            parts = [string_field(1, "o", path), string_field(2, "s", iface), string_field(3, "s", member),
                     string_field(6, "s", dest)]
            if sig:
                parts.append(bytes([8, 1, ord("g"), 0, len(sig)]) + sig.encode() + b"\0")
            # structs start 8-aligned; the array length leaves out the padding after the last
            fields = b"".join(pad(p, 8) for p in parts[:-1]) + parts[-1]
            header = b"l" + bytes([1, 0, 1]) + struct.pack("<III", len(body), serial, len(fields))
            return pad(header + fields, 8) + body

        def string(v):
            return struct.pack("<I", len(v)) + v + b"\0"

        sock.sendall(message(1, "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", "org.freedesktop.DBus",
                             "", b""))
        reply = b""
        while b":" not in reply:
            chunk = sock.recv(4096)
            self.assertTrue(chunk, "the bus closed the connection before answering Hello")
            reply += chunk

        def start_run_body(task):
            body = pad(string(b""), 4) + string(task)
            # an empty a{sv}: its length, then padding to the 8-aligned first entry
            return pad(pad(body, 4) + struct.pack("<I", 0), 8)

        # the same hand-made call with a valid task works: the message is well formed
        self.standin.scenario("raw", [{"reply": "ok"}])
        sock.sendall(message(2, MANAGER_PATH, MANAGER, "StartRun", "org.shiftd.Shift1", "ssa{sv}",
                             start_run_body(b"fine task scenario:raw")))
        self.client.wait(lambda: len(self.client.list_runs()) == 1, 5, "the well-formed raw StartRun")
        try:
            sock.sendall(message(3, MANAGER_PATH, MANAGER, "StartRun", "org.shiftd.Shift1", "ssa{sv}",
                                 start_run_body(b"bad \xff\xfe task")))
            while sock.recv(4096):
                pass
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.close()
        self.assertEqual(len(self.client.list_runs()), 1)
        self.daemon_alive()


class BadWorkers(ShiftdTestCase):
    start_daemon = False

    def with_worker(self, mode):
        link = os.path.join(self.tmp, mode)
        if not os.path.exists(link):
            os.symlink(os.path.join(HERE, "fake-worker", "fake-worker.py"), link)
        if self.daemon and self.daemon.proc.alive():
            self.daemon.stop()
        self.daemon = self.new_daemon(worker=link)
        self.daemon.start()

    def check(self, mode, expect):
        self.with_worker(mode)
        name, path = self.client.start_run("do something")
        self.assertEqual(self.client.wait_final(path, 15), "failed")
        error = self.client.get(path, "Error")
        self.assertIn(expect, error)
        self.assertNotIn("\n", error)
        self.assertEqual(self.kinds(path)[-1], "failed")
        self.daemon_alive()
        return error

    def test_garbage(self):
        self.check("garbage", "worker protocol error")

    def test_exit_status(self):
        self.check("exit3", "worker exited with status 3")

    def test_crash(self):
        self.check("segv", "worker killed by signal SEGV")

    def test_unknown_message_type(self):
        self.check("unknown-type", "unknown message type \"frobnicate\"")

    def test_over_long_line(self):
        self.check("huge-line", "line longer than")

    def test_worker_cannot_forge_final_events(self):
        self.check("bad-kind", "unknown event kind \"done\"")

    def test_exit_without_result(self):
        self.check("silent-exit", "without a result")

    def test_invalid_utf8(self):
        self.check("bad-utf8", "not valid UTF-8")

    def test_missing_worker_binary(self):
        self.daemon = self.new_daemon(worker=os.path.join(self.tmp, "no-such-worker"))
        self.daemon.start()
        name, path = self.client.start_run("do something")
        self.assertEqual(self.client.wait_final(path, 15), "failed")
        self.assertIn("cannot start a worker", self.client.get(path, "Error"))
        self.daemon_alive()


class BadModelServers(ShiftdTestCase):

    def test_server_down(self):
        self.daemon.stop()
        self.daemon = self.new_daemon(conf={"Model": {"BaseURL": "http://127.0.0.1:9/v1"}})
        self.daemon.start()
        name, path, state = self.run_to_end("anything", timeout=30)
        self.assertEqual(state, "failed")
        error = self.client.get(path, "Error")
        self.assertIn("unreachable", error)
        notes = [e for e in self.client.events(path) if e[2] == "note"]
        self.assertEqual(len(notes), 2)  # Retries=2
        self.daemon_alive()

    def test_garbage_replies(self):
        for kind in ("garbage", "no_choices"):
            self.standin.scenario("bad-" + kind, [{"malformed": kind}])
            name, path, state = self.run_to_end("scenario:bad-" + kind)
            self.assertEqual(state, "failed")
            self.assertIn("not a chat completion", self.client.get(path, "Error"))
        self.daemon_alive()

    def test_errors_then_success(self):
        self.standin.scenario("flaky", [{"fail": {"status": 429, "times": 1, "retry_after": "1"},
                                         "tool": "finish", "arguments": {"result": "ok"}}])
        name, path, state = self.run_to_end("scenario:flaky")
        self.assertEqual(state, "done")
        self.assertIn("note", self.kinds(path))

    def test_model_url_from_environment(self):
        self.daemon.stop()
        self.daemon = self.new_daemon(conf={"Model": {"BaseURL": "http://127.0.0.1:9/v1"}},
                                      env={"SHIFTD_MODEL_URL": self.standin.url})
        self.daemon.start()
        self.standin.scenario("env", [{"reply": "via env"}])
        name, path, state = self.run_to_end("scenario:env")
        self.assertEqual(state, "done")


class Limits(ShiftdTestCase):

    def test_step_limit(self):
        self.standin.scenario("loop", [{"tool": "not_a_tool", "arguments": {}}])
        name, path, state = self.run_to_end("scenario:loop", options={"max_steps": GLib.Variant("u", 3)})
        self.assertEqual(state, "failed")
        self.assertIn("step limit", self.client.get(path, "Error"))
        self.assertEqual(self.kinds(path).count("model_call"), 3)

    def test_run_timeout(self):
        self.standin.scenario("hang", [{"hang": True}])
        name, path, state = self.run_to_end("scenario:hang", timeout=10,
                                            options={"timeout": GLib.Variant("t", 1000000)})
        self.assertEqual(state, "failed")
        self.assertEqual(self.client.get(path, "Error"), "timed out after 1s")


class BadConfig(ShiftdTestCase):
    start_daemon = False

    def test_bad_conf_is_one_clear_line(self):
        d = self.new_daemon(conf={"Limits": {"ModelSlots": "lots"}})
        d.start(wait=False)
        wait_for(lambda: not d.proc.alive(), 10, "shiftd to refuse the bad config")
        self.assertEqual(d.proc.proc.returncode, 78)  # EX_CONFIG
        lines = [l for l in d.log().splitlines() if l.startswith("shiftd:")]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("shiftd.conf:", lines[0])
        self.assertIn("ModelSlots=lots", lines[0])


if __name__ == "__main__":
    main()
