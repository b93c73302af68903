#!/usr/bin/python3
"""shiftd-notify: desktop notifications for runs that wait for a human.

Two private buses: the harness's, where shiftd runs, and a session-type bus of
our own where python-dbusmock's notification_daemon template stands in for the
desktop's notification server. The mock records every Notify and
CloseNotification call (org.freedesktop.DBus.Mock.GetCalls) and emits
ActionInvoked on request (EmitSignal), as a click on a button would."""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

from harness import (BUILD, RUN, SHIFTCTL, SOURCE, Client, PrivateBus, Process, ShiftdTestCase, main,  # noqa: E402
                     wait_for)

NOTIFY = os.path.join(BUILD, "src", "notify", "shiftd-notify")
NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
MOCK = "org.freedesktop.DBus.Mock"
URGENCY_NORMAL, URGENCY_CRITICAL = 1, 2
WITH_ACTIONS = "body actions persistence"

if not os.path.exists(NOTIFY):
    raise unittest.SkipTest("shiftd-notify is not built (-Dnotify=disabled, or no libnotify)")


class NotificationServer:
    """python-dbusmock's notification_daemon on a bus of its own."""

    def __init__(self, tmp, capabilities):
        self.bus = PrivateBus(tmp)
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.bus.address)
        env.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        self.proc = Process(["/usr/bin/python3", "-m", "dbusmock", "--template", "notification_daemon",
                             "-p", json.dumps({"capabilities": capabilities})],
                            log_path=os.path.join(tmp, "dbusmock.log"), env=env)
        try:
            wait_for(lambda: not self.proc.alive() or self.bus.has_owner(NOTIFICATIONS), 15,
                     "the mock notification server to own its name")
        except BaseException:
            self.stop()
            raise
        if not self.proc.alive():
            log = self.proc.log()
            self.stop()
            raise AssertionError("dbusmock failed:\n" + log)

    def _mock(self, method, signature=None, args=()):
        params = GLib.Variant("(%s)" % signature, args) if signature else None
        r = self.bus.conn.call_sync(NOTIFICATIONS, NOTIFICATIONS_PATH, MOCK, method, params, None,
                                    Gio.DBusCallFlags.NONE, 5000, None)
        return r.unpack() if r is not None else None

    def calls(self, method):
        return [args for _, name, args in self._mock("GetCalls")[0] if name == method]

    def notifications(self):
        """Every Notify as a dict, oldest first."""
        out = []
        for a in self.calls("Notify"):
            actions = a[5]
            out.append({"replaces": a[1], "icon": a[2], "summary": a[3], "body": a[4],
                        "actions": dict(zip(actions[0::2], actions[1::2])), "hints": a[6]})
        return out

    def new_notifications(self):
        """Notify calls that opened a notification (not updates of one)."""
        return [n for n in self.notifications() if n["replaces"] == 0]

    def closed_ids(self):
        return [a[0] for a in self.calls("CloseNotification")]

    def invoke(self, notification_id, action):
        """What the server sends when a button (or the notification) is clicked."""
        self._mock("EmitSignal", "sssav", (NOTIFICATIONS, "ActionInvoked", "us",
                                           [GLib.Variant("u", notification_id), GLib.Variant("s", action)]))

    def stop(self):
        self.proc.stop()
        self.bus.stop()


