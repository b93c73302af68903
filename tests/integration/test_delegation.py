#!/usr/bin/python3
"""Runs that start runs: Delegates= and the start_run tool, with and without
waiting, across kill -9, cancels down the tree, and the tree's bounds."""

import json
import os
import subprocess
import sys
import unittest

from harness import BACKEND, MANAGER, MANAGER_PATH, RUN, SHIFTCTL, ShiftdTestCase, main

HERE = os.path.dirname(os.path.abspath(__file__))
NOBODY = 65534  # a uid other than the daemon's, whose primary group is nogroup

ECHO = {"echo_last_tool_result": True}
ROOT = "/"


def start(agent, task, wait):
    return {"name": "start_run", "arguments": {"agent": agent, "task": task, "wait": wait}}


def step(agent, task, wait):
    return {"tool": "start_run", "arguments": {"agent": agent, "task": task, "wait": wait}}


class Delegation(ShiftdTestCase):
    agents = {
        "lead": "[Agent]\nDescription=hands work on\nDelegates=writer ghost\n",
        "writer": "[Agent]\nDescription=writes\n",
        "chain": "[Agent]\nDescription=hands work to itself\nDelegates=chain\n",
    }

    def path_of(self, name):
        return self.client.manager("GetRun", "s", (name,))[0]

    def children(self, path):
        return self.client.get(path, "Children")

    def only_child(self, path):
        self.client.wait(lambda: self.children(path), 15, "a child run of %s" % path)
        kids = self.children(path)
        self.assertEqual(len(kids), 1)
        return kids[0]

    def test_start_without_waiting(self):
        self.standin.scenario("child-quick", [{"tool": "finish", "arguments": {"result": "draft written"}}])
        self.standin.scenario("fire", [step("writer", "Write it. scenario:child-quick", False), ECHO])
        name, path, state = self.run_to_end("scenario:fire", agent="lead")
        self.assertEqual(state, "done")
        result = self.client.get(path, "Result")
        self.assertIn("started run writer-", result)
        child = self.only_child(path)
        child_name = self.client.get(child, "Name")
        self.assertIn(child_name, result)
        self.assertEqual(self.client.wait_final(child), "done")
        props = self.client.props(child)
        self.assertEqual(props["Trigger"], "delegated")
        self.assertEqual(props["Parent"], path)
        self.assertEqual(props["Agent"], "writer")
        self.assertEqual(props["Children"], [])
        self.assertEqual(props["Result"], "draft written")
        self.assertEqual(props["Owner"], self.client.get(path, "Owner"))
        self.assertEqual(self.client.get(path, "Parent"), ROOT)
        created = json.loads(self.client.events(child)[0][3])
        self.assertEqual(created["parent"], name)

    def ctl(self, *args):
        p = subprocess.run([SHIFTCTL, "--address=" + self.bus.address, "--no-pager"] + list(args),
                           capture_output=True, text=True, timeout=60, env={"COLUMNS": "200", "LANG": "C"})
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_shiftctl_status_shows_the_tree(self):
        self.standin.scenario("child-quick", [{"tool": "finish", "arguments": {"result": "draft written"}}])
        self.standin.scenario("fire2", [{"tool_calls": [start("writer", "A. scenario:child-quick", False),
                                                        start("writer", "B. scenario:child-quick", False)]}, ECHO])
        name, path, state = self.run_to_end("scenario:fire2", agent="lead")
        kids = self.children(path)
        self.assertEqual(len(kids), 2)
        for kid in kids:
            self.assertEqual(self.client.wait_final(kid), "done")
        kid_names = [self.client.get(k, "Name") for k in kids]
        text = self.ctl("status", name)
        self.assertRegex(text, r"Children: %s \(done\)\n +%s \(done\)\n" % tuple(kid_names))
        self.assertNotIn("Parent:", text)
        self.assertRegex(self.ctl("status", kid_names[0]), r"Parent: %s \(done\)\n" % name)
        status = json.loads(self.ctl("--json", "status", name))
        self.assertEqual(status["parent"], "/")
        self.assertIsNone(status["parent_run"])
        self.assertEqual(status["children"], kids)
        self.assertEqual([c["name"] for c in status["child_runs"]], kid_names)
        self.assertEqual([c["state"] for c in status["child_runs"]], ["done", "done"])
        child = json.loads(self.ctl("--json", "status", kid_names[1]))
        self.assertEqual(child["parent"], path)
        self.assertEqual(child["parent_run"], {"name": name, "state": "done", "path": path})
        self.assertEqual(child["trigger"], "delegated")

    def test_wait_for_a_child_that_asks(self):
        requested = []
        self.client.subscribe(lambda p, i, m, a: requested.append(a[0]), path=MANAGER_PATH,
                              member="DecisionRequested")
        self.standin.scenario("child-asks", [{"tool": "ask_human", "arguments": {
            "question": "Ship the draft?", "choices": ["ship it", "hold"]}}, ECHO])
        self.standin.scenario("wait", [step("writer", "Draft it. scenario:child-asks", True), ECHO])
        name, path = self.client.start_run("scenario:wait", agent="lead")
        child = self.only_child(path)
        child_name = self.client.get(child, "Name")
        self.assertEqual(self.client.wait_state(child, ("waiting", "failed", "done")), "waiting")
        self.assertEqual(self.client.wait_state(path, ("waiting", "failed", "done")), "waiting")
        props = self.client.props(path)
        self.assertEqual(props["Question"], "")
        self.assertEqual(props["Choices"], [])
        self.assertEqual(props["Unit"], "")
        self.assertIn(child_name, props["Summary"])
        # the parent holds no worker while it waits
        started = self.started_events(path)[-1]
        self.client.wait(lambda: self.worker_gone(started), 15, "the waiting parent's worker to be gone")
        self.assertEqual(self.client.get(path, "State"), "waiting")
        # the child's question reaches people; the parent asks nobody
        self.client.wait(lambda: child_name in requested, 10, "DecisionRequested for the child")
        self.assertNotIn(name, requested)
        err = self.assert_dbus_error("org.shiftd.Shift1.Error.NotWaiting", self.client.call, path, RUN, "Answer",
                                     "s", ("ship it",))
        self.assertIn(child_name, err.message)
        # shiftctl shows what it waits for, and no way to answer it
        text = self.ctl("status", name)
        self.assertIn("Children: %s (waiting)\n" % child_name, text)
        self.assertIn("waiting for run %s" % child_name, text)
        self.assertNotIn("Answer:", text)
        self.assertIn("Answer:", self.ctl("status", child_name))
        self.client.call(child, RUN, "Answer", "s", ("ship it",))
        self.assertEqual(self.client.wait_final(child), "done")
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Result"), "ship it")
        self.assertEqual(self.client.get(path, "Attempt"), 2)
        kinds = self.kinds(path)
        self.assertIn("waiting", kinds)
        self.assertIn("child_ended", kinds)
        self.assertNotIn("answered", kinds)
        # the start_run call got the child's result as its tool result
        last = [r for r in self.standin.requests() if r["scenario"] == "wait"][-1]["body"]["messages"]
        call = next(c for m in last if m.get("tool_calls") for c in m["tool_calls"]
                    if c["function"]["name"] == "start_run")
        answer = next(m for m in last if m.get("role") == "tool" and m.get("tool_call_id") == call["id"])
        self.assertEqual(answer["content"], "ship it")

    def test_failed_child_is_the_tool_result(self):
        self.standin.scenario("child-fails", [{"tool": "not_a_tool"}] * 3)
        self.standin.scenario("wait-fail", [step("writer", "Try. scenario:child-fails", True), ECHO])
        name, path = self.client.start_run("scenario:wait-fail", agent="lead", options={"max_steps": 5})
        child = self.only_child(path)
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(child, "State"), "failed")
        result = self.client.get(path, "Result")
        self.assertIn("child run %s failed: " % self.client.get(child, "Name"), result)
        self.assertIn("step limit", result)

    def test_kill9_while_the_child_runs_both_finish(self):
        self.standin.scenario("child-slow", [{"hang": True}])
        self.standin.scenario("wait-k", [step("writer", "Slowly. scenario:child-slow", True), ECHO])
        name, path = self.client.start_run("scenario:wait-k", agent="lead")
        child = self.only_child(path)
        self.client.wait(lambda: [r for r in self.standin.requests() if r["scenario"] == "child-slow"], 15,
                         "the child's model call")
        self.assertEqual(self.client.wait_state(path, ("waiting", "failed", "done")), "waiting")
        self.standin.scenario("child-slow", [{"tool": "finish", "arguments": {"result": "late but done"}}])
        self.daemon.kill9()
        self.daemon.start()
        self.assertEqual(self.client.get(path, "State"), "waiting")
        self.assertEqual(self.client.get(path, "Children"), [child])
        self.assertEqual(self.client.get(child, "Parent"), path)
        self.assertEqual(self.client.wait_final(child), "done")
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Result"), "late but done")
        self.assertIn("resumed", self.kinds(child))

    def test_cancel_cascades_down_the_tree(self):
        self.standin.scenario("hang", [{"hang": True}])
        self.standin.scenario("mid", [step("chain", "Below. scenario:hang", False), {"hang": True}])
        self.standin.scenario("top", [step("chain", "Middle. scenario:mid", True), ECHO])
        name, top = self.client.start_run("scenario:top", agent="chain")
        mid = self.only_child(top)
        low = self.only_child(mid)
        self.assertEqual(self.client.wait_state(low, "running"), "running")
        self.assertEqual(self.client.wait_state(top, "waiting"), "waiting")
        self.client.call(top, RUN, "Cancel")
        for p in (top, mid, low):
            self.assertEqual(self.client.wait_final(p), "cancelled", p)
        self.assertEqual(self.client.get(low, "Parent"), mid)

    def test_depth_is_at_most_three(self):
        self.standin.scenario("d1", [step("chain", "Two. scenario:d2", True), ECHO])
        self.standin.scenario("d2", [step("chain", "Three. scenario:d3", True), ECHO])
        self.standin.scenario("d3", [step("chain", "Four. scenario:d4", True), ECHO])
        self.standin.scenario("d4", [{"tool": "finish", "arguments": {"result": "too deep"}}])
        name, d1 = self.client.start_run("scenario:d1", agent="chain")
        self.assertEqual(self.client.wait_final(d1, 60), "done")
        result = self.client.get(d1, "Result")
        self.assertIn("3 runs deep", result)
        self.assertIn("cannot start runs", result)
        d2 = self.only_child(d1)
        d3 = self.only_child(d2)
        self.assertEqual(self.children(d3), [])
        self.assertEqual(self.client.get(d3, "State"), "done")

    def test_fan_out_is_bounded_and_delegates_are_checked(self):
        # children that wait for a human: live, and holding no model slot the parent needs
        self.standin.scenario("ask", [{"tool": "ask_human", "arguments": {"question": "Which part?"}}, ECHO])
        calls = [start("writer", "Part %d. scenario:ask" % i, False) for i in range(9)]
        self.standin.scenario("fan", [{"tool_calls": calls}, {"tool_calls": [start("default", "x", False)]},
                                      {"tool_calls": [start("ghost", "x", False)]}, ECHO])
        name, path = self.client.start_run("scenario:fan", agent="lead")
        self.assertEqual(self.client.wait_final(path), "done")
        results = [json.loads(e[3]) for e in self.client.events(path) if e[2] == "tool_result"]
        self.assertEqual([r["ok"] for r in results], [True] * 8 + [False] * 3)
        self.assertIn("the most at once", results[8]["result"])
        self.assertIn("may not start runs of \"default\"; its Delegates= lists: writer ghost", results[9]["result"])
        self.assertIn("no agent named \"ghost\"", results[10]["result"])
        kids = self.children(path)
        self.assertEqual(len(kids), 8)
        for kid in kids:
            self.client.call(kid, RUN, "Cancel")

    def test_an_agent_without_delegates_is_not_offered_start_run(self):
        self.standin.scenario("plain", [{"tool": "finish", "arguments": {"result": "ok"}}])
        self.run_to_end("scenario:plain", agent="writer")
        self.run_to_end("scenario:plain", agent="lead")
        bodies = [r["body"]["tools"] for r in self.standin.requests() if r["scenario"] == "plain"]
        offered = [[t["function"]["name"] for t in tools] for tools in bodies]
        self.assertEqual(len(offered), 2)
        self.assertNotIn("start_run", offered[0])
        self.assertIn("start_run", offered[1])
        schema = next(t["function"] for t in bodies[1] if t["function"]["name"] == "start_run")
        self.assertEqual(schema["parameters"]["properties"]["agent"]["enum"], ["writer", "ghost"])


