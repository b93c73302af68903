#!/usr/bin/python3
"""`meson install --destdir` puts the units, D-Bus activation files, bus policy,
interface XML and docs where the platform looks for them (under the prefix),
systemd-analyze accepts both units, dbus-daemon accepts the policy, D-Bus
activation of the installed daemon really happens, and on a system-like bus
with the installed policy another uid may call shiftd but not own its name."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

from harness import (BUILD, BUS_NAME, MANAGER, MANAGER_PATH, RUN, SOURCE, WORKER, Client,  # noqa: E402
                     Process, Shiftd, Standin, main, pid_alive, wait_for)

NOBODY = 65534
INSTALL = {}  # filled by setUpModule


def meson_options():
    out = subprocess.run(["meson", "introspect", "--buildoptions", BUILD], check=True, capture_output=True,
                         text=True).stdout
    return {o["name"]: o["value"] for o in json.loads(out)}


def under(prefix, path):
    return path if os.path.isabs(path) else os.path.join(prefix, path)


def pc_dir(package, variable, prefix):
    """What data/meson.build asks pkg-config: the variable with our prefix
    defined as prefix, then as root_prefix; "" unless it lies under prefix."""
    if subprocess.run(["pkg-config", "--exists", package]).returncode != 0:
        return ""
    for define in ("prefix", "root_prefix"):
        r = subprocess.run(["pkg-config", "--define-variable=%s=%s" % (define, prefix), "--variable=" + variable,
                            package], capture_output=True, text=True)
        v = r.stdout.strip()
        if r.returncode == 0 and v and (prefix == "/" or v.startswith(prefix + "/")):
            return v
    return ""


def expected_dirs(opts):
    prefix = opts["prefix"]
    dirs = {"prefix": prefix,
            "libexecdir": under(prefix, opts["libexecdir"]),
            "datadir": under(prefix, opts["datadir"])}
    for opt, pc, default in (("systemdsystemunitdir", ("systemd", "systemdsystemunitdir"), "lib/systemd/system"),
                             ("systemduserunitdir", ("systemd", "systemduserunitdir"), "lib/systemd/user"),
                             ("dbusdatadir", ("dbus-1", "datadir"), None)):
        value = opts.get(opt)
        if not value and opt == "systemduserunitdir" and prefix not in ("/usr", "/usr/local"):
            # a user manager finds units there only under its data dirs
            value = os.path.join(dirs["datadir"], "systemd", "user")
        value = value or pc_dir(pc[0], pc[1], prefix)
        if not value:
            value = os.path.join(prefix, default) if default else dirs["datadir"]
        dirs[opt] = value
        dirs[opt + ":from_option"] = bool(opts.get(opt))
    return dirs


def setUpModule():
    meson = shutil.which("meson")
    if meson is None:
        raise AssertionError("meson is not on PATH")
    destdir = tempfile.mkdtemp(prefix="install-test-", dir=BUILD)
    INSTALL["destdir"] = destdir
    r = subprocess.run([meson, "install", "--destdir", destdir, "-C", BUILD, "--no-rebuild", "--quiet"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        shutil.rmtree(destdir, ignore_errors=True)
        raise AssertionError("meson install failed (%d):\n%s\n%s" % (r.returncode, r.stdout, r.stderr))
    INSTALL["dirs"] = expected_dirs(meson_options())


def tearDownModule():
    if "destdir" in INSTALL:
        shutil.rmtree(INSTALL["destdir"], ignore_errors=True)


def staged(path):
    """An installed path inside destdir."""
    return INSTALL["destdir"] + path


def parse_unit(path):
    """A systemd unit or D-Bus .service file: {section: {key: [values]}}."""
    sections, current = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                current = sections.setdefault(line[1:-1], {})
                continue
            key, sep, value = line.partition("=")
            assert sep and current is not None, "bad line in %s: %r" % (path, line)
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(section, key):
    values = section.get(key, [])
    assert len(values) == 1, "%s: expected one value, got %r" % (key, values)
    return values[0]


# The default policy of Debian's /usr/share/dbus-1/system.conf: method calls
# and name ownership are denied unless a service's own policy allows them.
SYSTEM_DEFAULT_POLICY = """
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
  </policy>
