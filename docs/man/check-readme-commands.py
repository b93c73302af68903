#!/usr/bin/env python3
"""README.md's shell examples are right for the programs as built, and work.

Usage: check-readme-commands.py README.md INTERFACE.xml BUILD_ROOT

First every command line in a ```sh block is looked at:
  - shiftctl ...: the program as built must accept the command line (run with
    --help added, which checks the command and its options but calls nothing);
  - shiftd ...: likewise, with --version added;
  - busctl call: the interface, method and signature must be those of the
    interface description (data/org.shiftd.Shift1.xml);
  - scripts/NAME: the script must be there and executable.

Then the shell blocks are run, in order, as one script, on a private
dbus-daemon standing in for the session bus, with the model stand-in as the
model and XDG directories of their own: `build/` means BUILD_ROOT, and the
lines that build (meson) or run the project's scripts (scripts/...) are
left out, since the build is this one and the scripts have tests of their
own. A shiftd started in the background is waited for (up to 30 s) until it
owns its name, beyond the pause the README itself makes. Every command must
succeed. Every process started is stopped by its pid.
"""

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

OPERATORS = {"&&", "||", ";", "&", "|", "(", ")"}
RUN_TIMEOUT = 90
WAIT_FOR_SHIFTD = ("i=0; until busctl --user call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus "
                   "NameHasOwner s org.shiftd.Shift1 2>/dev/null | grep -q true; do "
                   "i=$((i+1)); [ $i -lt 300 ] || { echo 'shiftd did not take its name' >&2; exit 1; }; "
                   "sleep 0.1; done")


def shell_blocks(path):
    """(first line number, text) of each ```sh block."""
    blocks, current, start = [], None, 0
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            stripped = line.strip()
            if current is None:
                if stripped in ("```sh", "```shell", "```bash"):
                    current, start = [], number + 1
            elif stripped == "```":
                blocks.append((start, "".join(current)))
                current = None
            else:
                current.append(line)
    return blocks


def logical_lines(start, text):
    """(line number, text) with continuation lines joined."""
    logical, first = "", None
    for number, line in enumerate(text.splitlines(), start):
        if first is None:
            first = number
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        yield first, logical + line
        logical, first = "", None


