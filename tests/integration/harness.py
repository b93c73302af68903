"""Test harness: a private D-Bus bus, the model stand-in and shiftd from the
build tree, and a Gio client. Never touches the machine's own buses; every
process it starts it stops by PID.

Run with Debian's /usr/bin/python3 (it has gi). Environment:
  SHIFTD_BUILD_ROOT, SHIFTD_SOURCE_ROOT   set by meson
  SHIFTD_TEST_BACKEND                     embedded (default) or systemd
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
import urllib.request

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

BUILD = os.environ.get("SHIFTD_BUILD_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE = os.environ.get("SHIFTD_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BACKEND = os.environ.get("SHIFTD_TEST_BACKEND", "embedded")

SHIFTD = os.path.join(BUILD, "src", "daemon", "shiftd")
WORKER = os.path.join(BUILD, "src", "worker", "shiftd-worker")
SHIFTCTL = os.path.join(BUILD, "src", "cli", "shiftctl")
STANDIN = os.path.join(SOURCE, "tests", "model-standin.py")

BUS_NAME = "org.shiftd.Shift1"
MANAGER_PATH = "/org/shiftd/Shift1"
MANAGER = "org.shiftd.Shift1.Manager"
RUN = "org.shiftd.Shift1.Run"
AGENT = "org.shiftd.Shift1.Agent"
FINAL = ("done", "idle", "failed", "cancelled")


def test_tmp_base():
    """Where tests keep their files: in the build tree, unless that is where a
    sandbox hides things (PrivateTmp= and bubblewrap's /tmp, the daemon's
    ProtectHome=yes); then in /var/lib/shiftd-tests, which every sandbox
    shows. Not /dev/shm where that can be helped: stopping a DynamicUser=
    unit empties it of what the unit's uid owns (RemoveIPC=), and bubblewrap
    gives workers a /dev of their own."""
    build = os.path.realpath(BUILD) + "/"
    in_tmp = build.startswith(("/tmp/", "/var/tmp/"))
    if not in_tmp and not build.startswith(("/home/", "/root/", "/run/user/")):
        return os.path.join(build, "test-tmp")
    base = "/var/lib/shiftd-tests"
    try:
        os.makedirs(base, mode=0o755, exist_ok=True)
        return base
    except PermissionError:
        # not root: the tests that need another place need root anyway
        return "/dev/shm/shiftd-tests" if in_tmp else os.path.join(build, "test-tmp")


class Timeout(AssertionError):
    pass


def wait_for(predicate, timeout, what, interval=0.02):
    """Bounded wait for a condition that has no signal of its own (a file
    appearing, a process exiting); fails with a clear message."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise Timeout("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Process:
    """A child process stopped by PID when the test ends."""

    def __init__(self, argv, log_path=None, env=None, **kw):
        self.argv = argv
        self.log_path = log_path
        out = open(log_path, "ab") if log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, stdout=kw.pop("stdout", out), stderr=kw.pop("stderr", out),
                                     env=env, **kw)
        if log_path:
            out.close()
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def kill9(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def log(self):
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, errors="replace") as f:
            return f.read()


class PrivateBus:
    """A dbus-daemon of our own: a session-type bus, or a system-like one with
    a policy (for tests that need several uids)."""

    def __init__(self, tmp, system_like=False, extra_config="", mode=0o755):
        self.dir = tmp
        os.chmod(tmp, mode)
        self.socket = os.path.join(tmp, "bus")
        self.address = "unix:path=" + self.socket
        self.services_dir = os.path.join(tmp, "services")
        os.makedirs(self.services_dir, exist_ok=True)
        conf = os.path.join(tmp, "bus.conf")
        with open(conf, "w") as f:
            f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>%s</type>
  <listen>%s</listen>
  <auth>EXTERNAL</auth>
  <servicedir>%s</servicedir>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
  %s
