#!/usr/bin/python3
"""The extension in a real GNOME Shell, headless.

A private session bus (which the Shell and a user-mode shiftd share) and a
private system-like bus (which the Shell asks for logind; a system-mode
shiftd runs there too), the model stand-in, and gnome-shell --headless with
the build's extension (the flavour that fits its version) and a helper
extension that turns on unsafe mode, so that org.gnome.Shell.Eval and the
Screenshot interface answer (Shell 43 has no --unsafe-mode flag).

Through Eval it checks that the indicator shows one pending decision and the
mark of active runs, opens the menu with a (virtual) pointer click on the
indicator, saves a screenshot of the open menu to
MESON_BUILD_ROOT/meson-logs/shiftd-extension-menu.png, clicks the choice's
button, sees the run answered and the badge gone, and sees the indicator
hide while no shiftd is on either bus and come back with it.

Exit 77 (skipped) only where gnome-shell is not installed.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE = os.environ.get("SHIFTD_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
import harness  # noqa: E402
from harness import RUN, Client, PrivateBus, Process, Shiftd, Standin, wait_for  # noqa: E402

import gi  # noqa: E402

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

GNOME_SHELL = shutil.which("gnome-shell")
UUID = os.environ.get("SHIFTD_EXTENSION_UUID", "shiftd@shiftd.org")
HELPER = "unsafe-mode@shiftd.test"
SHELL = "org.gnome.Shell"
QUESTION = "Deploy the new build to production?"
LOGS = os.path.join(harness.BUILD, "meson-logs")
SCREENSHOT = os.path.join(LOGS, "shiftd-extension-menu.png")
SCREENSHOT_AFTER = os.path.join(LOGS, "shiftd-extension-answered.png")


def shell_major():
    out = subprocess.run([GNOME_SHELL, "--version"], capture_output=True, text=True, timeout=30).stdout
    return int(out.strip().split()[-1].split(".")[0])


def helper_files(major):
    """A helper extension that turns unsafe mode on, in the form the Shell loads."""
    meta = {"uuid": HELPER, "name": "unsafe mode for tests", "description": "test helper",
            "shell-version": [str(major)]}
    if major < 45:
        js = ("function init() {}\n"
              "function enable() { global.context.unsafe_mode = true; }\n"
              "function disable() { global.context.unsafe_mode = false; }\n")
    else:
        js = ("import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';\n"
              "export default class extends Extension {\n"
              "    enable() { global.context.unsafe_mode = true; }\n"
              "    disable() { global.context.unsafe_mode = false; }\n"
              "}\n")
    return {"metadata.json": json.dumps(meta), "extension.js": js}


class ShellTest(unittest.TestCase):
    def setUp(self):
        base = harness.test_tmp_base()
        os.makedirs(base, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="ext-shell-", dir=base)
        os.chmod(self.tmp, 0o755)
        self.addCleanup(self._cleanup_tmp)
        self.major = shell_major()
        self.flavour_dir = os.environ.get("SHIFTD_EXTENSION_LEGACY" if self.major < 45 else "SHIFTD_EXTENSION_ESM")
        self.assertTrue(self.flavour_dir and os.path.isfile(os.path.join(self.flavour_dir, "metadata.json")),
                        "the extension is not built (run through meson test)")

        self.session = PrivateBus(self._dir("session-bus"))
        self.addCleanup(self.session.stop)
        self.system = PrivateBus(self._dir("system-bus"), system_like=True)
        self.addCleanup(self.system.stop)
        self.standin = Standin(self._dir("standin"))
        self.addCleanup(self.standin.stop)
        self.standin.scenario("ask", [{"tool": "ask_human", "arguments": {"question": QUESTION,
                                                                           "choices": ["approve", "deny"]}},
                                      {"echo_last_tool_result": True}])
        self.standin.scenario("free", [{"tool": "ask_human", "arguments": {"question": "Which branch?"}},
                                       {"echo_last_tool_result": True}])
        self.standin.scenario("busy", [{"reply": "the logs are tidy", "delay": 60}])
        self.standin.scenario("quick", [{"reply": "No new failures in last night's build."}])
        self.user_daemon = Shiftd(self._dir("user-daemon"), self.session, self.standin, agents={
            "build-watch": "[Agent]\nDescription=Watches the nightly build\nInstructions=scenario:quick\n"
                           "[Schedule]\nEvery=15min\n"})
        self.addCleanup(self.user_daemon.stop)
        self.user_daemon.start()
        self.system_daemon = Shiftd(self._dir("system-daemon"), self.system, self.standin, system=True, agents={
            "disk-report": "[Agent]\nDescription=Reports disk usage\nInstructions=scenario:quick\n"
                           "[Schedule]\nEvery=1h\n"})
        self.addCleanup(self.system_daemon.stop)
        self.system_daemon.start()
        self.user = Client(self.session)
        self.shell = None
        self.pointer = False

    def _dir(self, name):
        path = os.path.join(self.tmp, name)
        os.makedirs(path, exist_ok=True)
        return path

    def _cleanup_tmp(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- the Shell ---

    def start_shell(self):
        home = self._dir("home")
        runtime = self._dir("runtime")
        os.chmod(runtime, 0o700)
        extensions = os.path.join(home, ".local", "share", "gnome-shell", "extensions")
        shutil.copytree(self.flavour_dir, os.path.join(extensions, UUID))
        os.makedirs(os.path.join(extensions, HELPER))
        for name, text in helper_files(self.major).items():
            with open(os.path.join(extensions, HELPER, name), "w") as f:
                f.write(text)
        # GSettings from a key file, not dconf: nothing to activate on the bus.
        settings = os.path.join(home, ".config", "glib-2.0", "settings")
        os.makedirs(settings)
        with open(os.path.join(settings, "keyfile"), "w") as f:
            f.write("[org/gnome/shell]\n"
                    "enabled-extensions=['%s', '%s']\n"
                    "disable-user-extensions=false\n"
                    "welcome-dialog-last-shown-version='999'\n"
                    "[org/gnome/desktop/interface]\n"
                    "enable-animations=false\n" % (HELPER, UUID))
        env = dict(os.environ)
        for k in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_ID", "JOURNAL_STREAM", "SHIFTD_BUS_ADDRESS"):
            env.pop(k, None)
        env.update(HOME=home, XDG_RUNTIME_DIR=runtime, XDG_SESSION_TYPE="wayland", XDG_CURRENT_DESKTOP="GNOME",
                   XDG_CONFIG_HOME=os.path.join(home, ".config"), XDG_DATA_HOME=os.path.join(home, ".local", "share"),
                   XDG_CACHE_HOME=os.path.join(home, ".cache"), GSETTINGS_BACKEND="keyfile",
                   DBUS_SESSION_BUS_ADDRESS=self.session.address, DBUS_SYSTEM_BUS_ADDRESS=self.system.address,
                   NO_AT_BRIDGE="1", LC_ALL="C.UTF-8", LANGUAGE="")
        self.shell_log = os.path.join(self.tmp, "gnome-shell.log")
        # Its own session, so that whatever it starts is found and stopped too.
        self.shell = Process([GNOME_SHELL, "--headless", "--no-x11", "--virtual-monitor", "1280x800"],
                             log_path=self.shell_log, env=env, start_new_session=True)
        self.addCleanup(self.stop_shell)
        t0 = time.monotonic()
        wait_for(lambda: not self.shell.alive() or self.extension_state() == 1, 60,
                 "the extension to be enabled in gnome-shell")
        self.assertTrue(self.shell.alive(), "gnome-shell exited:\n" + self.shell.log()[-4000:])
        sys.stderr.write("extension enabled %.1f s after gnome-shell started\n" % (time.monotonic() - t0))
        wait_for(lambda: self.eval("imports.ui.main.layoutManager._startingUp === true") is False, 30,
                 "gnome-shell to finish starting up", interval=0.1)

    def stop_shell(self):
        if self.shell is None:
            return
        sid = self.shell.pid
        self.shell.stop(signal.SIGTERM, 15)
        # Anything it left behind in its session, by PID.
        for pid in self.session_pids(sid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self._outcome_failed():
            sys.stderr.write("\n--- gnome-shell log ---\n%s\n" % self.shell.log()[-6000:])
            for d in (self.user_daemon, self.system_daemon):
                sys.stderr.write("\n--- %s ---\n%s\n" % (d.log_path, d.log()[-3000:]))

    @staticmethod
    def session_pids(sid):
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(") ", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[3]) == sid and int(entry) != os.getpid():
                pids.append(int(entry))
        return pids

    def _outcome_failed(self):
        result = getattr(getattr(self, "_outcome", None), "result", None)
        return result is not None and any(t is self for t, _ in result.failures + result.errors)

    def shell_call(self, path, iface, method, signature, args, timeout=10000):
        r = self.session.conn.call_sync(SHELL, path, iface, method, GLib.Variant("(%s)" % signature, args), None,
                                        Gio.DBusCallFlags.NONE, timeout, None)
        return r.unpack()

    def extension_state(self):
        try:
            info = self.shell_call("/org/gnome/Shell", "org.gnome.Shell.Extensions", "GetExtensionInfo", "s",
                                   (UUID,), 2000)[0]
        except GLib.Error:
            return None
        return info.get("state")

    def eval(self, code):
        ok, result = self.shell_call("/org/gnome/Shell", SHELL, "Eval", "s", (code,))
        self.assertTrue(ok, "Eval failed: %s\n%s" % (result, code))
        return json.loads(result) if result else None

    def indicator(self, expr):
        """An expression about the indicator `i`, evaluated in the Shell."""
        return self.eval("(() => { const i = imports.ui.main.panel.statusArea['shiftd']; "
                         "return i ? (%s) : null; })()" % expr)

    def wait_indicator(self, expr, expected, what, timeout=10):
        return wait_for(lambda: self.indicator(expr) == expected, timeout,
                        "%s (%s == %r; it is %r)" % (what, expr, expected, self.indicator(expr)), interval=0.1)

    def click(self, x, y):
        """A real click through Clutter's event path, by a virtual pointer."""
        if not self.pointer:
            # The device is added to the seat a moment after it is made:
            # events sent at once would be lost.
            self.eval("(() => { const {Clutter} = imports.gi; global._shiftdTestPointer = "
                      "Clutter.get_default_backend().get_default_seat()"
                      ".create_virtual_device(Clutter.InputDeviceType.POINTER_DEVICE); return true; })()")
            time.sleep(0.3)
            self.pointer = True
        self.eval("(() => { const {GLib} = imports.gi; global._shiftdTestPointer.notify_absolute_motion("
                  "GLib.get_monotonic_time(), %f, %f); return true; })()" % (x, y))
        wait_for(lambda: all(abs(a - b) <= 1 for a, b in zip(self.eval("global.get_pointer()"), (x, y))), 5,
                 "the pointer to reach %d,%d" % (x, y), interval=0.05)
        for state in ("PRESSED", "RELEASED"):
            self.eval("(() => { const {Clutter, GLib} = imports.gi; global._shiftdTestPointer.notify_button("
                      "GLib.get_monotonic_time(), Clutter.BUTTON_PRIMARY, Clutter.ButtonState.%s); "
                      "return true; })()" % state)
            time.sleep(0.1)

    def center(self, finder):
        """The middle of an actor of the indicator's, on the screen."""
        return self.indicator("(() => { const a = (%s); if (!a || !a.mapped || !a.has_allocation()) return null;"
                              " const [x, y] = a.get_transformed_position();"
                              " const [w, h] = a.get_transformed_size();"
                              " const c = [x + w / 2, y + h / 2]; return c.every(Number.isFinite) ? c : null; })()"
                              % finder)

    def screenshot(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.exists(path):
            os.unlink(path)
        ok, used = self.shell_call("/org/gnome/Shell/Screenshot", "org.gnome.Shell.Screenshot", "Screenshot",
                                   "bbs", (False, False, path))
        self.assertTrue(ok, "Screenshot failed")
        wait_for(lambda: os.path.exists(used) and os.path.getsize(used) > 0, 10, "the screenshot file")
        with open(used, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        sys.stderr.write("screenshot: %s\n" % used)
        return used

    # --- the test ---

    def test_indicator_menu_answers_a_decision(self):
        # What the menu will show: a finished run and a busy one on the
        # session bus, a finished one on the system bus, and a run waiting
        # for a decision.
        name, path = self.user.start_run("Summarise the build log scenario:quick")
        self.user.wait_final(path)
        busy_name, busy = self.user.start_run("Tidy the logs scenario:busy")
        self.user.wait_state(busy, "running")
        system = Client(self.system)
        _, spath = system.start_run("Report disk usage scenario:quick")
        system.wait_final(spath)
        name, path = self.user.start_run("Ship the release scenario:ask")
        self.user.wait_state(path, "waiting")

        self.start_shell()
        # The desktop as after a login: no overview, no banner (unsafe mode has one).
        self.eval("imports.ui.main.overview.hide(); "
                  "imports.ui.main.messageTray.getSources().forEach(s => s.destroy()); true")

        # The indicator is in the panel, with one pending decision and the mark.
        self.wait_indicator("i.visible && i.is_mapped()", True, "the indicator to be shown")
        self.wait_indicator("[i._badge.visible, i._badge.text]", [True, "1"], "the badge to show one decision")
        self.assertTrue(self.indicator("i._activeMark.visible"), "the mark of active runs")
        self.assertIn("decisions", self.indicator("i.accessible_name"))

        # Open its menu with a click on it.
        self.click(*wait_for(lambda: self.center("i"), 10, "the indicator to be laid out"))
        self.wait_indicator("i.menu.isOpen", True, "the menu to open")
        find_button = ("((a, f) => f(a, f))(i.menu.box, (a, f) => (a instanceof imports.gi.St.Button && "
                       "a.label === 'approve') ? a : a.get_children().reduce((r, c) => r || f(c, f), null))")
        wait_for(lambda: self.center(find_button), 10, "the 'approve' button to be shown")
        texts = self.indicator("((a, f) => f(a, f))(i.menu.box, (a, f) => (a instanceof imports.gi.St.Label ? "
                               "[a.text] : []).concat(...a.get_children().map(c => f(c, f))))")
        for expected in (QUESTION, "Waiting for you", "Running", "Recently finished", "Standing agents",
                         "build-watch", "disk-report", busy_name):
            self.assertTrue(any(expected in t for t in texts), "%r in the menu: %r" % (expected, texts))
        time.sleep(0.5)  # let the menu settle before the picture
        self.screenshot(SCREENSHOT)

        # Answer with the button, as a click.
        self.click(*self.center(find_button))
        self.assertEqual(self.user.wait_final(path, 20), "done")
        self.assertEqual(self.user.get(path, "Result"), "approve")
        answered = [json.loads(e[3]) for e in self.user.events(path) if e[2] == "answered"]
        self.assertEqual(answered[0]["answer"], "approve")
        self.wait_indicator("i._badge.visible", False, "the badge to go")
        self.wait_indicator("i.menu.isOpen && i.menu.box.get_children().length > 0", True, "the menu to stay")
        self.assertIsNone(self.center(find_button), "the decision left the menu")
        self.screenshot(SCREENSHOT_AFTER)

        # A question without choices is answered from a text field.
        _, free = self.user.start_run("Pick a branch scenario:free")
        self.user.wait_state(free, "waiting")
        self.wait_indicator("i._badge.text", "1", "the badge to show the new decision")
        find_entry = ("((a, f) => f(a, f))(i.menu.box, (a, f) => (a instanceof imports.gi.St.Entry) ? a : "
                      "a.get_children().reduce((r, c) => r || f(c, f), null))")
        wait_for(lambda: self.center(find_entry), 10, "the answer field to be shown")
        self.indicator("(() => { const e = %s; e.grab_key_focus(); e.set_text('release-2'); "
                       "e.clutter_text.emit('activate'); return true; })()" % find_entry)
        self.assertEqual(self.user.wait_final(free, 20), "done")
        self.assertEqual(self.user.get(free, "Result"), "release-2")
        self.wait_indicator("i._badge.visible", False, "the badge to go again")
        self.eval("imports.ui.main.panel.statusArea['shiftd'].menu.close(); true")

        # No shiftd on either bus: hidden. One back: shown again.
        self.user_daemon.stop()
        self.system_daemon.stop()
        self.wait_indicator("i.visible", False, "the indicator to hide")
        self.user_daemon.start()
        self.wait_indicator("i.visible", True, "the indicator to come back")
        self.assertEqual(self.indicator("i._badge.visible"), False)
        # The Shell logged no error of the extension's (it logs its own, of
        # services that this private bus does not have).
        errors = [block for block in self.shell.log().split("JS ERROR")[1:] if UUID in block.split("\n\n")[0]]
        self.assertEqual(errors, [])
        self.assertEqual(self.extension_state(), 1)


if __name__ == "__main__":
    if GNOME_SHELL is None:
        print("gnome-shell is not installed: skipped")
        sys.exit(77)
    unittest.main(verbosity=2)
