#!/usr/bin/python3
"""Token accounting and budgets: a run's TokensIn/TokensOut and its agent's
TokensToday/TokensTotal summed from the replies' usage, durable across a
restart; TokensPerRun= stops a run before the call that would pass it;
TokensPerDay= skips scheduled wakes until midnight and refuses manual starts."""

import json
import os
import re
import subprocess
import time

from harness import AGENT, MANAGER_PATH, RUN, SHIFTCTL, ShiftdTestCase, main

PROPS = "org.freedesktop.DBus.Properties"
BUSY = "org.shiftd.Shift1.Error.Busy"


def agent_path(name):
    return "/org/shiftd/Shift1/agent/" + name


def next_local_midnight_usec():
    t = time.localtime()
    midnight = time.mktime((t.tm_year, t.tm_mon, t.tm_mday + 1, 0, 0, 0, 0, 0, -1))
    return int(midnight) * 10**6


class Tokens(ShiftdTestCase):
    start_daemon = False

    def start(self, agents=None):
        self.daemon = self.new_daemon(agents=agents)
        self.daemon.start()

    def aget(self, agent, prop):
        return self.client.get(agent_path(agent), prop, AGENT)

    def two_step_scenario(self, name, first, second):
        """A call of an unknown tool (the run goes on), then a final reply,
        with exactly these (prompt, completion) token counts."""
        self.standin.scenario(name, [
            {"tool": "no_such_tool", "arguments": {},
             "usage": {"prompt_tokens": first[0], "completion_tokens": first[1]}},
            {"reply": "counted", "usage": {"prompt_tokens": second[0], "completion_tokens": second[1]}},
        ])

    def test_sums_on_run_and_agent_survive_restart(self):
        self.two_step_scenario("tok", (100, 7), (150, 5))
        self.start(agents={"counter": "[Agent]\nDescription=counts\n"})
        run_changes, agent_changes, added = [], [], []
        self.client.subscribe(lambda p, i, m, a: run_changes.append(a[1]), iface=PROPS, member="PropertiesChanged")
        self.client.subscribe(lambda p, i, m, a: agent_changes.append(a[1]), path=agent_path("counter"),
                              iface=PROPS, member="PropertiesChanged")
        self.client.subscribe(lambda p, i, m, a: added.append(a), path=MANAGER_PATH, member="InterfacesAdded")
        self.assertEqual(self.aget("counter", "TokensToday"), 0)
        self.assertEqual(self.aget("counter", "TokensTotal"), 0)

        name, path = self.client.start_run("count these. scenario:tok", agent="counter")
        self.assertEqual(self.client.wait_final(path), "done")
        props = self.client.props(path)
        self.assertEqual((props["TokensIn"], props["TokensOut"]), (250, 12))
        # each reply's usage is in its event, and the sums are theirs
        replies = [json.loads(e[3]) for e in self.client.events(path) if e[2] == "model_reply"]
        self.assertEqual([(r["tokens_in"], r["tokens_out"]) for r in replies], [(100, 7), (150, 5)])
        # announced as they grew, and in the receipt's InterfacesAdded (at 0)
        self.client.wait(lambda: any(c.get("TokensIn") == 250 for c in run_changes), 5, "TokensIn 250 announced")
        self.assertTrue(any(c.get("TokensIn") == 100 and c.get("TokensOut") == 7 for c in run_changes))
        first_added = next(a for a in added if a[0] == path)
        self.assertEqual((first_added[1][RUN]["TokensIn"], first_added[1][RUN]["TokensOut"]), (0, 0))
        self.assertEqual(self.aget("counter", "TokensToday"), 262)
        self.assertEqual(self.aget("counter", "TokensTotal"), 262)
        self.client.wait(lambda: any(c.get("TokensTotal") == 262 for c in agent_changes), 5,
                         "TokensTotal 262 announced")
        self.assertTrue(any(c.get("TokensToday") == 107 for c in agent_changes), agent_changes)

        # a second run adds to the agent, not to the first run
        _, path2 = self.client.start_run("again. scenario:tok", agent="counter")
        self.assertEqual(self.client.wait_final(path2), "done")
        self.assertEqual(self.client.get(path2, "TokensIn"), 250)
        self.assertEqual(self.client.get(path, "TokensIn"), 250)
        self.assertEqual(self.aget("counter", "TokensTotal"), 524)
        # another agent's count is its own
        self.assertEqual(self.aget("default", "TokensTotal"), 0)
        # an agent whose file goes and comes back keeps its count
        agent_file = os.path.join(self.daemon.config_dir, "agents.d", "counter.agent")
        os.unlink(agent_file)
        self.client.manager("Reload")
        self.assertNotIn("counter", [a[0] for a in self.client.manager("ListAgents")[0]])
        self.daemon.write_agent("counter", "[Agent]\nDescription=counts again\n")
        self.client.manager("Reload")
        self.assertEqual(self.aget("counter", "TokensTotal"), 524)

        # kill -9: everything announced was on disk
        self.daemon.kill9()
        self.daemon.start()
        managed = self.client.call(MANAGER_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")[0]
        self.assertEqual((managed[path][RUN]["TokensIn"], managed[path][RUN]["TokensOut"]), (250, 12))
        self.assertEqual(managed[agent_path("counter")][AGENT]["TokensToday"], 524)
        self.assertEqual(managed[agent_path("counter")][AGENT]["TokensTotal"], 524)

        # shiftctl shows them, and --json carries them
        out = subprocess.run([SHIFTCTL, "--address=" + self.bus.address, "status", name], capture_output=True,
                             text=True, check=True).stdout
        self.assertRegex(out, r"Tokens: 250 in, 12 out")
        status = json.loads(subprocess.run([SHIFTCTL, "--address=" + self.bus.address, "--json", "status", name],
                                           capture_output=True, text=True, check=True).stdout)
        self.assertEqual((status["tokens_in"], status["tokens_out"]), (250, 12))
        agents = json.loads(subprocess.run([SHIFTCTL, "--address=" + self.bus.address, "--json", "agents"],
                                           capture_output=True, text=True, check=True).stdout)
        counter = next(a for a in agents if a["name"] == "counter")
        self.assertEqual((counter["tokens_today"], counter["tokens_total"]), (524, 524))
        table = subprocess.run([SHIFTCTL, "--address=" + self.bus.address, "agents"], capture_output=True, text=True,
                               check=True).stdout
        self.assertRegex(table, r"(?m)^counter\s.*\b524/524\b")

    def test_tokens_per_run_stops_before_the_crossing_call(self):
        # the first reply says its prompt was 3000 tokens; the next prompt is
        # larger, so ~3000+ more would pass 5000 with 4000 used
        self.two_step_scenario("budget", (3000, 1000), (1, 1))
        self.start(agents={"thrifty": "[Agent]\nTokensPerRun=5k\n"})
        name, path = self.client.start_run("spend. scenario:budget", agent="thrifty")
        self.assertEqual(self.client.wait_final(path), "failed")
        error = self.client.get(path, "Error")
        m = re.fullmatch(r"token budget: this call \(~(\d+) tokens\) would pass TokensPerRun=5000 \(4000 used\)",
                         error)
        self.assertIsNotNone(m, error)
        self.assertGreaterEqual(int(m.group(1)), 3000)  # calibrated by the first reply, not bytes / 3
        # the stand-in saw the first call only
        calls = [q for q in self.standin.requests() if q["scenario"] == "budget"]
        self.assertEqual([q["step"] for q in calls], [0])
        self.assertEqual(self.kinds(path).count("model_call"), 1)
        self.assertEqual((self.client.get(path, "TokensIn"), self.client.get(path, "TokensOut")), (3000, 1000))

    def test_tokens_per_day_skips_wakes_until_midnight(self):
        self.standin.scenario("daily", [{"reply": "done for today",
                                         "usage": {"prompt_tokens": 1500, "completion_tokens": 600}}])
        self.start(agents={"daily": "[Agent]\nInstructions=scenario:daily\nTokensPerDay=2k\n"
                                    "[Schedule]\nEvery=1s\n"})
        # the first wake runs (its prompt is well under 2000) and spends the day's 2000
        self.client.wait(lambda: any(r[2] == "done" for r in self.client.list_runs(agent="daily")), 15,
                         "the first wake's run")
        self.client.wait(lambda: "TokensPerDay=2000 reached" in self.daemon.log(), 10, "a skipped wake")
        self.assertIn("wake skipped: TokensPerDay=2000 reached (2100 used today); next wake after midnight",
                      self.daemon.log())
        self.assertEqual(self.aget("daily", "TokensToday"), 2100)
        self.assertGreaterEqual(self.aget("daily", "NextWakeAt"), next_local_midnight_usec())
        self.assertEqual(len(self.client.list_runs(agent="daily")), 1)
        # a manual start is refused the same way
        err = self.assert_dbus_error(BUSY, self.client.manager, "TriggerAgent", "s", ("daily",))
        self.assertIn("TokensPerDay=2000 (2100 tokens today)", err.message)
        self.assert_dbus_error(BUSY, self.client.start_run, "by hand", agent="daily")
        self.assertEqual(len(self.client.list_runs(agent="daily")), 1)
        # and it stays held across a restart
        self.assertEqual(self.daemon.stop(), 0)
        self.daemon.start()
        self.assertGreaterEqual(self.aget("daily", "NextWakeAt"), next_local_midnight_usec())
        self.assertEqual(self.aget("daily", "TokensToday"), 2100)


if __name__ == "__main__":
    main()