def commands(line):
    """The argv of each simple command on a line."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    argv = []
    for token in list(lexer) + [";"]:
        if token in OPERATORS:
            if argv:
                yield argv
            argv = []
        else:
            argv.append(token)


def without_env(argv):
    """The command without leading VAR=value assignments."""
    i = 0
    while i < len(argv) and "=" in argv[i] and not argv[i].startswith("-") and "/" not in argv[i].split("=")[0]:
        i += 1
    return argv[i:]


def interfaces(xml_path):
    result = {}
    for iface in ET.parse(xml_path).getroot().iter("interface"):
        for method in iface.iter("method"):
            sig = "".join(a.get("type") for a in method.iter("arg") if a.get("direction", "in") == "in")
            result[(iface.get("name"), method.get("name"))] = sig
    return result


def check_lines(readme, blocks, methods, shiftctl, shiftd, root):
    failures, checked = [], 0
    env = dict(os.environ, LC_ALL="C.UTF-8")
    for start, text in blocks:
        for line, logical in logical_lines(start, text):
            for argv in commands(logical):
                argv = without_env(argv)
                if not argv:
                    continue
                program = os.path.basename(argv[0])
                where = f"{readme}:{line}: {shlex.join(argv)}"
                if program == "shiftctl":
                    out = subprocess.run([shiftctl] + argv[1:] + ["--help"], capture_output=True, text=True,
                                         env=env, check=False)
                    if out.returncode != 0:
                        failures.append(f"{where}: shiftctl says: {out.stderr.strip()}")
                elif program == "shiftd":
                    out = subprocess.run([shiftd] + argv[1:] + ["--version"], capture_output=True, text=True,
                                         env=env, check=False)
                    if out.returncode != 0:
                        failures.append(f"{where}: shiftd says: {out.stderr.strip()}")
                elif program == "busctl" and "call" in argv:
                    args = [a for a in argv[argv.index("call") + 1:] if not a.startswith("-")]
                    if len(args) < 4:
                        failures.append(f"{where}: busctl call needs SERVICE PATH INTERFACE METHOD")
                        continue
                    iface, method = args[2], args[3]
                    sig = args[4] if len(args) > 4 else ""
                    if (iface, method) not in methods:
                        failures.append(f"{where}: no method {iface}.{method} in the interface description")
                    elif methods[(iface, method)] != sig:
                        failures.append(f"{where}: {iface}.{method} takes '{methods[(iface, method)]}', not '{sig}'")
                elif argv[0].startswith("scripts/"):
                    if not os.access(os.path.join(root, argv[0]), os.X_OK):
                        failures.append(f"{where}: {argv[0]} is not an executable script of the project")
                else:
                    continue
                checked += 1
    return failures, checked


def script_of(blocks, build_root):
    """The blocks as one sh script, as described above."""
    out = ["set -e",
           "pids=''",
           "trap 'for p in $pids; do kill $p 2>/dev/null || true; done; wait' EXIT"]
    for start, text in blocks:
        for line, logical in logical_lines(start, text):
            words = list(commands(logical))
            if not words:
                continue
            first = without_env(words[0])
            if first and (first[0] == "meson" or first[0].startswith("scripts/")):
                continue
            command = logical.replace("build/src/", build_root.rstrip("/") + "/src/")
            out.append(f"echo '+ README.md:{line}'")
            out.append(command)
            if command.split("#")[0].rstrip().endswith("&"):
                out.append('pids="$pids $!"')
                if first and os.path.basename(first[0]) == "shiftd":
                    # the README gives it a moment; a slow machine gets up to 30 s
                    out.append(WAIT_FOR_SHIFTD)
    return "\n".join(out) + "\n"


def wait_for(predicate, timeout, what):
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise SystemExit(f"check-readme-commands: timed out waiting for {what}")
        time.sleep(0.05)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_blocks(blocks, build_root, root):
    for tool in ("dbus-daemon", "busctl"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed: the examples are checked but not run")
            return []
    tmp = tempfile.mkdtemp(prefix="readme-commands-")
    procs = []
    try:
        bus = os.path.join(tmp, "bus")
        procs.append(subprocess.Popen(["dbus-daemon", "--session", "--address=unix:path=" + bus, "--nofork",
                                       "--nopidfile"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: os.path.exists(bus), 10, "dbus-daemon to listen")
        port_file = os.path.join(tmp, "port")
        procs.append(subprocess.Popen([sys.executable, os.path.join(root, "tests", "model-standin.py"),
                                       "--port-file", port_file],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: os.path.exists(port_file) and os.path.getsize(port_file) > 0, 10, "the model stand-in")
        with open(port_file, encoding="utf-8") as f:
            port = f.read().strip()
        os.makedirs(os.path.join(tmp, "config", "shiftd"))
        with open(os.path.join(tmp, "config", "shiftd", "shiftd.conf"), "w", encoding="utf-8") as f:
            f.write(f"[Model]\nBaseURL=http://127.0.0.1:{port}/v1\n")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DBUS_", "XDG_", "SHIFTD_")) and k != "INVOCATION_ID"}
        env.update(DBUS_SESSION_BUS_ADDRESS="unix:path=" + bus, XDG_CONFIG_HOME=os.path.join(tmp, "config"),
                   XDG_STATE_HOME=os.path.join(tmp, "state"), XDG_RUNTIME_DIR=tmp, LC_ALL="C.UTF-8",
                   NO_COLOR="1")
        script = script_of(blocks, build_root)
        try:
            out = subprocess.run(["sh", "-c", script], cwd=tmp, env=env, capture_output=True, text=True,
                                 timeout=RUN_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as e:
            return [f"README.md's shell examples did not finish within {RUN_TIMEOUT} s:\n{e.stdout}{e.stderr}"]
        if out.returncode != 0:
            return [f"README.md's shell examples failed (exit status {out.returncode}):\n"
                    f"{out.stdout}{out.stderr}"]
        print(out.stdout, end="")
        return []
    finally:
        for proc in reversed(procs):
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    readme, xml, build_root = sys.argv[1:]
    build_root = os.path.abspath(build_root)
    root = os.path.dirname(os.path.abspath(readme))
    shiftctl = os.path.join(build_root, "src", "cli", "shiftctl")
    shiftd = os.path.join(build_root, "src", "daemon", "shiftd")
    blocks = shell_blocks(readme)

    failures, checked = check_lines(readme, blocks, interfaces(xml), shiftctl, shiftd, root)
    if checked == 0:
        failures.append(f"{readme}: no commands found in its shell examples")
    if not failures:
        failures = run_blocks(blocks, build_root, root)

    for failure in failures:
        print(failure)
    if failures:
        return 1
    print(f"{checked} command lines of {readme} are right for the programs as built, and its shell examples run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
