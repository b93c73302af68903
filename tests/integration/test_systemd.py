#!/usr/bin/python3
"""The systemd backend for real: sandboxed transient units, limits with clear
errors, StopUnit on cancel, transient timers, leftovers after kill -9."""

import json
import os
import subprocess
import time

from harness import AGENT, RUN, ShiftdTestCase, main

HERE = os.path.dirname(os.path.abspath(__file__))

SANDBOXED = """[Agent]
Description=Runs shell commands in its sandbox
Instructions=scenario:{scenario}
Tools=shell
[Sandbox]
MemoryMax=256M
CPUQuota=50%
TasksMax=64
RuntimeMaxSec=5min
"""


class SystemdBackend(ShiftdTestCase):
    start_daemon = False

    def start(self, agents=None, worker=None):
        self.daemon = self.new_daemon(agents=agents, worker=worker)
        self.daemon.start()
        self.assertEqual(self.client.get("/org/shiftd/Shift1", "Backend", "org.shiftd.Shift1.Manager"), "systemd")

    def test_sandboxed_unit_and_cancel_leaves_nothing(self):
        marker = "shiftd-probe-%d" % os.getpid()
        self.standin.scenario("sleepy", [{"tool": "shell", "arguments": {"command": "sleep 300 # " + marker}}])
        self.start(agents={"sandboxed": SANDBOXED.format(scenario="sleepy")})
        name, path = self.client.start_run("scenario:sleepy", agent="sandboxed")
        self.client.wait(lambda: "tool_call" in self.kinds(path), 15, "the shell command to start")
        unit = self.client.get(path, "Unit")
        self.assertEqual(unit, "shiftd-run-%s-1.service" % name)
        self.client.wait(lambda: subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 0, 10,
                         "the shell command's process")
        expect = {"NoNewPrivileges": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes", "PrivateUsers": "yes",
                  "ProtectSystem": "strict", "ProtectHome": "read-only", "ProtectKernelTunables": "yes",
                  "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes", "ProtectControlGroups": "yes",
                  "ProtectClock": "yes", "ProtectHostname": "yes", "ProtectProc": "invisible", "ProcSubset": "pid",
                  "RestrictRealtime": "yes", "RestrictSUIDSGID": "yes", "LockPersonality": "yes",
                  "SystemCallArchitectures": "native", "UMask": "0077", "KeyringMode": "private",
                  "CapabilityBoundingSet": "", "AmbientCapabilities": "", "RestrictNamespaces": "yes",
                  # no User=: a user of its own, its workspace its state
                  "DynamicUser": "yes", "User": "shiftd-sandboxed", "StateDirectory": "shiftd-agents/sandboxed",
                  "KillMode": "control-group", "CollectMode": "inactive-or-failed",
                  "MemoryMax": str(256 << 20), "CPUQuotaPerSecUSec": "500ms", "TasksMax": "64",
                  "RuntimeMaxUSec": "5min", "ActiveState": "active"}
        props = self.systemd.show(unit, "Description", "SystemCallFilter", "TemporaryFileSystem", *expect)
        self.assertIn(name, props["Description"])
        for key, value in expect.items():
            self.assertEqual(props[key], value, key)
        families = self.systemd.show(unit, "RestrictAddressFamilies")["RestrictAddressFamilies"]
        self.assertEqual(sorted(families.split()), ["AF_INET", "AF_INET6", "AF_UNIX"])
        # @system-service without @privileged: an allow list
        allowed = props["SystemCallFilter"].split()
        self.assertIn("openat", allowed)
        for refused in ("mount", "chown", "setuid", "ptrace", "reboot", "init_module"):
            self.assertNotIn(refused, allowed)
        # the daemon's state: an empty dir in its place
        self.assertIn(self.daemon.state_dir + ":ro,mode=0711", props["TemporaryFileSystem"])
        status = self.systemd.systemctl("status", "--no-pager", unit).stdout
        self.assertIn("shiftd-worker", status)

        t0 = time.monotonic()
        self.client.call(path, RUN, "Cancel")
        self.assertEqual(self.client.get(path, "State"), "cancelled")
        self.client.wait(lambda: not self.systemd.unit_active(unit), 2.0, "the unit to stop within 2 s")
        self.assertLess(time.monotonic() - t0, 2.0)
        self.client.wait(lambda: subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode != 0,
                         2.0, "no process of the run to survive")

    def test_shell_cannot_write_outside_its_sandbox(self):
        probe = "/usr/shiftd-probe-%d" % os.getpid()
        command = "touch %s; echo usr=$?; touch ./inside && echo workspace=ok" % probe
        self.standin.scenario("writer", [{"tool": "shell", "arguments": {"command": command}},
                                         {"echo_last_tool_result": True}])
        self.start(agents={"writer": SANDBOXED.format(scenario="writer")})
        name, path, state = self.run_to_end("scenario:writer", agent="writer")
        self.assertEqual(state, "done")
        result = self.client.get(path, "Result")
        self.assertIn("workspace=ok", result)
        self.assertRegex(result, r"usr=[1-9]")
        self.assertFalse(os.path.exists(probe))
        self.assertTrue(os.path.exists(os.path.join(self.agent_home("writer", "workspace"), "inside")))

    def test_memory_limit_is_a_clear_error(self):
        link = os.path.join(self.tmp, "hog")
        os.symlink(os.path.join(HERE, "fake-worker", "fake-worker.py"), link)
        self.start(agents={"hungry": "[Agent]\nInstructions=eat\n[Sandbox]\nMemoryMax=48M\n"}, worker=link)
        name, path, state = self.run_to_end("eat", agent="hungry", timeout=30)
        self.assertEqual(state, "failed")
        self.assertIn("killed: memory limit", self.client.get(path, "Error"))
        self.assertIn("MemoryMax=48M", self.client.get(path, "Error"))
        self.daemon_alive()

    def test_runtime_limit_is_a_clear_error(self):
        self.standin.scenario("hang", [{"hang": True}])
        self.start(agents={"brief": "[Agent]\nInstructions=scenario:hang\n[Sandbox]\nRuntimeMaxSec=1s\n"})
        name, path, state = self.run_to_end("scenario:hang", agent="brief", timeout=20)
        self.assertEqual(state, "failed")
        self.assertEqual(self.client.get(path, "Error"), "runtime limit reached (RuntimeMaxSec=1s)")

    def test_fixed_interval_timer_fires_again_and_again(self):
        self.standin.scenario("tick", [{"reply": "checked: all good"}])
        self.start(agents={"ticker": "[Agent]\nInstructions=scenario:tick\n[Schedule]\nEvery=1s\n"})
        agent = "/org/shiftd/Shift1/agent/ticker"
        timer = self.client.wait(lambda: self.client.get(agent, "Timer", AGENT), 5, "the agent's timer")
        # one name per agent, kept: list-timers shows when it last fired
        self.assertEqual(timer, "shiftd-agent-ticker.timer")
        self.assertIn(timer, self.systemd.systemctl("list-timers", "--all", "--no-pager").stdout)
        self.client.wait(lambda: len([r for r in self.client.list_runs(agent="ticker") if r[2] == "done"]) >= 3,
                         10, "three scheduled runs")
        self.assertEqual(self.client.get(agent, "Timer", AGENT), timer)
        last = self.systemd.show(timer, "LastTriggerUSec")["LastTriggerUSec"]
        self.assertNotIn(last, ("", "n/a", "0"), "the timer does not remember firing")
        listed = [line for line in self.systemd.systemctl("list-timers", "--no-pager").stdout.splitlines()
                  if timer in line]
        self.assertEqual(len(listed), 1)
        self.assertIn(" ago ", listed[0])  # PASSED
        runs = self.client.list_runs(agent="ticker")
        self.assertTrue(all(self.client.get(r[5], "Trigger") == "schedule" for r in runs))
        self.assertEqual(self.client.get(agent, "CurrentInterval", AGENT), 10**6)
        self.assertEqual(self.client.get(agent, "IdleStreak", AGENT), 0)

    def test_systemctl_stop_is_a_clear_error(self):
        self.standin.scenario("hang", [{"hang": True}])
        self.start()
        name, path = self.client.start_run("scenario:hang")
        self.client.wait(lambda: "model_call" in self.kinds(path), 15, "the model call")
        unit = self.client.get(path, "Unit")
        self.assertEqual(self.systemd.systemctl("stop", unit).returncode, 0)
        self.assertEqual(self.client.wait_final(path, 10), "failed")
        self.assertEqual(self.client.get(path, "Error"),
                         "the worker's unit %s was stopped from outside shiftd" % unit)

    def test_idle_backoff_re_arms_the_timer(self):
        self.standin.scenario("nothing", [{"tool": "no_work", "arguments": {"reason": "inbox empty"}}])
        self.start(agents={"idler": "[Agent]\nInstructions=scenario:nothing\n[Schedule]\nEvery=1s\n"
                                    "MaxInterval=4s\n"})
        agent = "/org/shiftd/Shift1/agent/idler"
        timer = self.client.wait(lambda: self.client.get(agent, "Timer", AGENT), 5, "the agent's timer")
        self.assertEqual(timer, "shiftd-agent-idler.timer")
        self.client.wait(lambda: self.client.get(agent, "CurrentInterval", AGENT) == 2 * 10**6, 10,
                         "the interval to double after an idle wake")
        # the same timer, made again for the new interval: accuracy follows it (interval / 50)
        self.client.wait(lambda: self.systemd.show(timer, "AccuracyUSec")["AccuracyUSec"] == "40ms", 5,
                         "the timer to be re-made for 2s")
        self.assertEqual(self.client.get(agent, "Timer", AGENT), timer)
        self.assertIn(timer, self.systemd.systemctl("list-timers", "--all", "--no-pager").stdout)

    def test_kill9_leftovers_are_stopped_and_the_run_resumes(self):
        self.standin.scenario("slow", [{"tool": "not_a_tool", "arguments": {}},
                                       {"tool": "finish", "arguments": {"result": "ok"}, "delay": 60}])
        self.start()
        name, path = self.client.start_run("scenario:slow")
        self.client.wait(lambda: self.kinds(path).count("model_call") == 2, 15, "the second model call")
        first_unit = self.client.get(path, "Unit")
        # a unit of ours that outlives the daemon, as a worker stuck in a syscall would
        ghost = "shiftd-run-ghost-2222-1"
        p = self.systemd.systemd_run("--unit=" + ghost, "sleep", "300")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.daemon.kill9()
        self.standin.scenario("slow", [{"tool": "not_a_tool", "arguments": {}},
                                       {"tool": "finish", "arguments": {"result": "ok"}}])
        self.daemon.start()
        self.client.wait(lambda: not self.systemd.unit_active(ghost + ".service"), 5, "the leftover unit to stop")
        self.assertEqual(self.client.wait_final(path, 30), "done")
        self.assertFalse(self.systemd.unit_active(first_unit))
        resumed = [json.loads(e[3]) for e in self.client.events(path) if e[2] == "resumed"]
        self.assertEqual(len(resumed), 1)
        self.assertEqual(resumed[0]["unit"], "shiftd-run-%s-2.service" % name)


if __name__ == "__main__":
    main()