</busconfig>
""" % ("system" if system_like else "session", self.address, self.services_dir, extra_config))
        self.proc = Process(["dbus-daemon", "--config-file=" + conf, "--nofork", "--nopidfile"],
                            log_path=os.path.join(tmp, "dbus.log"))
        try:
            # the socket file exists a moment before the bus listens on it
            self.conn = wait_for(lambda: not self.proc.alive() or self._try_connect(), 10, "dbus-daemon to listen")
            if not self.proc.alive():
                raise AssertionError("dbus-daemon failed: " + self.proc.log())
        except BaseException:
            self.proc.kill9()
            raise

    def connect(self):
        return Gio.DBusConnection.new_for_address_sync(
            self.address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
            None, None)

    def _try_connect(self):
        if not os.path.exists(self.socket):
            return None
        try:
            return self.connect()
        except GLib.Error:
            return None

    def has_owner(self, name=BUS_NAME):
        r = self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                "NameHasOwner", GLib.Variant("(s)", (name,)), GLib.VariantType("(b)"),
                                Gio.DBusCallFlags.NONE, 5000, None)
        return r.unpack()[0]

    def stop(self):
        try:
            self.conn.close_sync(None)
        except GLib.Error:
            pass
        self.proc.stop()


class SystemdSession:
    """A real `systemd --user` (ENVIRONMENT.md) and the session bus it runs, as
    on a desktop: its dbus.socket listens on $XDG_RUNTIME_DIR/bus and starts
    dbus-daemon as a unit, and the manager (org.freedesktop.systemd1) joins
    that bus. Quacks like PrivateBus, so tests and shiftd use it the same way."""

    def __init__(self, tmp):
        os.makedirs("/run/systemd/system", exist_ok=True)  # systemd --user wants it
        self.dir = os.path.join(tmp, "runtime")
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        os.chmod(self.dir, 0o700)
        self.socket = os.path.join(self.dir, "bus")
        self.address = "unix:path=" + self.socket
        self.services_dir = None
        self.log_path = os.path.join(tmp, "systemd.log")
        # its StateDirectory= (where agents without User= keep their files) is
        # under $XDG_CONFIG_HOME: the test's, never the machine's own home (and
        # dbus-daemon takes its home from the user database, not $HOME: its
        # data dir is named outright)
        self.home = os.path.join(tmp, "home")
        os.makedirs(self.home, exist_ok=True)
        self.env = dict(os.environ, XDG_RUNTIME_DIR=self.dir, DBUS_SESSION_BUS_ADDRESS=self.address,
                        SYSTEMD_LOG_TARGET="console", HOME=self.home,
                        XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                        XDG_STATE_HOME=os.path.join(self.home, ".local", "state"),
                        XDG_DATA_HOME=os.path.join(self.home, ".local", "share"),
                        XDG_CACHE_HOME=os.path.join(self.home, ".cache"))
        self.env.pop("NOTIFY_SOCKET", None)
        self.conn = None
        self.cgroups = self._make_cgroups(os.path.basename(tmp.rstrip("/")) + "-" + os.path.basename(
            os.path.dirname(tmp.rstrip("/"))))
        self.proc = Process(["/usr/lib/systemd/systemd", "--user"], log_path=self.log_path, env=self.env,
                            preexec_fn=self._enter_cgroups)
        try:
            wait_for(lambda: not self.proc.alive() or self._connected(), 20,
                     "systemd --user and its session bus to be running")
        except Timeout:
            self.proc.kill9()
            self._remove_cgroups()
            raise
        if not self.proc.alive():
            raise AssertionError("systemd --user failed:\n" + self.proc.log())

    # Each manager gets a cgroup of its own. Managers started side by side in
    # one cgroup would share app.slice/dbus.service and stop each other's units.
    @staticmethod
    def _make_cgroups(name):
        made = []
        for hierarchy in sorted(os.listdir("/sys/fs/cgroup")) if os.path.isdir("/sys/fs/cgroup") else []:
            root = os.path.join("/sys/fs/cgroup", hierarchy)
            if not os.path.exists(os.path.join(root, "cgroup.procs")):
                continue
            path = os.path.join(root, "shiftd-tests", name)
            try:
                os.makedirs(path, exist_ok=True)
                made.append(path)
            except OSError:
                pass
        if os.path.exists("/sys/fs/cgroup/cgroup.procs") and not made:
            raise AssertionError("cannot make a cgroup for systemd --user under /sys/fs/cgroup")
        return made

    def _enter_cgroups(self):
        for path in self.cgroups:
            try:
                with open(os.path.join(path, "cgroup.procs"), "w") as f:
                    f.write("0")
            except OSError:
                pass

    def _remove_cgroups(self):
        for path in self.cgroups:
            for dirpath, dirnames, _ in sorted(os.walk(path, topdown=False), key=lambda x: -len(x[0])):
                try:
                    os.rmdir(dirpath)
                except OSError:
                    pass

    def _connected(self):
        if not os.path.exists(self.socket):
            return False
        try:
            if self.conn is None:
                self.conn = self.connect()
        except GLib.Error:
            return False
        return self.state() in ("running", "degraded")

    def connect(self):
        return Gio.DBusConnection.new_for_address_sync(
            self.address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
            None, None)

    def has_owner(self, name=BUS_NAME):
        return PrivateBus.has_owner(self, name)

    def state(self):
        try:
            r = self.conn.call_sync("org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                    "org.freedesktop.DBus.Properties", "Get",
                                    GLib.Variant("(ss)", ("org.freedesktop.systemd1.Manager", "SystemState")),
                                    None, Gio.DBusCallFlags.NO_AUTO_START, 2000, None)
            return r.unpack()[0]
        except GLib.Error:
            return None

    def systemctl(self, *args):
        return subprocess.run(["systemctl", "--user"] + list(args), env=self.env, capture_output=True, text=True,
                              timeout=30)

    def systemd_run(self, *args):
        return subprocess.run(["systemd-run", "--user"] + list(args), env=self.env, capture_output=True,
                              text=True, timeout=30)

    def show(self, unit, *props):
        """Unit properties as a dict (systemctl show)."""
        p = self.systemctl("show", unit, *["-p" + x for x in props])
        out = {}
        for line in p.stdout.splitlines():
            k, _, v = line.partition("=")
            out[k] = v
        return out

    def unit_active(self, unit):
        return self.show(unit, "ActiveState").get("ActiveState") in ("active", "activating", "deactivating",
                                                                     "reloading")

    def stop(self):
        if self.conn is not None:
            try:
                self.conn.close_sync(None)
            except GLib.Error:
                pass
        # SIGTERM makes a user manager start exit.target: it stops its units, then exits.
        self.proc.stop(signal.SIGTERM, 15)
        self._remove_cgroups()


class Standin:
    """The bundled OpenAI-compatible model stand-in."""

    def __init__(self, tmp, delay=0.0):
        self.port_file = os.path.join(tmp, "standin.port")
        argv = [sys.executable, STANDIN, "--port-file", self.port_file]
        if delay:
            argv += ["--delay", str(delay)]
        self.proc = Process(argv, log_path=os.path.join(tmp, "standin.log"))
        try:
            wait_for(lambda: os.path.exists(self.port_file) or not self.proc.alive(), 10, "the stand-in to listen")
        except Timeout:
            self.proc.kill9()
            raise
        if not self.proc.alive():
            raise AssertionError("stand-in failed: " + self.proc.log())
        with open(self.port_file) as f:
            self.port = int(f.read().strip())
        self.url = "http://127.0.0.1:%d/v1" % self.port

    def _control(self, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data,
                                     method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def scenario(self, name, steps, max_prompt_tokens=None):
        spec = {"name": name, "steps": steps}
        if max_prompt_tokens is not None:
            spec["max_prompt_tokens"] = max_prompt_tokens
        self._control("/_control/scenario", spec)

    def requests(self):
        return self._control("/_control/requests")

    def review_prompts(self):
        """The task as the model saw it, of each review's first call."""
        out = []
        for r in self.requests():
            messages = (r.get("body") or {}).get("messages") or []
            user = [m.get("content") for m in messages if m.get("role") == "user"]
            if r.get("step") == 0 and user and "review beat" in user[0]:
                out.append(user[0])
        return out

    def stats(self):
        return self._control("/_control/stats")

    def reset(self):
        self._control("/_control/reset", {})

    def open_gate(self, name):
        """Lets the steps held at `"gate": name` answer."""
        self._control("/_control/open", {"name": name})

    def stop(self):
        self.proc.stop()


