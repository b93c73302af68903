#!/usr/bin/python3
"""The installed units and activation files, for real.

- A client that activates a shiftd that cannot start hears at once that it
  failed, and why: through dbus-daemon alone (a private bus with a service
  dir) and through a real `systemd --user` with the installed user unit, which
  ends `failed` and is not restarted.
- The installed system unit rates 1.0 or better (0.5 measured) in `systemd-analyze security`,
  and the daemon works under all of its hardening: run by a real manager (root's
  `systemd --user`, which applies the same sandbox as PID 1), it owns its name
  across PrivateNetwork=, launches workers through the manager, sees callers'
  real uids and resolves user names.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import gi

from harness import (BUILD, BUS_NAME, MANAGER, MANAGER_PATH, RUN, WORKER, Client, PrivateBus, Standin,
                     SystemdSession, dbus_error_name, main, pid_alive, test_tmp_base, wait_for)

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
INSTALL = {}
CHILD_EXITED = "org.freedesktop.DBus.Error.Spawn.ChildExited"
# A client's own D-Bus timeout is 25 s; "at once" is well under that.
AT_ONCE = 5.0
OTHER_UID = 2  # "bin": a uid with a name, not the overflow uid 65534
BAD_CONF = "[Model]\nName=llama3.2\nBaseURL= http://x:1/v1   # local\n"


def setUpModule():
    # where the daemon's own unit can see it (test_tmp_base says why)
    base = os.environ.get("SHIFTD_TEST_TMPDIR") or test_tmp_base()
    os.makedirs(base, exist_ok=True)
    destdir = tempfile.mkdtemp(prefix="install-units-", dir=base)
    os.chmod(destdir, 0o755)
    INSTALL["destdir"] = destdir
    r = subprocess.run(["meson", "install", "--destdir", destdir, "-C", BUILD, "--no-rebuild", "--quiet"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        shutil.rmtree(destdir, ignore_errors=True)
        raise AssertionError("meson install failed (%d):\n%s\n%s" % (r.returncode, r.stdout, r.stderr))
    opts = {o["name"]: o["value"] for o in json.loads(subprocess.run(
        ["meson", "introspect", "--buildoptions", BUILD], check=True, capture_output=True, text=True).stdout)}
    prefix = opts["prefix"]
    libexecdir = opts["libexecdir"] if os.path.isabs(opts["libexecdir"]) else os.path.join(prefix, opts["libexecdir"])
    INSTALL["shiftd"] = os.path.join(libexecdir, "shiftd")
    INSTALL["worker"] = os.path.join(libexecdir, "shiftd-worker")

    def find(tail):
        hits = [os.path.join(root, n)[len(destdir):] for root, _, names in os.walk(destdir) for n in names
                if os.path.join(root, n).endswith(tail)]
        assert len(hits) == 1, "expected one installed %s, found %r" % (tail, hits)
        return hits[0]
    INSTALL["system unit"] = find("/systemd/system/shiftd.service")
    INSTALL["user unit"] = find("/systemd/user/shiftd.service")
    INSTALL["session activation"] = find("/dbus-1/services/org.shiftd.Shift1.service")


def tearDownModule():
    if "destdir" in INSTALL:
        shutil.rmtree(INSTALL["destdir"], ignore_errors=True)


def staged(path):
    return INSTALL["destdir"] + path


def installed_text(what):
    """An installed file, its daemon path pointed at the staged binary (the
    only change: everything else is as installed)."""
    with open(staged(INSTALL[what])) as f:
        text = f.read()
    assert INSTALL["shiftd"] + " " in text, text
    return text.replace(INSTALL["shiftd"] + " ", staged(INSTALL["shiftd"]) + " ")


def write(path, text, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)


def ensure_inaccessible_nodes():
    """PID 1 makes /run/systemd/inaccessible/ at boot; a `systemd --user`
    needs them for InaccessiblePaths=/ProtectHome=yes (else 226/NAMESPACE).
    Where PID 1 is not systemd (this container), make them as it would."""
    base = "/run/systemd/inaccessible"
    os.makedirs(base, exist_ok=True)
    nodes = {"dir": lambda p: os.mkdir(p, 0), "reg": lambda p: os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0)),
             "fifo": lambda p: os.mkfifo(p, 0), "chr": lambda p: os.mknod(p, 0o020000, os.makedev(0, 0)),
             "blk": lambda p: os.mknod(p, 0o060000, os.makedev(0, 0))}
    for name, make in nodes.items():
        path = os.path.join(base, name)
        if not os.path.lexists(path):
            try:
                make(path)
                os.chmod(path, 0)
            except OSError:
                pass


def call(conn, method="Get", iface="org.freedesktop.DBus.Properties", args=(MANAGER, "Version"), sig="(ss)",
         timeout=25000, flags=Gio.DBusCallFlags.NONE):
    """A call as a client would make it: auto-start on, a 25 s timeout.
    Returns (seconds, result or GLib.Error)."""
    t0 = time.monotonic()
    try:
        r = conn.call_sync(BUS_NAME, MANAGER_PATH, iface, method, GLib.Variant(sig, args) if sig else None, None,
                           flags, timeout, None)
        return time.monotonic() - t0, r.unpack()
    except GLib.Error as e:
        return time.monotonic() - t0, e


def owner_pid(conn):
    return conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "GetConnectionUnixProcessID", GLib.Variant("(s)", (BUS_NAME,)), None,
                          Gio.DBusCallFlags.NONE, 5000, None).unpack()[0]


def exposure(unit, user=False, env=None):
    argv = ["systemd-analyze"] + (["--user"] if user else []) + ["security", "--offline=true", unit]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout + r.stderr)
    assert m, "no score from %s:\n%s%s" % (argv, r.stdout, r.stderr)
    return float(m.group(1)), r.stdout


class UnitsTestCase(unittest.TestCase):
    def setUp(self):
        base = os.environ.get("SHIFTD_TEST_TMPDIR") or test_tmp_base()
        os.makedirs(base, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="u-", dir=base)
        os.chmod(self.tmp, 0o755)
        self.addCleanup(shutil.rmtree, self.tmp, True)
        saved = dict(os.environ)
        self.addCleanup(lambda: (os.environ.clear(), os.environ.update(saved)))

    def start_systemd(self, tmp):
        """A `systemd --user` whose home, config and state dirs (its
        StateDirectory= and ConfigurationDirectory=) are the test's own."""
        self.home = os.path.join(tmp, "home")
        os.environ.update(HOME=self.home, XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                          XDG_STATE_HOME=os.path.join(self.home, ".local", "state"),
                          XDG_CACHE_HOME=os.path.join(self.home, ".cache"))
        os.makedirs(self.home, exist_ok=True)
        self.session = SystemdSession(tmp)
        self.addCleanup(self.session.stop)
        return self.session

    def sub(self, *names):
        path = os.path.join(self.tmp, *names)
        os.makedirs(path, exist_ok=True)
        return path

    def assert_failed_at_once(self, took, result, *fragments):
        self.assertIsInstance(result, GLib.Error, "the call succeeded: %r" % (result,))
        self.assertLess(took, AT_ONCE, "the caller waited %.1f s: %s" % (took, result.message))
        self.assertEqual(dbus_error_name(result), CHILD_EXITED, result.message)
        self.assertIn("shiftd failed to start", result.message)
        for f in fragments:
            self.assertIn(f, result.message)