class NotifierCase(ShiftdTestCase):
    """shiftd on the harness's bus, the mock server on its own, and helpers
    to start shiftd-notify between them."""
    capabilities = WITH_ACTIONS

    def setUp(self):
        super().setUp()
        self.server = NotificationServer(self._subdir("notifications"), self.capabilities)
        self.addCleanup(self.server.stop)
        self.notifier = None

    # --- helpers ---

    def start_notifier(self, *extra, path_dirs=()):
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.server.bus.address,
                   PATH=os.pathsep.join(list(path_dirs) + [os.path.dirname(SHIFTCTL), os.environ.get("PATH", "")]))
        for k in ("SHIFTD_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS", "JOURNAL_STREAM"):
            env.pop(k, None)
        self.notifier_log = os.path.join(self.tmp, "notify.log")
        self.notifier = Process([NOTIFY, "--address=" + self.bus.address] + list(extra),
                                log_path=self.notifier_log, env=env)
        self.addCleanup(self._stop_notifier, self.notifier)
        wait_for(lambda: not self.notifier.alive() or "connected to" in self.notifier.log(), 10,
                 "shiftd-notify to connect")
        self.assertTrue(self.notifier.alive(), "shiftd-notify exited:\n" + self.notifier.log())
        return self.notifier

    def _stop_notifier(self, proc):
        if proc.alive():
            os.kill(proc.pid, signal.SIGCONT)  # in case a test left it stopped
        proc.stop()
        if self._outcome_failed():
            sys.stderr.write("\n--- shiftd-notify log ---\n" + proc.log()[-6000:])

    def ask(self, scenario, question="Deploy to production?", choices=("approve", "deny"), deadline="2h"):
        args = {"question": question}
        if choices:
            args["choices"] = list(choices)
        if deadline:
            args["deadline"] = deadline
        self.standin.scenario(scenario, [{"tool": "ask_human", "arguments": args},
                                         {"echo_last_tool_result": True}])
        name, path = self.client.start_run("Ship it? scenario:" + scenario)
        self.assertEqual(self.client.wait_state(path, ("waiting", "failed", "done")), "waiting")
        return name, path

    def wait_notification(self, name, count=1, timeout=15):
        """The new notifications whose body names the run, once there are `count`."""
        def found():
            hits = [n for n in self.server.new_notifications() if ("Run " + name) in n["body"]]
            return hits if len(hits) >= count else None
        return wait_for(found, timeout, "%d notification(s) for %s" % (count, name))

    def wait_id(self, name):
        """The id the server gave the run's notification (its Notify reply),
        from the notifier's "shown notification N" line."""
        pattern = re.compile(r"\[%s\] shown notification (\d+) " % re.escape(name))
        wait_for(lambda: pattern.search(self.notifier.log()), 10, "the notifier to log %s's notification" % name)
        ids = pattern.findall(self.notifier.log())
        self.assertEqual(len(ids), 1, self.notifier.log())
        return int(ids[0])


