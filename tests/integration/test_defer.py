#!/usr/bin/python3
"""Wakes that wait for power and network: OnBattery=, OnMetered=,
PowerSaver= and MaxDefer= against python-dbusmock's upower, networkmanager
and power_profiles_daemon templates on a private system bus (one dbusmock
process per template, each stopped by PID), and a suspend told by the
logind template. The held wake (Deferred says why, no run), the property
flipped back (the wake runs at once, Trigger schedule, with a note saying how
long it was held and why), MaxDefer= expiring while the condition still holds,
a manual trigger while held, services absent (not holding, said once in the
log, followed once they appear), and the wake missed during a suspend."""

import json
import os
import re
import sqlite3
import time

from harness import AGENT, GLib, Process, PrivateBus, ShiftdTestCase, main, wait_for

MOCK = "org.freedesktop.DBus.Mock"
UPOWER = ("org.freedesktop.UPower", "/org/freedesktop/UPower", "org.freedesktop.UPower")
NM = ("org.freedesktop.NetworkManager", "/org/freedesktop/NetworkManager", "org.freedesktop.NetworkManager")
PPD = ("net.hadess.PowerProfiles", "/net/hadess/PowerProfiles", "net.hadess.PowerProfiles")
LOGIND = ("org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager")
S = 10**6
TEMPLATES = {"upower": UPOWER, "networkmanager": NM, "power_profiles_daemon": PPD, "logind": LOGIND}


def agent_path(name):
    return "/org/shiftd/Shift1/agent/" + name


def agent_file(**schedule):
    keys = {"Every": "1s"}
    keys.update(schedule)
    return "[Agent]\nInstructions=scenario:ok\n[Schedule]\n" + "".join("%s=%s\n" % kv for kv in keys.items())