class DelegationHostileWorker(ShiftdTestCase):
    """A worker that does not follow the protocol fails its own run, not the daemon."""
    start_daemon = False
    agents = Delegation.agents

    def fails(self, mode, why):
        link = os.path.join(self.tmp, mode)
        os.symlink(os.path.join(HERE, "fake-worker", "fake-worker.py"), link)
        self.daemon = self.new_daemon(worker=link)
        self.daemon.start()
        name, path = self.client.start_run("do something", agent="lead")
        self.assertEqual(self.client.wait_final(path), "failed")
        self.assertIn(why, self.client.get(path, "Error"))
        self.daemon_alive()
        return path

    def test_one_start_run_at_a_time(self):
        path = self.fails("start-twice", "start_run before the reply to the previous one")
        self.assertLessEqual(len(self.client.get(path, "Children")), 1)

    def test_wait_only_for_its_own_child(self):
        self.fails("wait-stranger", "wait for \"someone-else-2222\", which this run did not start")


class DelegationOneSlot(ShiftdTestCase):
    conf = {"Limits": {"MaxActiveRuns": "1"}}
    agents = Delegation.agents

    def test_a_waiting_parent_leaves_the_slot_to_its_child(self):
        self.standin.scenario("child-quick", [{"tool": "finish", "arguments": {"result": "written"}}])
        self.standin.scenario("wait1", [step("writer", "Now. scenario:child-quick", True), ECHO])
        name, path = self.client.start_run("scenario:wait1", agent="lead")
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Result"), "written")