class DirectActivation(UnitsTestCase):
    """dbus-daemon alone: it runs Exec= from the installed activation file."""

    def setUp(self):
        super().setUp()
        bus_dir = self.sub("bus")
        # the activated daemon (--user) finds its bus, config and store here,
        # never in the machine's session
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + os.path.join(bus_dir, "bus")
        os.environ["XDG_CONFIG_HOME"] = self.sub("config")
        os.environ["XDG_STATE_HOME"] = self.sub("state")
        os.environ["SHIFTD_WORKER_PATH"] = WORKER
        os.environ.pop("SHIFTD_MODEL_URL", None)
        self.conf = os.path.join(self.tmp, "config", "shiftd", "shiftd.conf")
        self.state_dir = os.path.join(self.tmp, "state", "shiftd")
        self.bus = PrivateBus(bus_dir)
        self.addCleanup(self.bus.stop)
        write(os.path.join(self.bus.services_dir, BUS_NAME + ".service"), installed_text("session activation"))
        self.addCleanup(self.stop_activated)

    def stop_activated(self):
        if self.bus.proc.alive() and self.bus.has_owner():
            pid = owner_pid(self.bus.conn)
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: not pid_alive(pid), 10, "the activated shiftd (pid %d) to stop" % pid)

    def test_bad_config_is_heard_at_once(self):
        write(self.conf, BAD_CONF)
        took, result = call(self.bus.conn)
        self.assert_failed_at_once(took, result, self.conf + ":3: BaseURL=http://x:1/v1   # local: ",
                                   "a comment must be on a line of its own", "exit status 78")
        wait_for(lambda: not self.bus.has_owner(), 5, "the failed shiftd to be gone")
        self.assertFalse(os.path.exists(os.path.join(self.state_dir, "shiftd.db")))
        # control: the same activation with the line fixed starts the daemon
        write(self.conf, "[Model]\nName=llama3.2\nBaseURL=http://x:1/v1\n")
        took, result = call(self.bus.conn)
        self.assertNotIsInstance(result, GLib.Error, getattr(result, "message", ""))
        self.assertTrue(self.bus.has_owner())

    def test_refused_store_is_heard_at_once(self):
        os.makedirs(self.state_dir)
        open(os.path.join(self.state_dir, "shiftd.db"), "w").close()
        took, result = call(self.bus.conn)
        self.assert_failed_at_once(took, result, "shiftd.db is empty (0 bytes)", "exit status 65")
        self.assertEqual(os.path.getsize(os.path.join(self.state_dir, "shiftd.db")), 0)

    def test_second_daemon_is_heard_at_once(self):
        """Two session buses of one user: the first activation wins the
        store, the second bus's caller hears who has it."""
        took, result = call(self.bus.conn)
        self.assertNotIsInstance(result, GLib.Error, getattr(result, "message", ""))
        first = owner_pid(self.bus.conn)
        other_dir = self.sub("bus2")
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + os.path.join(other_dir, "bus")
        other = PrivateBus(other_dir)
        self.addCleanup(other.stop)
        write(os.path.join(other.services_dir, BUS_NAME + ".service"), installed_text("session activation"))
        took, result = call(other.conn)
        self.assert_failed_at_once(took, result, "another shiftd (pid %d: " % first, "exit status 75")
        self.assertTrue(pid_alive(first))
        self.assertEqual(owner_pid(self.bus.conn), first)


