#!/usr/bin/python3
"""The extension's model (extension/src/model.js) in gjs against a real
shiftd on a private bus: runs appearing, changing, waiting and answered,
agents switched, the daemon leaving and coming back.

    test_model.py session   shiftd in user mode on a private session bus; the
                            model follows DBUS_SESSION_BUS_ADDRESS
    test_model.py system    shiftd in system mode on a private system-like bus;
                            the model follows DBUS_SYSTEM_BUS_ADDRESS and, when
                            this runs as root, runs as another uid (65534), so
                            that runs of others stay out of its lists and
                            content comes only by call

The checks are in model-test.js, run once with each flavour of the model: the
ES module (Shell 45+) and the legacy module meson generated (Shell 43/44).
This driver owns the processes (bus, model stand-in, shiftd: stopped by PID)
and does what the gjs side asks on its stdout ("@@ctl COMMAND JSON"),
answering with one JSON line on its stdin.
"""

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time

SOURCE = os.environ.get("SHIFTD_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
import harness  # noqa: E402
from harness import Client, PrivateBus, Shiftd, Standin, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NOBODY = 65534
TIMEOUT = 50  # per gjs run, seconds

AGENTS = {
    "watch": "[Agent]\nDescription=Watches the build\nInstructions=scenario:quick\n"
             "[Schedule]\nEvery=15min\n",
}
SCENARIOS = {
    "ask": [{"tool": "ask_human", "arguments": {"question": "Ship it?", "choices": ["yes", "no"]}},
            {"echo_last_tool_result": True}],
    "free": [{"tool": "ask_human", "arguments": {"question": "Which branch?"}},
             {"echo_last_tool_result": True}],
    "slow": [{"reply": "slow and done", "delay": 1.5}],
    "quick": [{"reply": "all tidy"}],
}


class Rig:
    """Bus, stand-in and shiftd for one bus kind."""

    def __init__(self, tmp, bus_kind):
        self.tmp = tmp
        self.bus_kind = bus_kind
        self.bus = PrivateBus(self._dir("bus"), system_like=bus_kind == "system")
        try:
            self.standin = Standin(self._dir("standin"))
            for name, steps in SCENARIOS.items():
                self.standin.scenario(name, steps)
            self.daemon = Shiftd(self._dir("daemon"), self.bus, self.standin, agents=AGENTS,
                                 system=bus_kind == "system", backend="embedded")
            self.daemon.start()
            self.client = Client(self.bus)
        except BaseException:
            self.stop()
            raise

    def _dir(self, name):
        path = os.path.join(self.tmp, name)
        os.makedirs(path, exist_ok=True)
        return path

    def stop(self):
        for part in ("daemon", "standin", "bus"):
            obj = getattr(self, part, None)
            if obj is not None:
                try:
                    obj.stop()
                except Exception as e:  # keep stopping the others
                    sys.stderr.write("stopping %s: %s\n" % (part, e))

    # --- what the gjs side may ask for ---

    def ctl(self, command, arg):
        if command == "stop-daemon":
            self.daemon.stop()
            wait_for(lambda: not self.bus.has_owner(), 10, "the name to be released")
            return True
        if command == "kill-daemon":
            self.daemon.kill9()
            return True
        if command == "start-daemon":
            self.daemon.start()
            return True
        if command == "start-waiting-run":
            # A run of the test's own uid (root): in system mode another
            # user's run, as far as the model (uid 65534) is concerned.
            name, path = self.client.start_run(arg["task"])
            self.client.wait_state(path, "waiting")
            return [name, path]
        if command == "state":
            return self.client.get(arg["path"], "State")
        raise ValueError("unknown command %r" % command)


def run_gjs(rig, flavour, model_dir, log):
    env = dict(os.environ)
    nowhere = "unix:path=" + os.path.join(rig.tmp, "no-such-bus")
    # The model follows the standard bus of its kind; the other points nowhere,
    # so that nothing here reaches the machine's own buses.
    if rig.bus_kind == "system":
        env.update(DBUS_SYSTEM_BUS_ADDRESS=rig.bus.address, DBUS_SESSION_BUS_ADDRESS=nowhere)
    else:
        env.update(DBUS_SESSION_BUS_ADDRESS=rig.bus.address, DBUS_SYSTEM_BUS_ADDRESS=nowhere)
    home = os.path.join(rig.tmp, "home-" + flavour)
    os.makedirs(home, exist_ok=True)
    env.update(HOME=home, XDG_CACHE_HOME=os.path.join(home, "cache"), XDG_CONFIG_HOME=os.path.join(home, "config"))
    argv = ["gjs", "-m", os.path.join(HERE, "model-test.js"), rig.bus_kind, flavour, model_dir]
    other_uid = rig.bus_kind == "system" and os.geteuid() == 0
    if other_uid:
        os.chown(home, NOBODY, NOBODY)
        argv = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"] + argv
    env["SHIFTD_TEST_OTHER_UID"] = "1" if other_uid else "0"
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=env, text=True, bufsize=1)
    # A thread reads the lines: select() on a buffered pipe would miss lines
    # that came in one chunk with the one before.
    lines = queue.Queue()

    def read():
        for x in iter(proc.stdout.readline, ""):
            lines.put(x)
        lines.put(None)
    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + TIMEOUT
    passed = failed = 0
    try:
        while True:
            left = deadline - time.monotonic()
            try:
                line = lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                log("not ok - the gjs test did not finish within %d s" % TIMEOUT)
                return passed, failed + 1
            if line is None:
                break
            line = line.rstrip("\n")
            if line.startswith("@@ctl "):
                _, command, arg = line.split(" ", 2)
                try:
                    reply = {"ok": rig.ctl(command, json.loads(arg))}
                except Exception as e:
                    reply = {"error": "%s: %s" % (type(e).__name__, e)}
                proc.stdin.write(json.dumps(reply) + "\n")
                proc.stdin.flush()
                continue
            log(line)
            if line.startswith("ok "):
                passed += 1
            elif line.startswith("not ok "):
                failed += 1
        rc = proc.wait(10)
        if rc != 0 and failed == 0:
            log("not ok - gjs exited with %d" % rc)
            failed += 1
        return passed, failed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def main():
    bus_kind = sys.argv[1] if len(sys.argv) > 1 else "session"
    if bus_kind not in ("session", "system"):
        sys.stderr.write("usage: test_model.py session|system\n")
        return 2
    if shutil.which("gjs") is None:
        print("gjs is not installed")
        return 77
    flavours = [("esm", os.environ.get("SHIFTD_EXTENSION_ESM") or os.path.join(SOURCE, "extension", "src")),
                ("legacy", os.environ.get("SHIFTD_EXTENSION_LEGACY"))]
    base = harness.test_tmp_base()
    os.makedirs(base, exist_ok=True)
    total_passed = total_failed = 0
    for flavour, model_dir in flavours:
        if not model_dir:
            print("# %s: no build of it (SHIFTD_EXTENSION_LEGACY unset): skipped" % flavour)
            continue
        tmp = tempfile.mkdtemp(prefix="ext-model-", dir=base)
        os.chmod(tmp, 0o755)  # the model and workers run as other uids
        print("# %s model on the %s bus" % (flavour, bus_kind), flush=True)
        t0 = time.monotonic()
        rig = None
        try:
            rig = Rig(tmp, bus_kind)
            passed, failed = run_gjs(rig, flavour, model_dir, lambda s: print(s, flush=True))
        finally:
            if rig:
                rig.stop()
        print("# %s: %d passed, %d failed in %.1f s" % (flavour, passed, failed, time.monotonic() - t0),
              flush=True)
        if failed and rig:
            sys.stdout.write("--- shiftd log ---\n" + rig.daemon.log()[-4000:] + "\n")
        total_passed += passed
        total_failed += failed
        if not failed:
            shutil.rmtree(tmp, ignore_errors=True)
    print("# all flavours: %d checks passed, %d failed" % (total_passed, total_failed))
    return 1 if total_failed or not total_passed else 0


if __name__ == "__main__":
    sys.exit(main())
