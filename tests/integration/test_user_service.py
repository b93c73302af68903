#!/usr/bin/python3
"""shiftd installed for one user, as systemd expects it, under a real
`systemd --user`: a `--prefix=$HOME/.local` install puts the user unit where
the manager finds it (~/.local/share/systemd/user) and the activation file
where the session bus does; the service starts, runs an agent on its timer
(one stable name, PartOf= the service), answers D-Bus activation; and
`systemctl --user stop shiftd` stops the agent's timer too, so nothing calls
the daemon back to life."""

import os
import shutil
import subprocess
import time

from harness import (AGENT, MANAGER, MANAGER_PATH, SOURCE, Client, Standin, SystemdSession, main, test_tmp_base,
                     wait_for)
import unittest

BASE = os.path.join(test_tmp_base(), "home-prefix-install")
HOME = os.path.join(BASE, "home")  # what SystemdSession(BASE) makes its HOME
PREFIX = os.path.join(HOME, ".local")
BUILD_HOME = os.path.join(BASE, "build")
TIMER = "shiftd-agent-ticker.timer"


def setUpModule():
    """A build configured for the home prefix (kept between runs, so only
    what changed is rebuilt), installed into it."""
    meson = shutil.which("meson")
    if meson is None:
        raise unittest.SkipTest("meson is not on PATH")
    os.makedirs(BASE, exist_ok=True)
    if not os.path.exists(os.path.join(BUILD_HOME, "build.ninja")):
        r = subprocess.run([meson, "setup", BUILD_HOME, SOURCE, "--prefix=" + PREFIX, "-Dman=disabled"],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise AssertionError("meson setup --prefix=%s failed:\n%s\n%s" % (PREFIX, r.stdout, r.stderr))
    shutil.rmtree(PREFIX, ignore_errors=True)
    r = subprocess.run([meson, "install", "-C", BUILD_HOME, "--quiet"], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError("meson install failed:\n%s\n%s" % (r.stdout, r.stderr))


class UserService(unittest.TestCase):
    def setUp(self):
        for d in (".config", os.path.join(".local", "state")):
            shutil.rmtree(os.path.join(HOME, d), ignore_errors=True)
        standin_dir = os.path.join(BASE, "standin")
        shutil.rmtree(standin_dir, ignore_errors=True)  # no port file of an earlier run
        os.makedirs(standin_dir)
        self.standin = Standin(standin_dir)
        self.addCleanup(self.standin.stop)
        self.standin.scenario("tick", [{"reply": "all quiet"}])
        conf = os.path.join(HOME, ".config", "shiftd")
        os.makedirs(os.path.join(conf, "agents.d"))
        with open(os.path.join(conf, "shiftd.conf"), "w") as f:
            f.write("[Model]\nBaseURL=%s\nRetryDelay=100ms\n" % self.standin.url)
        with open(os.path.join(conf, "agents.d", "ticker.agent"), "w") as f:
            f.write("[Agent]\nInstructions=scenario:tick\n[Schedule]\nEvery=2s\n")
        self.session = SystemdSession(BASE)
        self.addCleanup(self.session.stop)
        self.client = Client(self.session)

    def unit(self):
        return self.session.show("shiftd.service", "ActiveState", "NRestarts", "FragmentPath")

    def test_installed_in_home_started_and_stopped_with_its_timers(self):
        # where systemd and the session bus look for a user's own units and services
        self.assertTrue(os.path.isfile(os.path.join(PREFIX, "share", "systemd", "user", "shiftd.service")))
        self.assertTrue(os.path.isfile(os.path.join(PREFIX, "share", "dbus-1", "services",
                                                    "org.shiftd.Shift1.service")))
        r = self.session.systemctl("start", "shiftd.service")
        self.assertEqual(r.returncode, 0, r.stderr + self.session.systemctl("status", "--no-pager",
                                                                            "shiftd.service").stdout)
        u = self.unit()
        self.assertEqual(u["ActiveState"], "active", u)
        self.assertEqual(u["FragmentPath"], os.path.join(PREFIX, "share", "systemd", "user", "shiftd.service"))
        self.assertEqual(self.client.get(MANAGER_PATH, "Backend", MANAGER), "systemd")

        agent = "/org/shiftd/Shift1/agent/ticker"
        self.client.wait(lambda: self.client.get(agent, "Timer", AGENT) == TIMER, 10, "the agent's timer")
        self.assertEqual(self.session.show(TIMER, "PartOf")["PartOf"], "shiftd.service")
        self.client.wait(lambda: any(r[2] == "done" for r in self.client.list_runs(agent="ticker")), 15,
                         "a scheduled run")

        r = self.session.systemctl("stop", "shiftd.service")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotEqual(self.session.show(TIMER, "ActiveState")["ActiveState"], "active")
        self.assertNotIn(TIMER, self.session.systemctl("list-timers", "--all", "--no-pager").stdout)
        # two and a half Every= periods: no timer calls the daemon back (nothing to wait on)
        time.sleep(5)
        u = self.unit()
        self.assertEqual((u["ActiveState"], u["NRestarts"]), ("inactive", "0"), u)

        # D-Bus activation from the session bus's service dir under ~/.local
        self.assertEqual(self.client.get(MANAGER_PATH, "Mode", MANAGER), "user")
        wait_for(lambda: self.unit()["ActiveState"] == "active", 10, "the activated service")


if __name__ == "__main__":
    main()