def unpack(v):
    return v.unpack() if v is not None else None


class Client:
    """A Gio connection to the private bus, speaking to shiftd."""

    def __init__(self, bus, conn=None):
        self.bus = bus
        self.conn = conn or bus.conn
        self.ctx = GLib.MainContext.default()

    def call(self, path, iface, method, signature=None, args=(), timeout=10000):
        params = GLib.Variant("(%s)" % signature, args) if signature else None
        r = self.conn.call_sync(BUS_NAME, path, iface, method, params, None, Gio.DBusCallFlags.NONE, timeout, None)
        return unpack(r)

    def manager(self, method, signature=None, args=()):
        return self.call(MANAGER_PATH, MANAGER, method, signature, args)

    def start_run(self, task, agent="", options=None):
        opts = {k: v if isinstance(v, GLib.Variant) else self._variant(k, v) for k, v in (options or {}).items()}
        return self.manager("StartRun", "ssa{sv}", (agent, task, opts))

    @staticmethod
    def _variant(key, value):
        sig = {"model": "s", "label": "s", "max_steps": "u", "timeout": "t",
               "state": "s", "agent": "s", "limit": "u", "since": "t"}[key]
        return GLib.Variant(sig, value)

    def list_runs(self, **flt):
        return self.manager("ListRuns", "a{sv}", ({k: self._variant(k, v) for k, v in flt.items()},))[0]

    def get(self, path, prop, iface=RUN):
        return self.call(path, "org.freedesktop.DBus.Properties", "Get", "ss", (iface, prop))[0]

    def props(self, path, iface=RUN):
        return self.call(path, "org.freedesktop.DBus.Properties", "GetAll", "s", (iface,))[0]

    def events(self, path, start=1, maximum=0):
        return self.call(path, RUN, "GetEvents", "uu", (start, maximum))[0]

    def subscribe(self, callback, path=None, iface=None, member=None, sender=BUS_NAME):
        return self.conn.signal_subscribe(sender, iface, member, path, None, Gio.DBusSignalFlags.NONE,
                                          lambda c, s, p, i, m, params: callback(p, i, m, params.unpack()))

    def unsubscribe(self, sid):
        self.conn.signal_unsubscribe(sid)

    def pump(self, seconds):
        """Dispatches signals for up to `seconds`."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not self.ctx.iteration(False):
                time.sleep(0.005)

    def wait(self, predicate, timeout, what):
        """Waits for predicate(), re-checking whenever a signal arrives (and
        at least every 100 ms); fails with a clear message after timeout."""
        end = time.monotonic() + timeout
        woke = [False]
        sid = self.conn.signal_subscribe(BUS_NAME, None, None, None, None, Gio.DBusSignalFlags.NONE,
                                         lambda *a: woke.__setitem__(0, True))
        try:
            while True:
                value = predicate()
                if value:
                    return value
                left = end - time.monotonic()
                if left <= 0:
                    raise Timeout("timed out after %.1fs waiting for %s" % (timeout, what))
                woke[0] = False
                step_end = time.monotonic() + min(left, 0.1)
                while not woke[0] and time.monotonic() < step_end:
                    if not self.ctx.iteration(False):
                        time.sleep(0.002)
        finally:
            self.conn.signal_unsubscribe(sid)

    def wait_state(self, path, states, timeout=30):
        if isinstance(states, str):
            states = (states,)
        return self.wait(lambda: self.get(path, "State") in states and self.get(path, "State"), timeout,
                         "%s to reach %s (it is %s)" % (path, "/".join(states), self._state_or_gone(path)))

    def _state_or_gone(self, path):
        try:
            return self.get(path, "State")
        except GLib.Error as e:
            return "unreadable: %s" % e.message

    def wait_final(self, path, timeout=30):
        return self.wait_state(path, FINAL, timeout)


BUS_CALL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bus-call.py")


def calls_as(uid, address, calls):
    """D-Bus calls to shiftd as another uid (setpriv), over one connection:
    calls are (path, iface, method, signature, args); each result is
    {"result": [...]} or {"error": name, "message": text}."""
    p = subprocess.run(["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--init-groups" if uid else
                        "--keep-groups", sys.executable, BUS_CALL, address, "-"],
                       input=json.dumps([list(c) for c in calls]), capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("calls as uid %d failed: %s" % (uid, p.stderr))
    return json.loads(p.stdout)


def call_as(uid, address, path, iface, method, signature="", args=()):
    return calls_as(uid, address, [(path, iface, method, signature, list(args))])[0]


def dbus_error_name(err):
    return Gio.DBusError.get_remote_error(err) if Gio.DBusError.is_remote_error(err) else None


class Shiftd:
    """shiftd from the build tree, on a private bus, with its own dirs."""

    def __init__(self, tmp, bus, standin=None, conf=None, backend=None, env=None, system=False,
                 agents=None, worker=None):
        self.tmp = tmp
        self.bus = bus
        self.config_dir = os.path.join(tmp, "config")
        self.state_dir = os.path.join(tmp, "state")
        self.log_path = os.path.join(tmp, "shiftd.log")
        self.backend = backend or BACKEND
        self.system = system
        os.makedirs(os.path.join(self.config_dir, "agents.d"), exist_ok=True)
        sections = {"Model": {"RetryDelay": "100ms", "Retries": "2", "Timeout": "20s"},
                    "Limits": {}}
        if standin:
            sections["Model"]["BaseURL"] = standin.url
        for section, keys in (conf or {}).items():
            sections.setdefault(section, {}).update(keys)
        with open(os.path.join(self.config_dir, "shiftd.conf"), "w") as f:
            for section, keys in sections.items():
                f.write("[%s]\n" % section)
                for k, v in keys.items():
                    f.write("%s=%s\n" % (k, v))
        for name, text in (agents or {}).items():
            self.write_agent(name, text)
        self.env = dict(os.environ)
        self.env.pop("SHIFTD_MODEL_URL", None)
        # shiftd follows UPower, NetworkManager, power-profiles-daemon and
        # logind on the system bus: never the machine's own (test_defer.py
        # gives it a private one)
        self.env["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=" + os.path.join(tmp, "no-system-bus")
        if worker:
            self.env["SHIFTD_WORKER_PATH"] = worker
        self.env.update(env or {})
        self.proc = None

    def write_agent(self, name, text):
        with open(os.path.join(self.config_dir, "agents.d", name + ".agent"), "w") as f:
            f.write(text)

    def argv(self):
        argv = [SHIFTD, "--address=" + self.bus.address, "--config-dir=" + self.config_dir,
                "--state-dir=" + self.state_dir, "--backend=" + self.backend]
        if self.system:
            argv.append("--system")
        return argv

    def start(self, wait=True):
        with open(self.log_path, "a") as f:
            f.write("=== start %s\n" % time.strftime("%H:%M:%S"))
        self.proc = Process(self.argv(), log_path=self.log_path, env=self.env)
        if wait:
            try:
                wait_for(lambda: not self.proc.alive() or self.bus.has_owner(), 15, "shiftd to own " + BUS_NAME)
            except Timeout:
                self.proc.kill9()
                raise
            if not self.proc.alive():
                raise AssertionError("shiftd exited with %s:\n%s" % (self.proc.proc.returncode, self.log()))
        return self

    def stop(self, timeout=10):
        return self.proc.stop(signal.SIGTERM, timeout) if self.proc else None

    def kill9(self):
        self.proc.kill9()
        wait_for(lambda: not self.bus.has_owner(), 10, "the bus to notice shiftd is gone")

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


class ShiftdTestCase(unittest.TestCase):
    """Each test gets a fresh bus, stand-in and daemon; everything is stopped
    by PID afterwards and the daemon's log is shown on failure."""

    standin_delay = 0.0
    conf = None
    agents = None
    start_daemon = True

    def setUp(self):
        base = os.environ.get("SHIFTD_TEST_TMPDIR") or test_tmp_base()
        os.makedirs(base, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="t-", dir=base)
        # workers run as users of their own: they must be able to pass through
        os.chmod(self.tmp, 0o755)
        self.addCleanup(self._cleanup_tmp)
        self.systemd = None
        if BACKEND == "systemd":
            self.systemd = SystemdSession(self._subdir("systemd"))
            self.bus = self.systemd
        else:
            self.bus = PrivateBus(self._subdir("bus"))
        self.addCleanup(self.bus.stop)
        self.standin = Standin(self._subdir("standin"), delay=self.standin_delay)
        self.addCleanup(self.standin.stop)
        self.client = Client(self.bus)
        self.daemon = None
        if self.start_daemon:
            self.daemon = self.new_daemon()
            self.daemon.start()

    def _subdir(self, name):
        path = os.path.join(self.tmp, name)
        os.makedirs(path, exist_ok=True)
        return path

    def use_system_bus(self):
        """A private system-like bus, which other uids may reach, in place of
        the test's own: for daemons made from now on and for self.client."""
        self.sysbus = PrivateBus(self._subdir("sysbus"), system_like=True)
        self.addCleanup(self.sysbus.stop)
        self.bus = self.sysbus
        self.client = Client(self.sysbus)
        return self.sysbus

    def set_polkit(self, allowed):
        """The polkitd mock on self.sysbus, started at its first use, grants
        the actions in `allowed` and nothing else."""
        if getattr(self, "polkit", None) is None:
            env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.sysbus.address)
            self.polkit = Process([sys.executable, "-m", "dbusmock", "--system", "--template", "polkitd"],
                                  log_path=os.path.join(self.tmp, "polkit.log"), env=env)
            self.addCleanup(self.polkit.stop)
            wait_for(lambda: self.sysbus.has_owner("org.freedesktop.PolicyKit1") or not self.polkit.alive(), 10,
                     "the polkitd mock")
        self.sysbus.conn.call_sync("org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                                   "org.freedesktop.DBus.Mock", "SetAllowed", GLib.Variant("(as)", (list(allowed),)),
                                   None, 0, 5000, None)

    def new_daemon(self, **kw):
        kw.setdefault("conf", self.conf)
        kw.setdefault("agents", self.agents)
        d = Shiftd(self._subdir("daemon"), self.bus, self.standin, **kw)
        self.addCleanup(self._stop_daemon, d)
        return d

    def _stop_daemon(self, d):
        if d.proc and d.proc.alive():
            d.proc.stop(signal.SIGTERM, 10)

    def _cleanup_tmp(self):
        if self._outcome_failed():
            for name in ("daemon/shiftd.log", "standin/standin.log", "systemd/systemd.log"):
                path = os.path.join(self.tmp, name)
                if os.path.exists(path):
                    with open(path, errors="replace") as f:
                        sys.stderr.write("\n--- %s ---\n%s" % (name, f.read()[-6000:]))
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _outcome_failed(self):
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        result = getattr(outcome, "result", None)
        if result is None:
            return False
        return any(t is self for t, _ in result.failures + result.errors)

    # helpers

    def assert_dbus_error(self, name, fn, *args, **kw):
        with self.assertRaises(GLib.Error) as cm:
            fn(*args, **kw)
        self.assertEqual(dbus_error_name(cm.exception), name, cm.exception.message)
        return cm.exception

    def kinds(self, path):
        return [e[2] for e in self.client.events(path)]

    def assert_events_gapless(self, events):
        self.assertEqual([e[0] for e in events], list(range(1, len(events) + 1)))

    def run_to_end(self, task, timeout=30, **kw):
        name, path = self.client.start_run(task, **kw)
        state = self.client.wait_final(path, timeout)
        return name, path, state

    def agent_home(self, agent, kind, dynamic=True):
        """Where an agent keeps its "workspace" or "notes": under the daemon's
        state dir, or, where systemd switches users (shiftd is root), in the
        unit's StateDirectory= under the manager's state root (XDG_CONFIG_HOME
        for systemd 252, XDG_STATE_HOME for newer ones), below private/ for a
        dynamic user (an agent without User=). `agent` is the agent's name,
        or "default.UID" for a caller's runs of the default agent."""
        if self.systemd and os.geteuid() == 0:
            parts = (["private"] if dynamic else []) + ["shiftd-agents", agent, kind]
            candidates = [os.path.join(self.systemd.home, ".config", *parts),
                          os.path.join(self.systemd.home, ".local", "state", *parts)]
            return next((c for c in candidates if os.path.exists(os.path.dirname(c))), candidates[0])
        return os.path.join(self.daemon.state_dir, kind, agent)

    def notes_file(self, agent, dynamic=True):
        return os.path.join(self.agent_home(agent, "notes", dynamic), "notes.md")

    def started_events(self, path):
        return [json.loads(e[3]) for e in self.client.events(path) if e[2] in ("started", "resumed")]

    def worker_gone(self, started):
        """The attempt described by a started/resumed event has no process left."""
        if started.get("pid"):
            return not pid_alive(started["pid"])
        if started.get("unit") and self.systemd:
            return not self.systemd.unit_active(started["unit"])
        raise AssertionError("a started event names neither a pid nor a unit: %r" % started)

    def daemon_alive(self):
        """The daemon still answers."""
        self.assertTrue(self.daemon.proc.alive(), "shiftd died:\n" + self.daemon.log()[-3000:])
        self.assertIsInstance(self.client.get(MANAGER_PATH, "Version", MANAGER), str)


def main():
    unittest.main(verbosity=2)