class Defer(ShiftdTestCase):
    start_daemon = False

    def setUp(self):
        super().setUp()
        self.standin.scenario("ok", [{"reply": "fine"}])
        self.sysbus = PrivateBus(self._subdir("sysbus"), system_like=True)
        self.addCleanup(self.sysbus.stop)
        self.deferred_changes = {}

    def mock(self, template, params=None):
        """A dbusmock process of its own for one template, on the private system bus."""
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.sysbus.address)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        argv = ["/usr/bin/python3", "-m", "dbusmock", "--system", "--template", template]
        if params:
            argv += ["-p", json.dumps(params)]
        proc = Process(argv, log_path=os.path.join(self.tmp, "dbusmock-%s.log" % template), env=env)
        self.addCleanup(proc.stop)
        name = TEMPLATES[template][0]
        wait_for(lambda: not proc.alive() or self.sysbus.has_owner(name), 15, "dbusmock's %s to own %s" % (
            template, name))
        self.assertTrue(proc.alive(), "dbusmock %s failed:\n%s" % (template, proc.log()))
        return proc

    def mock_call(self, service, method, signature, args, path=None):
        name, main_path, _ = service
        self.sysbus.conn.call_sync(name, path or main_path, MOCK, method, GLib.Variant(signature, args), None, 0,
                                   5000, None)

    def set_property(self, service, prop, value):
        """UpdateProperties: sets it and emits PropertiesChanged, as the service would."""
        self.mock_call(service, "UpdateProperties", "(sa{sv})", (service[2], {prop: value}))

    def start(self, agents):
        self.daemon = self.new_daemon(agents=agents, env={"DBUS_SYSTEM_BUS_ADDRESS": self.sysbus.address})
        self.daemon.start()
        for name in agents:
            self.deferred_changes[name] = []
            self.client.subscribe(
                lambda p, i, m, a, name=name: "Deferred" in a[1] and self.deferred_changes[name].append(
                    a[1]["Deferred"]), path=agent_path(name), iface="org.freedesktop.DBus.Properties",
                member="PropertiesChanged")

    def aget(self, agent, prop):
        return self.client.get(agent_path(agent), prop, AGENT)

    def runs_of(self, agent, trigger=None):
        runs = self.client.list_runs(agent=agent)
        return [r for r in runs if trigger is None or self.client.get(r[5], "Trigger") == trigger]

    def notes(self, path):
        return [json.loads(e[3])["text"] for e in self.client.events(path) if e[2] == "note"]

    def wait_deferred(self, agent, text, timeout=10):
        self.client.wait(lambda: self.aget(agent, "Deferred") == text, timeout,
                         "Deferred of %s to be %r (it is %r)" % (agent, text, self.aget(agent, "Deferred")))
        # announced, not only readable
        self.client.wait(lambda: text in self.deferred_changes[agent], 5, "PropertiesChanged with Deferred %r" % text)

    def wait_scheduled_run(self, agent, timeout=10):
        run = self.client.wait(lambda: next(iter(self.runs_of(agent, "schedule")), None), timeout,
                               "a scheduled run of %s" % agent)
        self.assertEqual(self.client.wait_final(run[5]), "done")
        return run

    def wait_first_note(self, run, pattern):
        # the note is its own change, durable a moment after the receipt
        notes = self.client.wait(lambda: self.notes(run[5]), 5, "a note on %s" % run[0])
        self.assertRegex(notes[0], pattern)
        return notes

    def test_each_condition_holds_the_wake_until_it_ends_or_max_defer(self):
        self.mock("upower", {"OnBattery": True})
        self.mock("networkmanager")
        # the template has no Metered: added as the real NetworkManager has it, metered (NM_METERED_YES)
        self.mock_call(NM, "AddProperty", "(ssv)", (NM[2], "Metered", GLib.Variant("u", 1)))
        self.mock("power_profiles_daemon", {"ActiveProfile": "power-saver"})
        self.start({
            "battery": agent_file(OnBattery="defer", MaxDefer="1h"),
            "metered": agent_file(OnMetered="defer", MaxDefer="1h"),
            "saver": agent_file(PowerSaver="defer", MaxDefer="1h"),
            "battery-max": agent_file(OnBattery="defer", MaxDefer="2s"),
            "metered-max": agent_file(OnMetered="defer", MaxDefer="2s"),
            "saver-max": agent_file(PowerSaver="defer", MaxDefer="2s"),
            "both": agent_file(OnBattery="defer", PowerSaver="defer", MaxDefer="1h"),
            "careless": agent_file(OnBattery="run", OnMetered="run"),
        })
        words = {"battery": "on battery", "metered": "on a metered connection", "saver": "in power-saver mode"}
        for agent, why in words.items():
            self.wait_deferred(agent, why)
        self.wait_deferred("both", "on battery, in power-saver mode")
        # an agent without the keys is not held
        self.wait_scheduled_run("careless")
        self.assertEqual(self.aget("careless", "Deferred"), "")

        # MaxDefer=2s: the wake runs while its condition still holds, saying so
        for agent, why in words.items():
            run = self.wait_scheduled_run(agent + "-max")
            self.wait_first_note(run, r"^held [0-9]+s: %s; MaxDefer=2s reached$" % why)

        # none of them ran: each is held, due for a while
        for agent in list(words) + ["both"]:
            self.assertEqual(self.runs_of(agent, "schedule"), [], agent)
            self.assertLess(self.aget(agent, "NextWakeAt"), GLib.get_real_time())

        # a manual trigger runs whatever holds, and the scheduled wake stays held
        name, path = self.client.call(agent_path("saver"), AGENT, "Trigger")
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Trigger"), "manual")
        self.assertEqual(self.aget("saver", "Deferred"), "in power-saver mode")

        # each condition ends: its wake runs at once, with the note saying how long and why
        flips = [("battery", UPOWER, "OnBattery", GLib.Variant("b", False)),
                 ("metered", NM, "Metered", GLib.Variant("u", 2)),  # NM_METERED_NO
                 ("saver", PPD, "ActiveProfile", GLib.Variant("s", "balanced"))]
        for agent, service, prop, value in flips:
            others = [a for a in words if a != agent and not self.runs_of(a, "schedule")]
            self.set_property(service, prop, value)
            run = self.wait_scheduled_run(agent, 5)
            self.wait_first_note(run, r"^held [0-9][0-9a-z ]*: %s$" % words[agent])
            self.client.wait(lambda: self.aget(agent, "Deferred") == "", 5, "Deferred of %s to clear" % agent)
            self.assertEqual(self.deferred_changes[agent][-1], "")
            # one flip lets go only the wakes it held
            for other in others:
                self.assertEqual(self.aget(other, "Deferred"), words[other])
            if agent == "battery":
                # held on by the other of its two conditions
                self.wait_deferred("both", "in power-saver mode")
                self.assertEqual(self.runs_of("both", "schedule"), [])
        run = self.wait_scheduled_run("both", 5)
        self.wait_first_note(run, r"^held [0-9][0-9a-z ]*: on battery, in power-saver mode$")
        # and with nothing holding, wakes run on their own again
        self.client.wait(lambda: len(self.runs_of("battery", "schedule")) >= 2, 5, "the next wake of battery")
        self.assertEqual(self.notes(self.runs_of("battery", "schedule")[1][5]), [])

    def test_a_path_wake_is_held_too(self):
        self.mock("upower", {"OnBattery": True})
        inbox = self._subdir("inbox")
        self.start({"watcher": "[Agent]\nInstructions=scenario:ok\n[Schedule]\nWatchPath=%s\n"
                               "OnBattery=defer\nMaxDefer=1h\n" % inbox})
        # the watch is armed once the agent is published; a change is one wake, held
        self.client.wait(lambda: "watch" in self.aget("watcher", "Schedule"), 10, "the watch to be armed")
        with open(os.path.join(inbox, "mail"), "w") as f:
            f.write("news\n")
        self.wait_deferred("watcher", "on battery")
        self.assertEqual(self.runs_of("watcher"), [])
        self.set_property(UPOWER, "OnBattery", GLib.Variant("b", False))
        run = self.client.wait(lambda: next(iter(self.runs_of("watcher", "watch")), None), 5,
                               "the held path wake to run")
        self.assertEqual(self.client.wait_final(run[5]), "done")
        self.wait_first_note(run, r"^held [0-9][0-9a-z ]*: on battery$")
        self.client.wait(lambda: self.aget("watcher", "Deferred") == "", 5, "Deferred to clear")
        self.assertEqual(len(self.runs_of("watcher")), 1)

    def test_absent_services_do_not_hold_and_are_followed_when_they_come(self):
        self.start({"nomad": agent_file(OnBattery="defer", OnMetered="defer", PowerSaver="defer")})
        run = self.wait_scheduled_run("nomad")
        self.assertEqual(self.notes(run[5]), [])
        self.assertEqual(self.aget("nomad", "Deferred"), "")
        for service, key in (("UPower", "OnBattery"), ("NetworkManager", "OnMetered"),
                             ("power-profiles-daemon", "PowerSaver")):
            line = "%s is not on the system bus: %s=defer counts as not holding" % (service, key)
            self.client.wait(lambda: line in self.daemon.log(), 5, "the log to say " + line)
        # UPower appears, on battery: followed without a restart
        self.mock("upower", {"OnBattery": True})
        self.wait_deferred("nomad", "on battery")
        count = len(self.runs_of("nomad", "schedule"))
        # and leaves: absent counts as not holding, and the held wake runs
        self._stop_mock("org.freedesktop.UPower")
        self.client.wait(lambda: len(self.runs_of("nomad", "schedule")) > count, 5, "the held wake to run")
        self.client.wait(lambda: self.aget("nomad", "Deferred") == "", 5, "Deferred to clear")
        log = self.daemon.log()
        # said once per absence: at start, and when UPower left
        self.assertEqual(log.count("UPower is not on the system bus"), 2, log[-3000:])
        self.assertEqual(log.count("NetworkManager is not on the system bus"), 1)
        self.assertEqual(log.count("power-profiles-daemon is not on the system bus"), 1)

    def test_wake_missed_while_down_is_held_after_the_restart(self):
        self.mock("upower", {"OnBattery": True})
        # an hour apart: only the missed wake comes during the test
        self.start({"late": agent_file(Every="1h", OnBattery="defer")})
        self.client.wait(lambda: self.aget("late", "NextWakeAt") > 0, 5, "the first wake to be armed")
        self.assertEqual(self.daemon.stop(), 0)
        due = (int(time.time()) - 60) * S
        db = sqlite3.connect(os.path.join(self.daemon.state_dir, "shiftd.db"))
        try:
            with db:
                self.assertEqual(db.execute("UPDATE agents SET next_wake = ? WHERE name = 'late'", (due,)).rowcount, 1)
        finally:
            db.close()
        self.daemon.start()
        # the missed wake waits for UPower's answer, and then for the battery
        self.wait_deferred("late", "on battery")
        self.assertEqual(self.runs_of("late"), [])
        self.set_property(UPOWER, "OnBattery", GLib.Variant("b", False))
        run = self.wait_scheduled_run("late", 5)
        notes = self.client.wait(lambda: len(self.notes(run[5])) >= 2 and self.notes(run[5]), 5, "two notes")
        # held from when it was due, a minute before the restart
        self.assertRegex(notes[0], r"^held 1min( [0-9]+s)?: on battery$")
        self.assertEqual(notes[1], "this wake was due at %s, while shiftd was not running" % time.strftime(
            "%Y-%m-%d %H:%M:%S", time.localtime(due // S)))

    def _stop_mock(self, name):
        """Stops the dbusmock process that owns name, by PID."""
        pid = self.sysbus.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                         "GetConnectionUnixProcessID", GLib.Variant("(s)", (name,)),
                                         GLib.VariantType("(u)"), 0, 5000, None).unpack()[0]
        os.kill(pid, 15)
        wait_for(lambda: not self.sysbus.has_owner(name), 10, "%s to leave the bus" % name)

    def test_wake_missed_during_suspend_runs_once_on_resume(self):
        self.mock("logind")
        self.start({"sleeper": agent_file(Every="3s")})
        # the daemon follows the system bus once it has looked for the services
        self.client.wait(lambda: "UPower is not on the system bus" in self.daemon.log(), 5,
                         "shiftd to follow the system bus")
        before = len(self.runs_of("sleeper"))  # 0 unless this machine is very slow
        self.mock_call(LOGIND, "EmitSignal", "(sssav)", (LOGIND[2], "PrepareForSleep", "b",
                                                          [GLib.Variant("b", True)]))
        # the wake falls due while the machine is going to sleep: nothing runs
        self.client.wait(lambda: "schedule wake held: the machine is going to sleep" in self.daemon.log(), 10,
                         "the wake to be held for the sleep")
        self.assertEqual(len(self.runs_of("sleeper")), before)
        self.assertEqual(self.aget("sleeper", "Deferred"), "")
        resumed = time.time()
        self.mock_call(LOGIND, "EmitSignal", "(sssav)", (LOGIND[2], "PrepareForSleep", "b",
                                                          [GLib.Variant("b", False)]))
        run = self.client.wait(lambda: len(self.runs_of("sleeper")) > before and self.runs_of("sleeper")[before], 5,
                               "the wake on resume")
        self.assertEqual(self.client.wait_final(run[5]), "done")
        self.assertEqual(self.client.get(run[5], "Trigger"), "schedule")
        notes = self.wait_first_note(run, r"^this wake was due at [0-9-]+ [0-9:]+, while the machine was suspended$")
        due = time.mktime(time.strptime(re.search(r"due at (\S+ [0-9:]+)", notes[0]).group(1), "%Y-%m-%d %H:%M:%S"))
        self.assertLessEqual(due, resumed)
        # once: the next wake is an ordinary one, an interval after
        self.client.wait(lambda: len(self.runs_of("sleeper")) >= before + 2, 10, "the next wake")
        later = self.runs_of("sleeper")[before + 1]
        self.client.wait_final(later[5])
        self.assertEqual(self.notes(later[5]), [])
        self.assertEqual(sum(1 for r in self.runs_of("sleeper")
                             for n in self.notes(r[5]) if "suspended" in n), 1)


if __name__ == "__main__":
    main()
