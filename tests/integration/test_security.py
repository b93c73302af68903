#!/usr/bin/python3
"""No one gets more than they already have, on both backends: shiftd in system
mode on a system-like bus that other uids reach, with runs started by another
uid (bin, 2) and by root. From the shell tool every way out is tried and must
be refused, with the refusal shown: root's files, the system, another agent's
workspace, remounting /, a setuid binary, the daemon's store, config and API
key. Workers are never root unless the agent file says User=root; User= is
honoured; systemd-analyze security rates a live worker unit 2.0 or less; the
embedded backend without bubblewrap refuses to run commands, saying why.

With the systemd backend the daemon reaches the test's `systemd --user` (as
root, it takes User= and DynamicUser= as a system manager would) through the
manager's own socket, since other uids cannot join that manager's bus."""

import json
import os
import re
import shutil
import subprocess

from harness import (AGENT, MANAGER, MANAGER_PATH, RUN, ShiftdTestCase, call_as, main)

BIN = 2
SECRET_KEY = "sk-never-for-tools-4f1c9e"
VICTIM_SECRET = "victim-secret-8d2a"
DYNAMIC_UIDS = range(61184, 65520)


def probe_script(paths):
    """One line per attempt: NAME=EXIT-STATUS and what the command said."""
    lines = [
        'say() { echo "$1=$2 $(head -c 300 /tmp/err | tr \'\\n\' \' \')"; }',
        'echo "id=$(id -u) gid=$(id -g) groups=$(id -G) capeff=$(grep CapEff /proc/self/status | cut -f2)"',
        'cat /etc/shadow >/dev/null 2>/tmp/err; say shadow $?',
        'touch /usr/shiftd-probe 2>/tmp/err; say usr $?',
        'touch /etc/shiftd-probe 2>/tmp/err; say etc $?',
        'touch /root/shiftd-probe 2>/tmp/err; say root $?',
        'cat {victim}/secret.txt 2>/tmp/err; say victim_read $?',
        'touch {victim}/planted 2>/tmp/err; say victim_write $?',
        'mount -o remount,rw / 2>/tmp/err; say remount $?',
        'echo "suid=$({suid} -u 2>/tmp/err)"',
        'cat {state}/shiftd.db >/dev/null 2>/tmp/err; say store $?',
        'ls -AR {state} >/tmp/err 2>&1; say state_list $?',
        'cat {key} 2>/tmp/err; say key $?',
        'cat {conf}/shiftd.conf >/dev/null 2>/tmp/err; say conf $?',
    ]
    return "\n".join(line.replace("{victim}", paths["victim"]).replace("{suid}", paths["suid"])
                     .replace("{state}", paths["state"]).replace("{key}", paths["key"])
                     .replace("{conf}", paths["conf"]) for line in lines)


def parse(result):
    """{name: (status, text)} from the probe's lines, and the id line."""
    out = {}
    ident = None
    for line in result.splitlines():
        m = re.match(r"^([a-z_]+)=(\d+) ?(.*)$", line)
        if line.startswith("id="):
            ident = {"uid": int(re.search(r"id=(\d+)", line).group(1)),
                     "groups": [int(g) for g in re.search(r"groups=([\d ]+?) capeff", line).group(1).split()],
                     "capeff": re.search(r"capeff=(\w+)", line).group(1)}
        elif line.startswith("suid="):
            out["suid"] = (0, line[5:])
        elif m:
            out[m.group(1)] = (int(m.group(2)), m.group(3))
    return ident, out


def colliding_name(name):
    """Another agent name that GLib's g_str_hash puts on NAME's first choice
    of dynamic uid."""
    def first_uid(text):
        h = 5381
        for c in text.encode():
            h = (h * 33 + c) & 0xFFFFFFFF
        return h % len(DYNAMIC_UIDS)
    want = first_uid(name)
    return next("c%d" % i for i in range(10 ** 6) if first_uid("c%d" % i) == want)


REFUSED = ("Permission denied", "Read-only file system", "Operation not permitted", "must be superuser")