"""


class Bus:
    """A dbus-daemon with a config of our own; stopped by PID."""

    def __init__(self, dir_, body, bus_type="system", env=None):
        self.dir = dir_
        self.socket = os.path.join(dir_, "bus")
        self.address = "unix:path=" + self.socket
        self.config = os.path.join(dir_, "bus.conf")
        with open(self.config, "w") as f:
            f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>%s</type>
  <listen>%s</listen>
  <auth>EXTERNAL</auth>
%s
</busconfig>
""" % (bus_type, self.address, body))
        self.log_path = os.path.join(dir_, "dbus.log")
        self.proc = Process(["dbus-daemon", "--config-file=" + self.config, "--nofork", "--nopidfile"],
                            log_path=self.log_path, env=env)
        wait_for(lambda: os.path.exists(self.socket) or not self.proc.alive(), 10, "dbus-daemon to listen")
        self.conn = None
        if self.proc.alive():
            self.conn = Gio.DBusConnection.new_for_address_sync(
                self.address,
                Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
                None, None)

    def bus_call(self, method, signature, args, reply):
        r = self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", method,
                                GLib.Variant(signature, args) if signature else None, GLib.VariantType(reply),
                                Gio.DBusCallFlags.NONE, 5000, None)
        return r.unpack()[0]

    def has_owner(self, name=BUS_NAME):
        return self.bus_call("NameHasOwner", "(s)", (name,), "(b)")

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.conn is not None:
            try:
                self.conn.close_sync(None)
            except GLib.Error:
                pass
        return self.proc.stop()


# Runs as another uid: makes the calls listed in argv[2] (JSON) on the bus at
# argv[1] and prints one result per call: {"ok": value} or {"error": name}.
AS_OTHER_UID = r"""
import json, sys
import gi
gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib
conn = Gio.DBusConnection.new_for_address_sync(sys.argv[1],
    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
out = []
for dest, path, iface, method, sig, args in json.loads(sys.argv[2]):
    try:
        params = GLib.Variant("(%s)" % sig, tuple(args)) if sig else None
        r = conn.call_sync(dest, path, iface, method, params, None, Gio.DBusCallFlags.NONE, 10000, None)
        out.append({"ok": r.unpack()})
    except GLib.Error as e:
        out.append({"error": Gio.DBusError.get_remote_error(e), "message": e.message})
print(json.dumps(out, default=str))
"""


