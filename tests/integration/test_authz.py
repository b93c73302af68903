#!/usr/bin/python3
"""Who may do what, on a private system-like bus with callers of other uids
(setpriv): the owner, root, AnswerBy=, and polkit (python-dbusmock's polkitd
template) granting or denying each action."""

import json
import os
import subprocess
import sys

from harness import (AGENT, MANAGER, MANAGER_PATH, RUN, ShiftdTestCase, main)

HERE = os.path.dirname(os.path.abspath(__file__))
OWNER = 65534   # "nobody"
OTHER = 2       # "bin": another ordinary user (the bus wants uids with a name)
DENIED = "org.shiftd.Shift1.Error.AccessDenied"


class Authz(ShiftdTestCase):
    start_daemon = False
    agents = {
        "asker": "[Agent]\nInstructions=scenario:ask\n[Decisions]\nAnswerBy=nobody\n",
        "grouped": "[Agent]\nInstructions=scenario:ask\n[Decisions]\nAnswerBy=@nogroup\n",
        "ticker": "[Agent]\nInstructions=scenario:ask\n[Schedule]\nEvery=1h\n",
    }

    def setUp(self):
        super().setUp()
        self.use_system_bus()
        self.standin.scenario("ask", [{"tool": "ask_human", "arguments": {"question": "Ship it?",
                                                                           "choices": ["ship", "hold"]}},
                                      {"echo_last_tool_result": True}])
        self.daemon = self.new_daemon(system=True)
        self.daemon.start()
        self.assertEqual(self.client.get(MANAGER_PATH, "Mode", MANAGER), "system")

    def call_as(self, uid, path, iface, method, signature="", args=()):
        p = subprocess.run(["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups",
                            sys.executable, os.path.join(HERE, "bus-call.py"), self.sysbus.address, path, iface,
                            method, signature, json.dumps(list(args))],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def start_as(self, uid, task="scenario:ask", agent=""):
        r = self.call_as(uid, MANAGER_PATH, MANAGER, "StartRun", "ssa{sv}", [agent, task, {}])
        self.assertIn("result", r, r)
        return r["result"]

    def get_as(self, uid, path, prop):
        r = self.call_as(uid, path, "org.freedesktop.DBus.Properties", "Get", "ss", [RUN, prop])
        return r["result"][0]

    def assert_denied(self, r, fragment=None):
        self.assertEqual(r.get("error"), DENIED, r)
        if fragment:
            self.assertIn(fragment, r["message"])

    def waiting_run_of(self, uid):
        name, path = self.start_as(uid)
        self.client.wait_state(path, "waiting")
        return name, path

    def test_owner_may_everything_others_nothing(self):
        name, path = self.waiting_run_of(OWNER)
        self.assertEqual(self.client.get(path, "Owner"), OWNER)
        # another uid: refused everything, sees no content
        for method, sig, args in (("Answer", "s", ["ship"]), ("Cancel", "", []), ("GetEvents", "uu", [1, 0])):
            self.assert_denied(self.call_as(OTHER, path, RUN, method, sig, args), "polkit is not running")
        for prop in ("Task", "Result", "Question", "Error", "Summary"):
            value = self.get_as(OTHER, path, prop)
            self.assertNotIn("scenario:ask", value)
            self.assertNotIn("Ship it?", value)
        self.assertEqual(self.get_as(OTHER, path, "Choices"), [])
        self.assertEqual(self.get_as(OTHER, path, "State"), "waiting")  # not content
        listed = self.call_as(OTHER, MANAGER_PATH, MANAGER, "ListRuns", "a{sv}", [{}])["result"][0]
        self.assertEqual(listed, [])
        # the owner may read and answer
        self.assertEqual(self.get_as(OWNER, path, "Task"), "scenario:ask")
        self.assertEqual(self.get_as(OWNER, path, "Question"), "Ship it?")
        self.assertIn("result", self.call_as(OWNER, path, RUN, "GetEvents", "uu", [1, 0]))
        self.assertEqual([r[0] for r in self.call_as(OWNER, MANAGER_PATH, MANAGER, "ListRuns", "a{sv}",
                                                     [{}])["result"][0]], [name])
        self.assertEqual(self.call_as(OWNER, path, RUN, "Answer", "s", ["ship"]), {"result": []})
        self.assertEqual(self.client.wait_final(path), "done")
        answered = [json.loads(e[3]) for e in self.client.events(path) if e[2] == "answered"]
        self.assertEqual(answered[0]["by"], "uid %d" % OWNER)
        # root may everything
        self.assertEqual(self.client.get(path, "Result"), "ship")
        # refusals and answers are logged with the uid
        log = self.daemon.log()
        self.assertIn("uid %d may not answer run %s" % (OTHER, name), log)
        self.assertIn("answered \"ship\" by uid %d" % OWNER, log)
        # Event signals on the system bus carry no content
        self.assertTrue(self.client.events(path))

    def test_polkit_grants_flip_each_action(self):
        self.set_polkit([])
        name, path = self.waiting_run_of(OWNER)
        # answer
        self.assert_denied(self.call_as(OTHER, path, RUN, "Answer", "s", ["ship"]), "polkit says no")
        self.set_polkit(["org.shiftd.Shift1.answer"])
        self.assertEqual(self.call_as(OTHER, path, RUN, "Answer", "s", ["hold"]), {"result": []})
        self.assertEqual(self.client.wait_final(path), "done")
        # read-foreign
        self.set_polkit([])
        self.assert_denied(self.call_as(OTHER, path, RUN, "GetEvents", "uu", [1, 0]))
        self.set_polkit(["org.shiftd.Shift1.read-foreign"])
        self.assertIn("result", self.call_as(OTHER, path, RUN, "GetEvents", "uu", [1, 0]))
        listed = self.call_as(OTHER, MANAGER_PATH, MANAGER, "ListRuns", "a{sv}", [{}])["result"][0]
        self.assertEqual([r[0] for r in listed], [name])
        # cancel-foreign
        self.set_polkit([])
        name2, path2 = self.waiting_run_of(OWNER)
        self.assert_denied(self.call_as(OTHER, path2, RUN, "Cancel"))
        self.set_polkit(["org.shiftd.Shift1.cancel-foreign"])
        self.assertEqual(self.call_as(OTHER, path2, RUN, "Cancel"), {"result": []})
        self.assertEqual(self.client.get(path2, "State"), "cancelled")
        # manage-agents
        self.set_polkit([])
        agent = "/org/shiftd/Shift1/agent/ticker"
        self.assert_denied(self.call_as(OWNER, agent, AGENT, "SetEnabled", "b", [False]))
        self.assert_denied(self.call_as(OWNER, MANAGER_PATH, MANAGER, "Reload"))
        self.assert_denied(self.call_as(OWNER, MANAGER_PATH, MANAGER, "TriggerAgent", "s", ["ticker"]))
        self.assertTrue(self.client.get(agent, "Enabled", AGENT))
        self.set_polkit(["org.shiftd.Shift1.manage-agents"])
        self.assertEqual(self.call_as(OWNER, agent, AGENT, "SetEnabled", "b", [False]), {"result": []})
        self.assertFalse(self.client.get(agent, "Enabled", AGENT))
        self.assertEqual(self.call_as(OWNER, MANAGER_PATH, MANAGER, "Reload"), {"result": []})

    def test_the_installed_policy_declares_every_action_asked(self):
        import re
        import xml.etree.ElementTree as ET
        source = os.path.join(os.environ.get("SHIFTD_SOURCE_ROOT", os.path.join(HERE, "..", "..")))
        policy = ET.parse(os.path.join(source, "data", "org.shiftd.Shift1.policy.in")).getroot()
        declared = {a.get("id") for a in policy.findall("action")}
        with open(os.path.join(source, "src", "daemon", "access.c")) as f:
            asked = set(re.findall(r'"(org\.shiftd\.Shift1\.[a-z-]+)"', f.read()))
        self.assertEqual(declared, asked)
        self.assertEqual(asked, {"org.shiftd.Shift1.answer", "org.shiftd.Shift1.cancel-foreign",
                                 "org.shiftd.Shift1.read-foreign", "org.shiftd.Shift1.manage-agents",
                                 "org.shiftd.Shift1.start-agent"})

    def test_answer_by_names_users_and_groups(self):
        # standing agents' runs are root's (no User=): only AnswerBy opens them
        name, path = self.client.manager("TriggerAgent", "s", ("asker",))
        self.client.wait_state(path, "waiting")
        self.assertEqual(self.client.get(path, "Owner"), 0)
        self.assert_denied(self.call_as(OTHER, path, RUN, "Answer", "s", ["ship"]))
        self.assertEqual(self.get_as(OWNER, path, "Question"), "Ship it?")
        self.assertEqual(self.call_as(OWNER, path, RUN, "Answer", "s", ["ship"]), {"result": []})
        self.assertEqual(self.client.wait_final(path), "done")
        self.assert_denied(self.call_as(OWNER, path, RUN, "Cancel"))  # AnswerBy is not cancel

        name, path = self.client.manager("TriggerAgent", "s", ("grouped",))
        self.client.wait_state(path, "waiting")
        self.assert_denied(self.call_as(OTHER, path, RUN, "Answer", "s", ["ship"]))
        self.assertEqual(self.call_as(OWNER, path, RUN, "Answer", "s", ["hold"]), {"result": []})
        self.assertEqual(self.client.wait_final(path), "done")


if __name__ == "__main__":
    main()