class Security(ShiftdTestCase):
    start_daemon = False
    agents = {
        # the default agent with the shell: it works as its caller
        "default": "[Agent]\nDescription=the default, with a shell\nTools=shell\n",
        "probe": "[Agent]\nInstructions=scenario:probe\nTools=shell\n[Schedule]\nStartBy=bin\n",
        "victim": "[Agent]\nInstructions=scenario:plant\nTools=write_file\n",
        "named": "[Agent]\nInstructions=scenario:who\nTools=shell\n[Sandbox]\nUser=nobody\n",
        "rooted": "[Agent]\nInstructions=scenario:who\nTools=shell\n[Sandbox]\nUser=root\n",
    }

    def setUp(self):
        super().setUp()
        self.use_system_bus()
        self.key = os.path.join(self.tmp, "api-key")
        with open(self.key, "w") as f:
            f.write(SECRET_KEY)
        os.chmod(self.key, 0o600)
        # a setuid-root copy of id, where the sandbox can see it
        suid_dir = self._subdir("suid")
        self.suid = os.path.join(suid_dir, "id")
        shutil.copy("/usr/bin/id", self.suid)
        os.chmod(self.suid, 0o4755)
        env = {}
        if self.systemd:
            env["SHIFTD_SYSTEMD_ADDRESS"] = "unix:path=" + os.path.join(self.systemd.dir, "systemd", "private")
        self.daemon = self.new_daemon(system=True, env=env, conf={"Model": {"ApiKeyFile": self.key}})
        self.daemon.start()
        self.assertEqual(self.client.get(MANAGER_PATH, "Mode", MANAGER), "system")
        self.standin.scenario("plant", [{"tool": "write_file", "arguments": {"path": "secret.txt",
                                                                            "content": VICTIM_SECRET}},
                                        {"tool": "finish", "arguments": {"result": "planted"}}])
        self.standin.scenario("who", [{"tool": "shell", "arguments": {
            "command": "echo id=$(id -u) capeff=$(grep CapEff /proc/self/status | cut -f2)"}},
            {"echo_last_tool_result": True}])

    def start_as(self, uid, agent, task):
        if uid == 0:
            return self.client.start_run(task, agent=agent)
        r = call_as(uid, self.sysbus.address, MANAGER_PATH, MANAGER, "StartRun", "ssa{sv}", [agent, task, {}])
        self.assertIn("result", r, r)
        return r["result"]

    def finish(self, uid, agent, task):
        name, path = self.start_as(uid, agent, task)
        state = self.client.wait_final(path, 30)
        self.assertEqual(state, "done", self.client.get(path, "Error"))
        return path, self.client.get(path, "Result")

    def plant_victim(self):
        self.finish(0, "victim", "scenario:plant")
        secret = os.path.join(self.agent_home("victim", "workspace"), "secret.txt")
        with open(secret) as f:
            self.assertEqual(f.read(), VICTIM_SECRET)
        return os.path.dirname(secret)

    def run_probe(self, uid, agent, victim):
        paths = {"victim": victim, "suid": self.suid, "state": self.daemon.state_dir, "key": self.key,
                 "conf": self.daemon.config_dir}
        self.standin.scenario("probe", [{"tool": "shell", "arguments": {"command": probe_script(paths)}},
                                        {"echo_last_tool_result": True}])
        path, result = self.finish(uid, agent, "scenario:probe")
        ident, attempts = parse(result)
        self.assertIsNotNone(ident, result)
        return ident, attempts, result

    def assert_all_refused(self, attempts, result):
        # what was tried is really there, seen from outside
        for f in ("/etc/shadow", self.key, os.path.join(self.daemon.state_dir, "shiftd.db"),
                  os.path.join(self.daemon.config_dir, "shiftd.conf")):
            self.assertTrue(os.path.exists(f), f)
        for name in ("shadow", "usr", "etc", "root", "victim_read", "victim_write", "remount", "store", "key", "conf"):
            self.assertIn(name, attempts, result)
            status, text = attempts[name]
            self.assertNotEqual(status, 0, "%s was not refused:\n%s" % (name, result))
        for name in ("shadow", "usr", "etc", "root", "remount", "key", "conf"):
            self.assertTrue(any(r in attempts[name][1] for r in REFUSED), "%s: %s" % (name, attempts[name][1]))
        # the daemon's state dir: not to be listed, or holding nothing but the run's own dirs
        status, listing = attempts["state_list"]
        if status == 0:
            for hidden in ("shiftd.db", "lock", "victim", ".hidden"):
                self.assertNotIn(hidden, listing, result)
        else:
            self.assertIn("Permission denied", listing, result)
        # another agent's workspace: refused or not even there
        for name in ("victim_read", "victim_write", "store"):
            self.assertTrue(any(r in attempts[name][1] for r in REFUSED + ("No such file or directory",)),
                            "%s: %s" % (name, attempts[name][1]))
        self.assertNotEqual(attempts["suid"][1], "0", "a setuid binary gave root: " + result)
        self.assertNotIn(VICTIM_SECRET, result)
        self.assertNotIn(SECRET_KEY, result)
        for f in ("/usr/shiftd-probe", "/etc/shiftd-probe", "/root/shiftd-probe"):
            self.assertFalse(os.path.exists(f), f)

    def assert_unprivileged(self, ident, result):
        self.assertNotEqual(ident["uid"], 0, result)
        self.assertNotIn(0, ident["groups"], result)
        self.assertEqual(int(ident["capeff"], 16), 0, result)

    def test_the_default_agent_works_as_its_caller(self):
        victim = self.plant_victim()
        ident, attempts, result = self.run_probe(BIN, "", victim)
        self.assertEqual(ident["uid"], BIN, result)
        self.assertEqual(ident["groups"], [2], result)
        self.assert_unprivileged(ident, result)
        self.assert_all_refused(attempts, result)

    def test_roots_default_runs_are_not_root(self):
        victim = self.plant_victim()
        ident, attempts, result = self.run_probe(0, "", victim)
        self.assertIn(ident["uid"], DYNAMIC_UIDS, result)
        self.assert_unprivileged(ident, result)
        self.assert_all_refused(attempts, result)

    def test_a_standing_agent_has_a_user_of_its_own_whoever_starts_it(self):
        victim = self.plant_victim()
        by_bin, attempts, result = self.run_probe(BIN, "probe", victim)
        self.assertIn(by_bin["uid"], DYNAMIC_UIDS, result)
        self.assert_unprivileged(by_bin, result)
        self.assert_all_refused(attempts, result)
        by_root, attempts, result = self.run_probe(0, "probe", victim)
        self.assertEqual(by_root["uid"], by_bin["uid"], result)
        self.assert_all_refused(attempts, result)
        # and not the victim's
        self.assertNotEqual(os.stat(victim).st_uid, by_root["uid"])

    def test_an_agents_uid_survives_a_restart(self):
        if self.systemd:
            self.skipTest("systemd gives DynamicUser= uids and their directories itself")
        victim = self.plant_victim()
        uid = os.stat(victim).st_uid
        self.assertIn(uid, DYNAMIC_UIDS)
        # an agent whose name lands on the victim's uid, started first after a restart
        other = colliding_name("victim")
        self.daemon.write_agent(other, "[Agent]\nInstructions=scenario:plant\nTools=write_file\n")
        self.daemon.stop()
        self.daemon.start()
        self.finish(0, other, "scenario:plant")
        self.assertNotEqual(os.stat(self.agent_home(other, "workspace")).st_uid, uid)
        self.finish(0, "victim", "scenario:plant")
        self.assertEqual(os.stat(victim).st_uid, uid)

    def test_user_is_honoured_and_root_only_when_asked(self):
        path, result = self.finish(0, "named", "scenario:who")
        self.assertRegex(result, r"id=65534 capeff=0+\b")
        path, result = self.finish(0, "rooted", "scenario:who")
        self.assertRegex(result, r"id=0 capeff=0+\b")  # root, yet without capabilities
        self.assertIn("[agent rooted] runs its workers and tools as root (User=root)", self.daemon.log())

    def test_starting_a_standing_agent_is_for_its_owner_and_start_by(self):
        denied = call_as(65534, self.sysbus.address, MANAGER_PATH, MANAGER, "StartRun", "ssa{sv}",
                         ["probe", "scenario:who", {}])
        self.assertEqual(denied.get("error"), "org.shiftd.Shift1.Error.AccessDenied", denied)
        self.assertIn("may not start runs of agent probe", denied["message"])
        for method, path, iface, sig, args in (("TriggerAgent", MANAGER_PATH, MANAGER, "s", ["probe"]),
                                               ("Trigger", "/org/shiftd/Shift1/agent/probe", AGENT, "", [])):
            r = call_as(65534, self.sysbus.address, path, iface, method, sig, args)
            self.assertEqual(r.get("error"), "org.shiftd.Shift1.Error.AccessDenied", r)
        # the agent's own user may
        r = call_as(65534, self.sysbus.address, MANAGER_PATH, MANAGER, "StartRun", "ssa{sv}", ["named", "x", {}])
        self.assertIn("result", r, r)
        # options never raise the limits
        r = call_as(BIN, self.sysbus.address, MANAGER_PATH, MANAGER, "StartRun", "ssa{sv}",
                    ["", "x", {"max_steps": ["u", 1000]}])
        self.assertEqual(r.get("error"), "org.shiftd.Shift1.Error.InvalidArgument", r)
        self.assertIn("above the limit", r["message"])

    def test_a_live_worker_unit_rates_two_or_less(self):
        if not self.systemd:
            self.skipTest("systemd-analyze rates units; the embedded backend has none")
        self.standin.scenario("sleepy", [{"tool": "shell", "arguments": {"command": "sleep 60"}}])
        for uid, agent in ((BIN, ""), (0, "probe")):  # User= and DynamicUser=
            name, path = self.start_as(uid, agent, "scenario:sleepy")
            self.client.wait(lambda: "tool_call" in self.kinds(path), 15, "the shell command")
            unit = self.client.get(path, "Unit")
            p = subprocess.run(["systemd-analyze", "--user", "security", "--no-pager", unit], env=self.systemd.env,
                               capture_output=True, text=True, timeout=60)
            m = re.search(r"Overall exposure level for %s: ([0-9.]+)" % re.escape(unit), p.stdout)
            self.assertIsNotNone(m, p.stdout + p.stderr)
            self.assertLessEqual(float(m.group(1)), 2.0, p.stdout)
            self.client.call(path, RUN, "Cancel")


