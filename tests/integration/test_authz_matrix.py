#!/usr/bin/python3
"""Who may do what: every method against every kind of caller, on a private
system-like bus with the polkitd mock, in --system mode and in user mode.

Callers: the owner (nobody, 65534: it started the runs, and is the standing
agent's User=), another uid (bin, 2), root, a StartBy=/AnswerBy= member
(daemon, 1), and another uid again while polkit grants every action, and while
polkit denies them all. The matrix below is the contract; each cell is one
real call, made as that uid (setpriv) over one connection per caller."""

from harness import AGENT, MANAGER, MANAGER_PATH, RUN, ShiftdTestCase, calls_as, main

OWNER, OTHER, ROOT, MEMBER = 65534, 2, 0, 1
DENIED = "org.shiftd.Shift1.Error.AccessDenied"
ACTIONS = ["org.shiftd.Shift1.answer", "org.shiftd.Shift1.cancel-foreign", "org.shiftd.Shift1.read-foreign",
           "org.shiftd.Shift1.manage-agents", "org.shiftd.Shift1.start-agent"]
AGENT_PATH = "/org/shiftd/Shift1/agent/asker"
PROPS = "org.freedesktop.DBus.Properties"

# caller -> the operations it may do; everything else must be AccessDenied
# (or, for what reads content, come back empty).
EVERYONE = {"start_default", "list_agents", "get_run", "introspect", "state"}
ALLOWED = {
    "owner": EVERYONE | {"start_agent", "trigger", "agent_trigger", "read", "events", "list_sees", "answer",
                         "cancel"},
    "other": EVERYONE,
    "root": EVERYONE | {"start_agent", "trigger", "agent_trigger", "set_enabled", "reload", "wake", "path_changed",
                        "read", "events", "list_sees", "answer", "cancel"},
    "member": EVERYONE | {"start_agent", "trigger", "agent_trigger", "read", "events", "list_sees", "answer"},
    "granted": EVERYONE | {"start_agent", "trigger", "agent_trigger", "set_enabled", "reload", "wake",
                           "path_changed", "read", "events", "list_sees", "answer", "cancel"},
    "denied": EVERYONE,
}
CALLERS = {"owner": OWNER, "other": OTHER, "root": ROOT, "member": MEMBER, "granted": OTHER, "denied": OTHER}