class NotifyDesktop(NotifierCase):
    """A server with buttons (the `actions` capability)."""

    def test_one_notification_per_waiting_run_with_a_button_per_choice(self):
        self.start_notifier()
        name, path = self.ask("deploy")
        note = self.wait_notification(name)[0]
        self.assertEqual(note["summary"], "default asks")
        self.assertEqual(note["body"].splitlines(), ["Deploy to production?", "Run " + name])
        self.assertEqual(note["actions"], {"approve": "approve", "deny": "deny", "default": "Details"})
        self.assertEqual(note["hints"]["urgency"], URGENCY_NORMAL)
        # the project's icon, and a desktop entry that is installed (data/meson.build)
        self.assertEqual(note["icon"], "shiftd")
        self.assertEqual(note["hints"]["desktop-entry"], "shiftd-notify")
        self.assertTrue(os.path.exists(os.path.join(SOURCE, "data", "icons", "shiftd.svg")))
        # A second run is a second notification; the first is not repeated.
        other, _ = self.ask("deploy")
        self.wait_notification(other)
        self.assertEqual(len(self.server.new_notifications()), 2)
        self.assertEqual(self.server.closed_ids(), [])

    def test_a_button_answers_the_run(self):
        self.start_notifier()
        name, path = self.ask("click")
        self.wait_notification(name)
        nid = self.wait_id(name)
        self.server.invoke(nid, "approve")
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Result"), "approve")
        kinds = [e[2] for e in self.client.events(path)]
        self.assertIn("answered", kinds)
        answered = [json.loads(e[3]) for e in self.client.events(path) if e[2] == "answered"][0]
        self.assertIn("approve", json.dumps(answered))
        # The model got the click as the ask_human tool result.
        messages = self.standin.requests()[-1]["body"]["messages"]
        tool = [m for m in messages if m.get("role") == "tool"]
        self.assertEqual(tool[-1]["content"].strip().split("\n")[0].strip('"'), "approve")
        # The run left waiting: its notification is withdrawn, and only it.
        wait_for(lambda: self.server.closed_ids() == [nid], 10, "CloseNotification(%d)" % nid)
        self.assertIn('answered "approve" from its notification', self.notifier.log())

    def test_a_run_waiting_before_the_notifier_starts_is_notified_critical_near_its_deadline(self):
        name, _ = self.ask("soon", deadline="30min")
        later, _ = self.ask("later", question="Merge the branch?", choices=("merge", "wait"), deadline="3h")
        self.start_notifier()
        soon_note = self.wait_notification(name)[0]
        later_note = self.wait_notification(later)[0]
        self.assertEqual(soon_note["hints"]["urgency"], URGENCY_CRITICAL)
        self.assertEqual(later_note["hints"]["urgency"], URGENCY_NORMAL)
        self.assertEqual(later_note["actions"], {"merge": "merge", "wait": "wait", "default": "Details"})
        self.assertEqual(len(self.server.new_notifications()), 2)

    def test_urgency_turns_critical_when_the_deadline_comes_within_the_hour(self):
        self.start_notifier()
        # Due in an hour and 6 s: normal now, critical 6 s from now.
        name, path = self.ask("near", deadline="3606s")
        note = self.wait_notification(name)[0]
        self.assertEqual(note["hints"]["urgency"], URGENCY_NORMAL)
        nid = self.wait_id(name)
        deadline = self.client.get(path, "DecisionDeadline")

        def raised():
            return [n for n in self.server.notifications() if n["replaces"] == nid]
        update = wait_for(raised, 20, "the notification to be updated")[0]
        self.assertGreaterEqual(GLib.get_real_time(), deadline - 3600 * 10**6)
        self.assertEqual(update["hints"]["urgency"], URGENCY_CRITICAL)
        self.assertEqual(update["actions"], note["actions"])
        self.assertEqual(len(self.server.new_notifications()), 1)

    def test_an_answer_made_elsewhere_withdraws_the_notification(self):
        self.start_notifier()
        name, path = self.ask("elsewhere")
        other, _ = self.ask("elsewhere")
        self.wait_notification(name)
        self.wait_notification(other)
        nid = self.wait_id(name)
        self.client.call(path, RUN, "Answer", "s", ("deny",))
        wait_for(lambda: self.server.closed_ids(), 10, "CloseNotification")
        self.assertEqual(self.server.closed_ids(), [nid])
        self.assertEqual(self.client.wait_final(path), "done")

    def test_a_cancelled_run_withdraws_its_notification(self):
        self.start_notifier()
        name, path = self.ask("cancel")
        self.wait_notification(name)
        nid = self.wait_id(name)
        self.client.call(path, RUN, "Cancel")
        wait_for(lambda: self.server.closed_ids() == [nid], 10, "CloseNotification(%d)" % nid)

    def test_a_failed_answer_says_why(self):
        self.start_notifier()
        name, path = self.ask("late")
        self.wait_notification(name)
        nid = self.wait_id(name)
        # The click crosses an answer given elsewhere: the notifier is held
        # still (SIGSTOP) while the run is answered and the button clicked,
        # so it hears of both only afterwards, in whichever order.
        os.kill(self.notifier.pid, signal.SIGSTOP)
        try:
            self.client.call(path, RUN, "Answer", "s", ("deny",))
            self.server.invoke(nid, "approve")
        finally:
            os.kill(self.notifier.pid, signal.SIGCONT)

        def error_note():
            return [n for n in self.server.new_notifications() if n["summary"] == "Answer to %s not taken" % name]
        note = wait_for(error_note, 10, "a notification that the answer failed")[0]
        # shiftd's own reason (NotWaiting), on one line.
        self.assertIn("not waiting", note["body"])
        self.assertIn(name, note["body"])
        self.assertNotIn("\n", note["body"])
        self.assertEqual(note["actions"], {})
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Result"), "deny")
        wait_for(lambda: self.server.closed_ids() == [nid], 10, "CloseNotification(%d)" % nid)

    def test_a_free_text_question_has_no_buttons_but_the_command(self):
        self.start_notifier()
        name, path = self.ask("free", question="Which branch?", choices=None)
        note = self.wait_notification(name)[0]
        self.assertEqual(note["actions"], {"default": "Details"})
        self.assertEqual(note["body"].splitlines(), [
            "Which branch?", "Run " + name,
            "Answer with: shiftctl --address=%s answer %s 'your answer'" % (shlex.quote(self.bus.address), name)])
        # The command in the body works as written.
        r = subprocess.run(["/bin/sh", "-c", note["body"].splitlines()[-1].replace("Answer with: shiftctl",
                                                                                    SHIFTCTL, 1)
                            .replace("'your answer'", "'release-2'")], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Result"), "release-2")

    def test_the_notification_itself_opens_the_status_in_a_terminal(self):
        bindir = self._subdir("fake-bin")
        record = os.path.join(self.tmp, "terminal.json")
        # A stand-in terminal: records its argv, runs what follows -e with no input.
        with open(os.path.join(bindir, "x-terminal-emulator"), "w") as f:
            f.write("#!/usr/bin/python3\nimport json, subprocess, sys\n"
                    "argv = sys.argv[1:]\n"
                    "out = subprocess.run(argv[argv.index('-e') + 1:], stdin=subprocess.DEVNULL,"
                    " capture_output=True, text=True, timeout=30).stdout\n"
                    "json.dump({'argv': argv, 'out': out}, open(%r + '.tmp', 'w'))\n"
                    "import os; os.rename(%r + '.tmp', %r)\n" % (record, record, record))
        os.chmod(os.path.join(bindir, "x-terminal-emulator"), 0o755)
        self.start_notifier(path_dirs=[bindir])
        name, _ = self.ask("details")
        self.wait_notification(name)
        self.server.invoke(self.wait_id(name), "default")
        wait_for(lambda: os.path.exists(record), 15, "the terminal to be started")
        with open(record) as f:
            seen = json.load(f)
        self.assertEqual(seen["argv"][0], "-e")
        self.assertEqual(seen["argv"][-4:], [SHIFTCTL, "--address=" + self.bus.address, "status", name])
        self.assertIn(name, seen["out"])
        self.assertIn("waiting", seen["out"])
        # Nothing was answered by opening it.
        self.assertEqual(self.client.get(self.client.manager("GetRun", "s", (name,))[0], "State"), "waiting")

    def test_the_daemon_restarting_neither_duplicates_nor_loses_a_notification(self):
        self.start_notifier()
        name, path = self.ask("restart")
        self.wait_notification(name)
        nid = self.wait_id(name)
        self.daemon.stop()
        wait_for(lambda: "shiftd left" in self.notifier.log(), 10, "the notifier to see shiftd go")
        self.daemon.start()
        wait_for(lambda: self.notifier.log().count("shiftd is on") >= 2, 10, "the notifier to see shiftd back")
        self.assertEqual(self.client.get(path, "State"), "waiting")
        # A run that starts waiting after the restart is notified...
        fresh, fresh_path = self.ask("restart")
        self.wait_notification(fresh)
        # ...and the first was neither shown again nor withdrawn: its buttons still answer.
        self.assertEqual(len(self.server.new_notifications()), 2)
        self.assertEqual(self.server.closed_ids(), [])
        self.server.invoke(nid, "approve")
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Result"), "approve")
        self.assertEqual(self.client.get(fresh_path, "State"), "waiting")

    def test_the_daemons_bus_dropping_is_reconnected(self):
        self.start_notifier()
        name, path = self.ask("bus")
        self.wait_notification(name)
        nid = self.wait_id(name)
        # The daemon's whole bus goes away, then comes back at the same
        # address with shiftd (same state directory) on it.
        self.daemon.stop()
        self.bus.stop()
        wait_for(lambda: "lost the connection" in self.notifier.log(), 10, "the notifier to lose the bus")
        if os.path.exists(self.bus.socket):
            os.unlink(self.bus.socket)
        self.bus = PrivateBus(self.bus.dir)
        self.addCleanup(self.bus.stop)
        self.client = Client(self.bus)
        self.daemon.bus = self.bus
        self.daemon.start()
        wait_for(lambda: self.notifier.log().count("shiftd is on") >= 2, 40, "the notifier to reconnect")
        fresh, _ = self.ask("bus")
        self.wait_notification(fresh)
        self.assertEqual(len(self.server.new_notifications()), 2)
        self.assertEqual(self.server.closed_ids(), [])
        self.server.invoke(nid, "deny")
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Result"), "deny")

    def test_notify_finished(self):
        self.start_notifier("--notify-finished")
        self.standin.scenario("quick", [{"reply": "all tidy"}])
        name, path, state = self.run_to_end("Tidy up scenario:quick")
        self.assertEqual(state, "done")
        note = wait_for(lambda: [n for n in self.server.new_notifications()
                                 if n["summary"] == "default: %s done" % name], 10, "the finished notification")[0]
        self.assertEqual(note["body"], self.client.get(path, "Summary"))
        self.assertEqual(note["hints"]["urgency"], URGENCY_NORMAL)

    def test_finished_runs_are_not_announced_by_default(self):
        self.start_notifier()
        self.standin.scenario("quick", [{"reply": "all tidy"}])
        self.run_to_end("Tidy up scenario:quick")
        # A waiting run after it is the only notification: by then the
        # notifier has handled the RunFinished that came before.
        name, _ = self.ask("after")
        self.wait_notification(name)
        self.assertEqual(len(self.server.notifications()), 1)


class NotifyWithoutActions(NotifierCase):
    """A server that cannot show buttons: the body says how to answer."""
    capabilities = "body persistence"

    def test_the_body_lists_the_choices_and_the_command(self):
        self.start_notifier()
        name, path = self.ask("plain")
        note = self.wait_notification(name)[0]
        self.assertEqual(note["actions"], {})
        self.assertEqual(note["hints"]["urgency"], URGENCY_NORMAL)
        self.assertEqual(note["body"].splitlines(), [
            "Deploy to production?", "Run " + name, "Choices: approve, deny",
            "Answer with: shiftctl --address=%s answer %s CHOICE" % (shlex.quote(self.bus.address), name)])
        r = subprocess.run([SHIFTCTL, "--address=" + self.bus.address, "answer", name, "deny"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_for(lambda: self.server.closed_ids(), 10, "CloseNotification")
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(len(self.server.new_notifications()), 1)


class UnitAndAutostart(unittest.TestCase):
    """The user unit and the autostart entry say what they should, and
    systemd accepts the unit."""

    def test_unit_and_desktop_file(self):
        unit = os.path.join(BUILD, "data", "shiftd-notify.service")
        with open(unit) as f:
            text = f.read()
        lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        self.assertIn("PartOf=graphical-session.target", lines)
        self.assertIn("WantedBy=graphical-session.target", lines)
        execs = [line for line in lines if line.startswith("ExecStart=")]
        self.assertEqual(len(execs), 1)
        self.assertTrue(execs[0].endswith("/bin/shiftd-notify"), execs[0])
        # systemd-analyze with the build's binary in place of the installed one.
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed")
        tmp = tempfile.mkdtemp(prefix="t-", dir=BUILD)
        self.addCleanup(shutil.rmtree, tmp, True)
        runtime = os.path.join(tmp, "runtime")
        os.mkdir(runtime, 0o700)
        copy = os.path.join(tmp, "shiftd-notify.service")
        with open(copy, "w") as f:
            f.write(text.replace(execs[0], "ExecStart=" + NOTIFY))
        r = subprocess.run(["systemd-analyze", "--user", "verify", "--man=no", copy], capture_output=True,
                           text=True, timeout=30, env=dict(os.environ, XDG_RUNTIME_DIR=runtime))
        self.assertEqual((r.returncode, (r.stdout + r.stderr).strip()), (0, ""))

        keyfile = GLib.KeyFile()
        keyfile.load_from_file(os.path.join(SOURCE, "data", "shiftd-notify.desktop"), GLib.KeyFileFlags.NONE)
        group = "Desktop Entry"
        self.assertEqual(keyfile.get_string(group, "Type"), "Application")
        self.assertEqual(keyfile.get_string(group, "Exec"), "shiftd-notify")
        # Sessions that systemd runs start the unit instead: one notifier, not two.
        self.assertEqual(keyfile.get_string(group, "X-systemd-skip"), "true")
        self.assertEqual(keyfile.get_string(group, "X-GNOME-HiddenUnderSystemd"), "true")

    def test_command_line(self):
        r = subprocess.run([NOTIFY, "--version"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^shiftd-notify \d+\.\d+")
        for bad in (["--system", "--user"], ["stray"], ["--address="]):
            r = subprocess.run([NOTIFY] + bad, capture_output=True, text=True, timeout=10)
            self.assertEqual(r.returncode, 2, bad)
            self.assertTrue(r.stderr.startswith("shiftd-notify: "), r.stderr)


class NotifySystemMode(NotifierCase):
    """shiftd in system mode: DecisionRequested carries no question there, so
    the notifier reads it from the run, with its own rights, and shows it."""
    start_daemon = False

    def setUp(self):
        super().setUp()
        self.daemon = self.new_daemon(system=True)
        self.daemon.start()

    def test_a_button_answers_the_run(self):
        self.start_notifier()
        name, path = self.ask("click")
        note = self.wait_notification(name)[0]
        self.assertEqual(note["body"].splitlines()[0], "Deploy to production?")
        self.server.invoke(self.wait_id(name), "deny")
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Result"), "deny")


if __name__ == "__main__":
    main()