class Unconfined(ShiftdTestCase):
    """The embedded backend where bubblewrap cannot run: the worker still
    drops to its user, but what runs commands is refused, with the reason."""
    start_daemon = False

    def test_commands_are_refused_with_the_reason(self):
        if self.systemd:
            self.skipTest("the systemd backend confines with its units")
        self.standin.scenario("sh", [{"tool": "shell", "arguments": {"command": "id"}},
                                     {"echo_last_tool_result": True}])
        self.daemon = self.new_daemon(env={"SHIFTD_BWRAP": "/nonexistent/bwrap"}, agents={
            "sh": "[Agent]\nInstructions=scenario:sh\nTools=shell\n",
            "pre": "[Agent]\nInstructions=scenario:sh\nTools=shell\n[Schedule]\nWakeIf=/bin/true\n"})
        self.daemon.start()
        self.assertIn("workers cannot be confined: bubblewrap (bwrap) is not installed", self.daemon.log())
        name, path, state = self.run_to_end("scenario:sh", agent="sh")
        self.assertEqual(state, "done")
        self.assertIn("the shell tool is refused: commands cannot be confined here (bubblewrap (bwrap) is not "
                      "installed)", self.client.get(path, "Result"))
        results = [json.loads(e[3]) for e in self.client.events(path) if e[2] == "tool_result"]
        self.assertFalse(results[0]["ok"])
        name, path, state = self.run_to_end("scenario:sh", agent="pre")
        self.assertEqual(state, "failed")
        self.assertEqual(self.client.get(path, "Error"), "WakeIf= cannot run: commands cannot be confined here "
                         "(bubblewrap (bwrap) is not installed)")


if __name__ == "__main__":
    main()