class SystemdActivation(UnitsTestCase):
    """A real `systemd --user` with the installed user unit and activation
    file: dbus-daemon asks systemd to start shiftd.service."""

    def start_session(self, conf):
        tmp = self.sub("systemd")
        runtime = os.path.join(tmp, "runtime")
        # where this manager and its session bus look, before they start
        write(os.path.join(runtime, "systemd", "user", "shiftd.service"), installed_text("user unit"))
        write(os.path.join(runtime, "systemd", "user", "shiftd.service.d", "test.conf"),
              "[Service]\nEnvironment=SHIFTD_WORKER_PATH=%s\n" % WORKER)
        write(os.path.join(runtime, "dbus-1", "services", BUS_NAME + ".service"), installed_text("session activation"))
        self.start_systemd(tmp)
        self.conf = os.path.join(self.home, ".config", "shiftd", "shiftd.conf")
        write(self.conf, conf)

    def unit(self):
        return self.session.show("shiftd.service", "ActiveState", "SubState", "Result", "ExecMainStatus",
                                 "NRestarts", "MainPID")

    def test_bad_config_is_heard_at_once_and_the_unit_fails(self):
        self.start_session(BAD_CONF)
        took, result = call(self.session.conn)
        self.assert_failed_at_once(took, result, self.conf + ":3: BaseURL=http://x:1/v1   # local: ",
                                   "exit status 78", "journalctl --user -u shiftd")
        wait_for(lambda: self.unit()["ActiveState"] == "failed", 5, "shiftd.service to be failed")
        time.sleep(1.0)  # a restart would have come by now (RestartSec=100ms)
        u = self.unit()
        self.assertEqual((u["ActiveState"], u["Result"], u["ExecMainStatus"], u["NRestarts"]),
                         ("failed", "exit-code", "78", "0"), u)
        # and a start by hand fails as such (answering callers is not a start)
        r = self.session.systemctl("start", "shiftd.service")
        self.assertNotEqual(r.returncode, 0, "systemctl start succeeded")
        u = self.unit()
        self.assertEqual((u["ActiveState"], u["ExecMainStatus"], u["NRestarts"]), ("failed", "78", "0"), u)

    def test_the_installed_user_unit_runs_the_daemon(self):
        """Control: with a good config the same activation starts the daemon
        under the user unit's sandbox, and a run goes through the manager."""
        standin = Standin(self.sub("standin"))
        self.addCleanup(standin.stop)
        self.start_session("[Model]\nBaseURL=%s\nRetryDelay=100ms\n" % standin.url)
        took, result = call(self.session.conn)
        self.assertNotIsInstance(result, GLib.Error, getattr(result, "message", ""))
        u = self.unit()
        self.assertEqual(u["ActiveState"], "active", u)
        client = Client(self.session)
        self.assertEqual(client.get(MANAGER_PATH, "Backend", MANAGER), "systemd")
        name, path = client.start_run("hello")
        self.assertEqual(client.wait_final(path, 30), "done", client.get(path, "Error"))
        with open("/proc/%s/status" % u["MainPID"]) as f:
            status = f.read()
        for line in ("NoNewPrivs:\t1", "Seccomp:\t2", "Umask:\t0077"):
            self.assertIn(line + "\n", status)