class Install(unittest.TestCase):
    def setUp(self):
        self.dirs = INSTALL["dirs"]
        self.prefix = self.dirs["prefix"]
        self.shiftd = os.path.join(self.dirs["libexecdir"], "shiftd")
        self.files = {
            "system unit": os.path.join(self.dirs["systemdsystemunitdir"], "shiftd.service"),
            "user unit": os.path.join(self.dirs["systemduserunitdir"], "shiftd.service"),
            "system activation": os.path.join(self.dirs["dbusdatadir"], "dbus-1", "system-services",
                                              "org.shiftd.Shift1.service"),
            "session activation": os.path.join(self.dirs["dbusdatadir"], "dbus-1", "services",
                                               "org.shiftd.Shift1.service"),
            "policy": os.path.join(self.dirs["dbusdatadir"], "dbus-1", "system.d", "org.shiftd.Shift1.conf"),
            "interface": os.path.join(self.dirs["dbusdatadir"], "dbus-1", "interfaces", "org.shiftd.Shift1.xml"),
            "api doc": os.path.join(self.dirs["datadir"], "doc", "shiftd", "dbus-api.md"),
            "daemon": self.shiftd,
            "worker": os.path.join(self.dirs["libexecdir"], "shiftd-worker"),
            "icon": os.path.join(self.dirs["datadir"], "icons", "hicolor", "scalable", "apps", "shiftd.svg"),
            "symbolic icon": os.path.join(self.dirs["datadir"], "icons", "hicolor", "symbolic", "apps",
                                          "shiftd-symbolic.svg"),
        }
        if os.path.exists(os.path.join(BUILD, "src", "notify", "shiftd-notify")):
            self.files["notifier entry"] = os.path.join(self.dirs["datadir"], "applications", "shiftd-notify.desktop")
            self.files["user preset"] = os.path.join(self.prefix, "lib", "systemd", "user-preset", "80-shiftd.preset")
        self.tmp = tempfile.mkdtemp(prefix="shiftd-install-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    # --- where things land ---

    def test_every_file_lands_where_expected(self):
        for what, path in self.files.items():
            self.assertTrue(os.path.isfile(staged(path)), "%s not installed at %s" % (what, path))
        for what in ("daemon", "worker"):
            self.assertTrue(os.access(staged(self.files[what]), os.X_OK), what)
        # Without overrides everything is under the prefix, even where the .pc
        # names an absolute directory elsewhere (Debian 12: /lib/systemd/system).
        for opt, what in (("systemdsystemunitdir", "system unit"), ("systemduserunitdir", "user unit"),
                          ("dbusdatadir", "policy")):
            if not self.dirs[opt + ":from_option"]:
                self.assertTrue(self.files[what].startswith(self.prefix.rstrip("/") + "/"),
                                "%s at %s is outside the prefix %s" % (what, self.files[what], self.prefix))
        # Nothing of ours landed outside destdir/prefix.
        ours = {"shiftd.service", "org.shiftd.Shift1.service", "org.shiftd.Shift1.conf", "org.shiftd.Shift1.xml"}
        for root, _, names in os.walk(INSTALL["destdir"]):
            for n in names:
                if n in ours:
                    self.assertIn(root[len(INSTALL["destdir"]):] + "/" + n, self.files.values())

    def test_presets_not_enablement_links(self):
        if "user preset" not in self.files:
            self.skipTest("shiftd-notify is not built")
        with open(staged(self.files["user preset"])) as f:
            lines = [x.strip() for x in f if x.strip() and not x.startswith("#")]
        self.assertEqual(lines, ["enable shiftd-notify.service"])
        links = [os.path.join(root, n) for root, dirs, names in os.walk(INSTALL["destdir"])
                 for n in dirs + names if n.endswith((".wants", ".requires"))]
        self.assertEqual(links, [], "enablement is the preset's (and the admin's), not the package's")
        # the notifications' desktop-entry exists, with an icon that does too
        keyfile = GLib.KeyFile()
        keyfile.load_from_file(staged(self.files["notifier entry"]), GLib.KeyFileFlags.NONE)
        self.assertEqual(keyfile.get_string("Desktop Entry", "Icon"), "shiftd")
        self.assertTrue(os.path.isfile(staged(self.files["icon"])))

    def test_units_say_what_they_should(self):
        system = parse_unit(staged(self.files["system unit"]))
        svc = system["Service"]
        self.assertEqual(one(svc, "Type"), "notify")
        self.assertEqual(one(svc, "BusName"), BUS_NAME)
        self.assertEqual(one(svc, "ExecStart"), self.shiftd + " --system")
        for key, value in (("Restart", "on-failure"), ("KillMode", "mixed"), ("WatchdogSec", "30s"),
                           ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
                           ("NoNewPrivileges", "yes"), ("ProtectKernelTunables", "yes"),
                           ("ProtectKernelModules", "yes"), ("ProtectControlGroups", "yes"),
                           ("RestrictSUIDSGID", "yes"), ("LockPersonality", "yes"), ("RestrictRealtime", "yes"),
                           ("SystemCallArchitectures", "native"), ("StateDirectory", "shiftd"),
                           ("ConfigurationDirectory", "shiftd")):
            self.assertEqual(one(svc, key), value, key)
        # The daemon talks to the system manager over D-Bus, a filesystem socket that reaches across
        # PrivateNetwork=: AF_UNIX stays, the network goes (workers make the model calls).
        self.assertEqual(one(svc, "PrivateNetwork"), "yes")
        for families in svc.get("RestrictAddressFamilies", []):
            self.assertIn("AF_UNIX", families)
        # A LoadCredential= whose file is missing fails the start: it is only documented.
        self.assertNotIn("LoadCredential", svc)
        self.assertEqual(one(system["Install"], "WantedBy"), "multi-user.target")
        docs = one(system["Unit"], "Documentation").split()
        self.assertIn("man:shiftd(8)", docs)
        self.assertTrue(any(d.startswith("file:" + self.dirs["datadir"]) for d in docs), docs)

        user = parse_unit(staged(self.files["user unit"]))
        svc = user["Service"]
        self.assertEqual(one(svc, "Type"), "notify")
        self.assertEqual(one(svc, "BusName"), BUS_NAME)
        self.assertEqual(one(svc, "ExecStart"), self.shiftd + " --user")
        self.assertEqual(one(svc, "WatchdogSec"), "30s")
        self.assertEqual(one(user["Install"], "WantedBy"), "default.target")

    def test_activation_files_and_interface(self):
        system = parse_unit(staged(self.files["system activation"]))["D-BUS Service"]
        self.assertEqual(one(system, "Name"), BUS_NAME)
        self.assertEqual(one(system, "Exec"), self.shiftd + " --system")
        self.assertEqual(one(system, "User"), "root")
        self.assertEqual(one(system, "SystemdService"), "shiftd.service")
        session = parse_unit(staged(self.files["session activation"]))["D-BUS Service"]
        self.assertEqual(one(session, "Name"), BUS_NAME)
        self.assertEqual(one(session, "Exec"), self.shiftd + " --user")
        self.assertEqual(one(session, "SystemdService"), "shiftd.service")
        self.assertNotIn("User", session)
        with open(staged(self.files["interface"])) as a, open(os.path.join(SOURCE, "data", BUS_NAME + ".xml")) as b:
            self.assertEqual(a.read(), b.read())

    # --- systemd accepts the units ---

    def verify(self, unit, user=False):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed")
        env = dict(os.environ)
        argv = ["systemd-analyze"]
        if user:
            runtime = os.path.join(self.tmp, "runtime")
            os.makedirs(runtime, mode=0o700, exist_ok=True)
            env["XDG_RUNTIME_DIR"] = runtime
            argv.append("--user")
        r = subprocess.run(argv + ["verify", "--man=no", unit], capture_output=True, text=True, env=env,
                           timeout=30)
        return r.returncode, [line for line in (r.stdout + r.stderr).splitlines() if line.strip()]

    def test_systemd_analyze_verify(self):
        for what, user in (("system unit", False), ("user unit", True)):
            # As installed: the only complaint allowed is that the daemon is
            # not at its final place yet (it is in destdir).
            rc, lines = self.verify(staged(self.files[what]), user)
            missing = "shiftd.service: Command %s is not executable: No such file or directory" % self.shiftd
            others = [line for line in lines if line != missing]
            self.assertEqual(others, [], "%s: systemd-analyze verify says:\n%s" % (what, "\n".join(lines)))
            if not os.path.exists(self.shiftd):
                self.assertIn(missing, lines, what)
            # The same unit pointing at the staged binary: no word at all, not
            # even a warning (an unknown or misspelt key would be one).
            copy_dir = os.path.join(self.tmp, "user" if user else "system")
            os.makedirs(copy_dir, exist_ok=True)
            with open(staged(self.files[what])) as f:
                text = f.read()
            self.assertIn("=" + self.shiftd + " ", text)
            with open(os.path.join(copy_dir, "shiftd.service"), "w") as f:
                f.write(text.replace("=" + self.shiftd + " ", "=" + staged(self.shiftd) + " "))
            rc, lines = self.verify(os.path.join(copy_dir, "shiftd.service"), user)
            self.assertEqual((rc, lines), (0, []), what)

    # --- D-Bus ---

    def policy_bus(self, include_policy=True, extra=""):
        """A system-like bus in a 0755 dir under /tmp (so that other uids
        reach its socket), with the system bus's default policy and,
        optionally, the installed shiftd policy."""
        d = tempfile.mkdtemp(prefix="shiftd-policy-", dir="/tmp")
        self.addCleanup(shutil.rmtree, d, True)
        os.chmod(d, 0o755)
        body = SYSTEM_DEFAULT_POLICY + extra
        if include_policy:
            body += "  <include>%s</include>\n" % staged(self.files["policy"])
        bus = Bus(d, body)
        self.addCleanup(bus.stop)
        return bus

    def test_policy_is_accepted_by_dbus_daemon(self):
        bus = self.policy_bus()
        self.assertTrue(bus.proc.alive(), bus.log())
        self.assertFalse(bus.has_owner())
        # Control: dbus-daemon does refuse a broken policy file, so starting is proof.
        broken = os.path.join(self.tmp, "broken.conf")
        with open(staged(self.files["policy"])) as f:
            text = f.read()
        with open(broken, "w") as f:
            f.write(text.replace("</busconfig>", ""))
        d = tempfile.mkdtemp(prefix="shiftd-policy-", dir="/tmp")
        self.addCleanup(shutil.rmtree, d, True)
        bad = Bus(d, SYSTEM_DEFAULT_POLICY + "  <include>%s</include>\n" % broken)
        self.addCleanup(bad.stop)
        bad.proc.proc.wait(10)
        self.assertNotEqual(bad.proc.proc.returncode, 0)
        self.assertFalse(os.path.exists(bad.socket))

    def as_nobody(self, bus, calls):
        r = subprocess.run(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
                            sys.executable, "-c", AS_OTHER_UID, bus.address, json.dumps(calls)],
                           capture_output=True, text=True, timeout=60, cwd=bus.dir,
                           env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": bus.dir,
                                "PYTHONDONTWRITEBYTECODE": "1"})
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def start_root_daemon(self, bus, name):
        standin_dir = os.path.join(self.tmp, name + "-standin")
        os.makedirs(standin_dir)
        standin = Standin(standin_dir)
        self.addCleanup(standin.stop)
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        daemon = Shiftd(d, bus, standin, system=True, backend="embedded")
        self.addCleanup(daemon.stop)
        return daemon

    def test_other_uids_may_call_but_not_own(self):
        if os.geteuid() != 0 or shutil.which("setpriv") is None:
            self.skipTest("needs root and setpriv to act as uid %d" % NOBODY)
        bus = self.policy_bus()
        self.assertTrue(bus.proc.alive(), bus.log())
        daemon = self.start_root_daemon(bus, "daemon").start()
        root = Client(bus, bus.conn)
        self.assertEqual(root.get(MANAGER_PATH, "Mode", MANAGER), "system")

        calls = [
            [BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", "ss", [MANAGER, "Version"]],
            [BUS_NAME, MANAGER_PATH, MANAGER, "ListRuns", "a{sv}", [{}]],
            [BUS_NAME, MANAGER_PATH, MANAGER, "StartRun", "ssa{sv}", ["", "a task from nobody", {}]],
            [BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.Introspectable", "Introspect", "", []],
            [BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", "", []],
            [BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping", "", []],
            [BUS_NAME, "/org/shiftd/Shift1/agent/default", "org.shiftd.Shift1.Agent", "SetEnabled", "b", [True]],
            ["org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName", "su",
             [BUS_NAME, 0]],
        ]
        (version, runs, receipt, introspect, objects, ping, set_enabled, request) = self.as_nobody(bus, calls)
        self.assertEqual(version.get("ok"), [root.get(MANAGER_PATH, "Version", MANAGER)], version)
        self.assertEqual(runs, {"ok": [[]]})
        self.assertIn("ok", receipt, receipt)
        name, path = receipt["ok"]
        self.assertIn(MANAGER, introspect.get("ok", [""])[0], introspect)
        self.assertIn(path, objects.get("ok", [{}])[0], objects)
        self.assertEqual(ping, {"ok": []})
        # Reaches the daemon, which decides: managing agents is root's.
        self.assertEqual(set_enabled.get("error"), "org.shiftd.Shift1.Error.AccessDenied", set_enabled)
        # The bus itself refuses the name to uid 65534.
        self.assertEqual(request.get("error"), "org.freedesktop.DBus.Error.AccessDenied", request)
        self.assertIn("not allowed to own", request["message"])

        # The daemon saw who called: the run is nobody's, and it runs.
        self.assertEqual(root.get(path, "Owner"), NOBODY)
        self.assertEqual(root.get(path, "Name"), name)
        self.assertEqual(root.wait_final(path, 30), "done")
        (result,) = self.as_nobody(bus, [[BUS_NAME, path, "org.freedesktop.DBus.Properties", "Get", "ss",
                                          [RUN, "State"]]])
        self.assertEqual(result, {"ok": ["done"]})
        self.assertTrue(daemon.proc.alive())

    def test_without_the_policy_other_uids_are_refused(self):
        """Control for the test above: the same bus, with root allowed to own
        the name but without the installed policy, refuses uid 65534's calls,
        so it is the policy file that lets them through."""
        if os.geteuid() != 0 or shutil.which("setpriv") is None:
            self.skipTest("needs root and setpriv to act as uid %d" % NOBODY)
        bus = self.policy_bus(include_policy=False,
                              extra='  <policy user="root"><allow own="%s"/></policy>\n' % BUS_NAME)
        self.start_root_daemon(bus, "daemon").start()
        (get,) = self.as_nobody(bus, [[BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", "ss",
                                       [MANAGER, "Version"]]])
        self.assertEqual(get.get("error"), "org.freedesktop.DBus.Error.AccessDenied", get)

    def test_session_activation_starts_the_installed_daemon(self):
        """No shiftd running; a call to org.shiftd.Shift1 makes the bus start
        the installed daemon from the installed activation file."""
        services = os.path.join(self.tmp, "services")
        os.makedirs(services)
        installed = staged(self.files["session activation"])
        with open(installed) as f:
            text = f.read()
        self.assertIn("Exec=%s --user\n" % self.shiftd, text)
        with open(os.path.join(services, BUS_NAME + ".service"), "w") as f:
            f.write(text.replace("Exec=%s " % self.shiftd, "Exec=%s " % staged(self.shiftd)))

        bus_dir = os.path.join(self.tmp, "bus")
        os.makedirs(bus_dir)
        address = "unix:path=" + os.path.join(bus_dir, "bus")
        env = dict(os.environ)
        env.update({"DBUS_SESSION_BUS_ADDRESS": address,
                    "XDG_CONFIG_HOME": os.path.join(self.tmp, "config"),
                    "XDG_STATE_HOME": os.path.join(self.tmp, "state"),
                    "SHIFTD_WORKER_PATH": WORKER})
        env.pop("SHIFTD_MODEL_URL", None)
        bus = Bus(bus_dir, """
  <servicedir>%s</servicedir>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
""" % services, bus_type="session", env=env)
        self.addCleanup(bus.stop)
        self.assertTrue(bus.proc.alive(), bus.log())
        self.assertIn(BUS_NAME, bus.bus_call("ListActivatableNames", None, None, "(as)"))
        self.assertFalse(bus.has_owner())

        pid = None
        try:
            r = bus.conn.call_sync(BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get",
                                   GLib.Variant("(ss)", (MANAGER, "Version")), GLib.VariantType("(v)"),
                                   Gio.DBusCallFlags.NONE, 25000, None)
            self.assertEqual(r.unpack()[0], subprocess.run([staged(self.shiftd), "--version"], capture_output=True,
                                                           text=True).stdout.split()[-1])
            self.assertTrue(bus.has_owner())
            pid = bus.bus_call("GetConnectionUnixProcessID", "(s)", (BUS_NAME,), "(u)")
            # It is the installed binary, in user mode, with the bus's environment.
            self.assertEqual(os.readlink("/proc/%d/exe" % pid), staged(self.shiftd))
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                self.assertEqual(f.read().split(b"\0")[1:-1], [b"--user"])
            mode = bus.conn.call_sync(BUS_NAME, MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get",
                                      GLib.Variant("(ss)", (MANAGER, "Mode")), GLib.VariantType("(v)"),
                                      Gio.DBusCallFlags.NO_AUTO_START, 5000, None).unpack()[0]
            self.assertEqual(mode, "user")
            self.assertTrue(os.path.isdir(os.path.join(self.tmp, "state", "shiftd")))
        finally:
            if pid is None and bus.conn is not None and bus.has_owner():
                pid = bus.bus_call("GetConnectionUnixProcessID", "(s)", (BUS_NAME,), "(u)")
            if pid:
                os.kill(pid, signal.SIGTERM)
                try:
                    wait_for(lambda: not pid_alive(pid), 10, "the activated shiftd (pid %d) to stop" % pid)
                except AssertionError:
                    os.kill(pid, signal.SIGKILL)
                    raise
        wait_for(lambda: not bus.has_owner(), 10, "the name to be released")


if __name__ == "__main__":
    main()