class Matrix(ShiftdTestCase):
    start_daemon = False
    system = True
    agents = {"asker": "[Agent]\nInstructions=scenario:ask\n[Schedule]\nStartBy=daemon\n"
                       "[Sandbox]\nUser=nobody\n[Decisions]\nAnswerBy=daemon\n"}

    def setUp(self):
        super().setUp()
        if self.systemd:
            self.skipTest("who may do what does not depend on the backend")
        self.use_system_bus()
        self.standin.scenario("ask", [{"tool": "ask_human", "arguments": {"question": "Ship it?",
                                                                           "choices": ["ship", "hold"]}},
                                      {"echo_last_tool_result": True}])
        self.daemon = self.new_daemon(system=self.system)
        self.daemon.start()
        self.assertEqual(self.client.get(MANAGER_PATH, "Mode", MANAGER), "system" if self.system else "user")

    def waiting_run(self):
        """A run of the standing agent, started by its owner, waiting for an answer."""
        r = calls_as(OWNER, self.sysbus.address, [(MANAGER_PATH, MANAGER, "StartRun", "ssa{sv}",
                                                   ["asker", "scenario:ask", {}])])[0]
        self.assertIn("result", r, r)
        name, path = r["result"]
        self.client.wait_state(path, "waiting")
        return name, path

    def operations(self, read, answer, cancel):
        """name -> (call, how to tell it was allowed)"""
        ok = lambda r: "result" in r  # noqa: E731
        return {
            "start_default": ((MANAGER_PATH, MANAGER, "StartRun", "ssa{sv}", ["", "scenario:ask", {}]), ok),
            "start_agent": ((MANAGER_PATH, MANAGER, "StartRun", "ssa{sv}", ["asker", "scenario:ask", {}]), ok),
            "trigger": ((MANAGER_PATH, MANAGER, "TriggerAgent", "s", ["asker"]), ok),
            "agent_trigger": ((AGENT_PATH, AGENT, "Trigger", "", []), ok),
            "set_enabled": ((AGENT_PATH, AGENT, "SetEnabled", "b", [True]), ok),
            "reload": ((MANAGER_PATH, MANAGER, "Reload", "", []), ok),
            "wake": ((MANAGER_PATH, "org.shiftd.Shift1.Scheduler", "Wake", "s", ["asker"]), ok),
            "path_changed": ((MANAGER_PATH, "org.shiftd.Shift1.Scheduler", "PathChanged", "s", ["asker"]), ok),
            "list_agents": ((MANAGER_PATH, MANAGER, "ListAgents", "", []), ok),
            "get_run": ((MANAGER_PATH, MANAGER, "GetRun", "s", [read[0]]), ok),
            "introspect": ((read[1], "org.freedesktop.DBus.Introspectable", "Introspect", "", []), ok),
            "state": ((read[1], PROPS, "Get", "ss", [RUN, "State"]), lambda r: r.get("result") == ["waiting"]),
            # content: GetEvents asks polkit (read-foreign) and remembers a grant for the connection...
            "events": ((read[1], RUN, "GetEvents", "uu", [1, 0]), ok),
            # ...which property reads (never asking polkit themselves) then honour
            "read": ((read[1], PROPS, "Get", "ss", [RUN, "Question"]), lambda r: r.get("result") == ["Ship it?"]),
            "list_sees": ((MANAGER_PATH, MANAGER, "ListRuns", "a{sv}", [{}]),
                          lambda r: read[0] in [row[0] for row in r.get("result", [[]])[0]]),
            "answer": ((answer[1], RUN, "Answer", "s", ["hold"]), ok),
            "cancel": ((cancel[1], RUN, "Cancel", "", []), ok),
        }

    def check(self, who):
        read, answer, cancel = self.waiting_run(), self.waiting_run(), self.waiting_run()
        ops = self.operations(read, answer, cancel)
        names = list(ops)
        results = calls_as(CALLERS[who], self.sysbus.address, [ops[n][0] for n in names])
        wrong = []
        for name, result in zip(names, results):
            allowed = ops[name][1](result)
            expected = name in ALLOWED[who]
            if allowed != expected:
                wrong.append("%s %s: expected %s, got %r" % (who, name, "allowed" if expected else "refused", result))
            # a refused call is AccessDenied with a sentence, not some other failure
            if not expected and "error" in result:
                self.assertEqual(result["error"], DENIED, "%s %s: %r" % (who, name, result))
                self.assertIn("may not", result["message"])
        self.assertEqual(wrong, [])
        # the refused ones changed nothing
        if "answer" not in ALLOWED[who]:
            self.assertEqual(self.client.get(answer[1], "State"), "waiting")
        if "cancel" not in ALLOWED[who]:
            self.assertEqual(self.client.get(cancel[1], "State"), "waiting")
        else:
            self.assertEqual(self.client.get(cancel[1], "State"), "cancelled")
        if "set_enabled" not in ALLOWED[who]:
            self.assertTrue(self.client.get(AGENT_PATH, "Enabled", AGENT))

    def test_without_polkit(self):
        for who in ("owner", "other", "root", "member"):
            with self.subTest(who=who):
                self.check(who)

    def test_polkit_grants(self):
        self.set_polkit(ACTIONS)
        self.check("granted")

    def test_polkit_denies(self):
        self.set_polkit([])
        self.check("denied")
        # and says so
        r = calls_as(OTHER, self.sysbus.address, [(MANAGER_PATH, MANAGER, "TriggerAgent", "s", ["asker"])])[0]
        self.assertIn("polkit says no", r["message"])


class UserModeMatrix(Matrix):
    """The same rules hold for a user-mode daemon on a bus other uids reach
    (shiftd's own user, root here, is its owner)."""
    system = False


if __name__ == "__main__":
    main()