class DelegationManyChildren(ShiftdTestCase):
    conf = {"Limits": {"MaxSteps": "40"}}
    agents = Delegation.agents

    def test_a_run_starts_at_most_32_children(self):
        self.standin.scenario("child-quick", [{"tool": "finish", "arguments": {"result": "ok"}}])
        # one after the other, each waited for: never more than one live
        self.standin.scenario("many", [step("writer", "scenario:child-quick", True)] * 33 + [ECHO])
        name, path = self.client.start_run("scenario:many", agent="lead")
        self.assertEqual(self.client.wait_final(path, 120), "done")
        self.assertEqual(len(self.client.get(path, "Children")), 32)
        self.assertEqual(self.client.get(path, "Result"), "run %s has started 32 runs, the most one run may start"
                         % name)


@unittest.skipUnless(BACKEND == "embedded" and os.geteuid() == 0,
                     "system mode with callers of other uids: the embedded backend, as root")
class DelegationAuthority(ShiftdTestCase):
    """A child is started with its parent's authority: the parent run's owner
    must be allowed to start the child agent by that agent's own rules."""
    start_daemon = False
    agents = {
        "lead": "[Agent]\nDelegates=closed open grouped\n[Schedule]\nStartBy=nobody\n",
        "closed": "[Agent]\nDescription=only its owner and root\n",
        "open": "[Agent]\nDescription=nobody may\n[Schedule]\nStartBy=nobody\n",
        "grouped": "[Agent]\nDescription=nogroup may\n[Schedule]\nStartBy=@nogroup\n",
    }

    def setUp(self):
        super().setUp()
        self.use_system_bus()
        self.daemon = self.new_daemon(system=True)
        self.daemon.start()

    def start_as(self, uid, agent, task):
        p = subprocess.run(["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups",
                            sys.executable, os.path.join(HERE, "bus-call.py"), self.sysbus.address, MANAGER_PATH,
                            MANAGER, "StartRun", "ssa{sv}", json.dumps([agent, task, {}])],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)["result"]

    def test_the_owner_may_start_only_what_start_by_allows(self):
        self.standin.scenario("done", [{"tool": "finish", "arguments": {"result": "fine"}}])
        self.standin.scenario("three", [{"tool_calls": [start("closed", "scenario:done", False),
                                                        start("open", "scenario:done", True)]},
                                        {"tool_calls": [start("grouped", "scenario:done", True)]},
                                        {"reply": "all asked"}])
        name, path = self.start_as(NOBODY, "lead", "scenario:three")
        self.assertEqual(self.client.wait_final(path, 60), "done")
        # the refusal is a tool result; the two waited for came back as child_ended
        results = [json.loads(e[3]) for e in self.client.events(path) if e[2] == "tool_result"]
        self.assertEqual([r["ok"] for r in results], [False])
        self.assertIn("uid %d, who owns run %s, may not start runs of agent closed" % (NOBODY, name),
                      results[0]["result"])
        ended = [json.loads(e[3]) for e in self.client.events(path) if e[2] == "child_ended"]
        self.assertEqual([(e["state"], e["outcome"]) for e in ended], [("done", "fine")] * 2)
        self.assertEqual(self.client.get(path, "Result"), "all asked")
        kids = self.client.get(path, "Children")
        self.assertEqual([self.client.get(k, "Agent") for k in kids], ["open", "grouped"])
        for kid in kids:
            self.assertEqual(self.client.get(kid, "Owner"), NOBODY)
            self.assertEqual(self.client.get(kid, "State"), "done")


if __name__ == "__main__":
    main()