class SystemUnit(UnitsTestCase):
    """The installed system unit, measured and run."""

    def test_security_exposure(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed")
        score, report = exposure(staged(INSTALL["system unit"]))
        self.assertLessEqual(score, 1.0, report)
        runtime = self.sub("runtime")
        os.chmod(runtime, 0o700)
        user_score, report = exposure(staged(INSTALL["user unit"]), user=True,
                                      env=dict(os.environ, XDG_RUNTIME_DIR=runtime))
        # what a user manager can bear (no namespaces, no capability sets)
        self.assertLessEqual(user_score, 6.5, report)
        sys.stderr.write("\nsystemd-analyze security: system unit %.1f, user unit %.1f\n" % (score, user_score))

    def run_system_unit(self, exec_start, extra="", standin=None):
        """The installed system unit in root's `systemd --user`: the same
        sandbox as under PID 1. Only ExecStart= (a private bus instead of the
        machine's system bus) and the environment come from a drop-in."""
        if os.geteuid() != 0:
            self.skipTest("needs root: the system unit's sandbox needs a manager that may set it up")
        ensure_inaccessible_nodes()
        tmp = self.sub("systemd")
        runtime = os.path.join(tmp, "runtime")
        unit_dir = os.path.join(runtime, "systemd", "user")
        write(os.path.join(unit_dir, "shiftd.service"), installed_text("system unit"))
        env = "SHIFTD_WORKER_PATH=%s" % staged(INSTALL["worker"])
        if standin:
            env += " SHIFTD_MODEL_URL=%s" % standin.url
        write(os.path.join(unit_dir, "shiftd.service.d", "test.conf"),
              "[Service]\nExecStart=\nExecStart=%s %s\nEnvironment=%s\n%s" % (
                  staged(INSTALL["shiftd"]), exec_start.format(runtime=runtime), env, extra))
        self.start_systemd(tmp)
        # ConfigurationDirectory= and StateDirectory= of a user manager (252)
        self.config_dir = os.path.join(self.home, ".config", "shiftd")
        return self.session

    def start_unit(self):
        r = self.session.systemctl("start", "shiftd.service")
        u = self.session.show("shiftd.service", "ActiveState", "ExecMainStatus", "MainPID")
        self.assertEqual((r.returncode, u["ActiveState"]), (0, "active"),
                         "%s\n%s\n%s" % (r.stderr, u, self.session.systemctl("status", "-l", "--no-pager",
                                                                             "shiftd.service").stdout))
        return int(u["MainPID"])

    def test_daemon_works_under_the_system_unit(self):
        standin = Standin(self.sub("standin"))
        self.addCleanup(standin.stop)
        session = self.run_system_unit("--system --address=unix:path={runtime}/bus", standin=standin)
        pid = self.start_unit()
        with open("/proc/%d/status" % pid) as f:
            status = f.read()
        for line in ("CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2",
                     "Umask:\t0077"):
            self.assertIn(line + "\n", status)
        # its own network namespace, and the bus (a filesystem socket) still works
        self.assertNotEqual(os.readlink("/proc/%d/ns/net" % pid), os.readlink("/proc/self/ns/net"))
        client = Client(session)
        self.assertEqual(client.get(MANAGER_PATH, "Mode", MANAGER), "system")
        self.assertEqual(client.get(MANAGER_PATH, "Backend", MANAGER), "systemd")
        # a worker launched through the manager makes the model call the daemon cannot
        name, path = client.start_run("hello from the sandbox")
        self.assertEqual(client.wait_final(path, 30), "done", client.get(path, "Error"))
        self.assertIn("hello from the sandbox", client.get(path, "Result"))
        state_dir = self.config_dir  # StateDirectory=shiftd: the same place in a user manager of systemd 252
        self.assertEqual(os.stat(state_dir).st_mode & 0o7777, 0o711)
        for f in ("shiftd.db", "shiftd.db-wal", "lock"):
            self.assertEqual(os.stat(os.path.join(state_dir, f)).st_mode & 0o7777, 0o600, f)

    def test_callers_uids_and_user_names_under_the_system_unit(self):
        """On a system-like bus other uids reach: the daemon, sandboxed as
        installed, sees each caller's real uid and resolves user names."""
        sysbus = PrivateBus(self.sub("sysbus"), system_like=True)
        self.addCleanup(sysbus.stop)
        # (Type=notify: ready is READY=1, whichever bus the name is on)
        self.run_system_unit("--system --address=%s --backend=embedded" % sysbus.address)
        write(os.path.join(self.config_dir, "agents.d", "as-nobody.agent"),
              "[Agent]\nInstructions=check\n[Sandbox]\nUser=nobody\n[Decisions]\nAnswerBy=@nogroup root\n")
        self.start_unit()
        wait_for(lambda: sysbus.has_owner(), 10, "shiftd to own its name on the system-like bus")
        client = Client(sysbus)
        self.assertIn("as-nobody", [a[0] for a in client.manager("ListAgents")[0]])
        for uid in (OTHER_UID, 65534):
            p = subprocess.run(["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups",
                                sys.executable, os.path.join(HERE, "bus-call.py"), sysbus.address, MANAGER_PATH,
                                MANAGER, "StartRun", "ssa{sv}", json.dumps(["", "whose run?", {}])],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
            r = json.loads(p.stdout)
            self.assertIn("result", r, r)
            self.assertEqual(client.get(r["result"][1], "Owner"), uid)
        name, path = client.start_run("root's")
        self.assertEqual(client.get(path, "Owner"), 0)

        # Names resolve inside the same sandbox: every [Service] setting of
        # the installed unit that makes it, on a command that looks names up.
        sandbox, section = [], None
        for line in installed_text("system unit").splitlines():
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Service]" and "=" in line and not line.startswith("#") and line.split("=")[0] not in (
                    "Type", "BusName", "ExecStart", "ExecReload", "Restart", "RestartPreventExitStatus", "KillMode",
                    "WatchdogSec"):
                sandbox.append(line)
        self.assertIn("PrivateUsers=yes", sandbox)
        r = self.session.systemd_run("--wait", "--pipe", "--quiet", *["-p" + p for p in sandbox], "--",
                                     "/bin/sh", "-c", "grep -q '^CapBnd:.0000000000000000$' /proc/self/status && "
                                     "getent passwd nobody && getent group nogroup && id -un %d" % OTHER_UID)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^nobody:x:65534:")
        self.assertIn("\nnogroup:", r.stdout)
        self.assertTrue(r.stdout.endswith("\nbin\n"), r.stdout)


if __name__ == "__main__":
    main()
