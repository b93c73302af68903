#!/usr/bin/python3
"""MCP tool servers ([MCP NAME] in shiftd.conf, MCP= in an agent file),
against real servers nobody here wrote: @modelcontextprotocol/server-filesystem
and server-everything from npm (scripts/install-mcp-servers.sh puts them in
/usr/local/lib/shiftd-mcp-servers, or $SHIFTD_MCP_SERVERS_DIR), plus a small
fake server (tests/mcp-fake-server.py) for the faults the real ones lack."""

import json
import os
import shutil
import signal
import socket
import sys
import unittest

from harness import SOURCE, Process, ShiftdTestCase, main, wait_for

SERVERS = os.environ.get("SHIFTD_MCP_SERVERS_DIR", "/usr/local/lib/shiftd-mcp-servers")
MODULES = os.path.join(SERVERS, "node_modules", "@modelcontextprotocol")
FILESYSTEM = os.path.join(MODULES, "server-filesystem", "dist", "index.js")
EVERYTHING = os.path.join(MODULES, "server-everything", "dist", "index.js")
FAKE = os.path.join(SOURCE, "tests", "mcp-fake-server.py")
NODE = shutil.which("node")
SECRET = "s3cret-mcp-value-4711"


def need_servers(test):
    if NODE is None:
        return unittest.skip("node is not installed (Debian: apt-get install nodejs npm)")(test)
    return test


@need_servers
class Mcp(ShiftdTestCase):
    start_daemon = False

    def setUp(self):
        super().setUp()
        # node is there: the servers must be too (CI installs them), else this fails, not skips
        for path in (FILESYSTEM, EVERYTHING):
            self.assertTrue(os.path.exists(path), "%s is missing: run scripts/install-mcp-servers.sh" % path)
        self.shared = self._subdir("shared")
        os.chmod(self.shared, 0o777)  # the fake server logs here as the worker's user
        # the worker's sandbox may hide the source tree (a private /tmp): the
        # fake server runs from a copy where the runs can see it
        self.fake = os.path.join(self.shared, "mcp-fake-server.py")
        shutil.copy(FAKE, self.fake)
        with open(os.path.join(self.shared, "a.txt"), "w") as f:
            f.write("hello from a file\n")
        env_file = os.path.join(self.tmp, "fake.env")
        with open(env_file, "w") as f:
            f.write("# credentials\nFAKE_SECRET=%s\n" % SECRET)
        self.conf = {
            "MCP files": {"Exec": "%s %s %s" % (NODE, FILESYSTEM, self.shared)},
            "MCP everything": {"Exec": "%s %s stdio" % (NODE, EVERYTHING), "Timeout": "2s"},
            "MCP fake": {"Exec": "%s %s --exit-on-call 2" % (sys.executable, self.fake),
                         "EnvironmentFile": env_file},
            "MCP slow": {"Exec": "%s %s --log-file %s" % (sys.executable, self.fake, os.path.join(self.shared, "slow.log")),
                         "Timeout": "1s"},
        }

    def start(self, mcp, scenario, sandbox=""):
        agent = "[Agent]\nInstructions=scenario:%s\nMCP=%s\n[Sandbox]\nReadWritePaths=%s\n%s" % (
            scenario, mcp, self.shared, sandbox)
        self.daemon = self.new_daemon(agents={"mcp": agent})
        self.daemon.start()
        return self.client.start_run("scenario:" + scenario, agent="mcp")

    def results(self, path):
        return [json.loads(e[3]) for e in self.client.events(path) if e[2] == "tool_result"]

    def notes(self, path):
        return [json.loads(e[3]).get("text", "") for e in self.client.events(path) if e[2] == "note"]

    def finish(self, path):
        state = self.client.wait_final(path, 60)
        self.assertEqual(state, "done", self.client.get(path, "Error"))

    def test_real_servers_offer_and_run_their_tools(self):
        outside = os.path.join(self.tmp, "outside.txt")
        with open(outside, "w") as f:
            f.write("not for the model\n")
        self.standin.scenario("real", [
            {"tool_calls": [
                {"name": "files__read_text_file", "arguments": {"path": os.path.join(self.shared, "a.txt")}},
                {"name": "everything__echo", "arguments": {"message": "hi there"}},
                {"name": "everything__get-sum", "arguments": {"a": 2, "b": 40}},
                {"name": "files__read_text_file", "arguments": {"path": outside}},
                {"name": "files__no_such_tool", "arguments": {}},
            ]},
            {"reply": "done"},
        ])
        name, path = self.start("files everything", "real")
        self.finish(path)
        first = [r for r in self.standin.requests() if r["scenario"] == "real"][0]
        offered = {t["function"]["name"]: t["function"] for t in first["body"]["tools"]}
        for tool in ("files__read_text_file", "files__list_directory", "everything__echo", "finish"):
            self.assertIn(tool, offered)
        # the server's own schema and description
        self.assertIn("message", offered["everything__echo"]["parameters"]["properties"])
        self.assertTrue(offered["everything__echo"]["description"])
        results = self.results(path)
        self.assertEqual([r["tool"] for r in results],
                         ["files__read_text_file", "everything__echo", "everything__get-sum",
                          "files__read_text_file", "files__no_such_tool"])
        self.assertEqual([r["ok"] for r in results], [True, True, True, False, False])
        self.assertIn("hello from a file", results[0]["result"])
        self.assertIn("Echo: hi there", results[1]["result"])
        self.assertIn("42", results[2]["result"])
        self.assertIn("Access denied", results[3]["result"])
        self.assertNotIn("not for the model", results[3]["result"])
        self.assertIn('no tool "no_such_tool"', results[4]["result"])
        kinds = self.kinds(path)
        self.assertEqual(kinds.count("tool_call"), 5)

    def test_a_server_that_exits_mid_run_is_not_called_again(self):
        self.standin.scenario("dies", [
            {"tool": "fake__hello", "arguments": {"name": "one"}},
            {"tool": "fake__hello", "arguments": {"name": "two"}},
            {"tool": "fake__hello", "arguments": {"name": "three"}},
            {"echo_last_tool_result": True},
        ])
        name, path = self.start("fake", "dies")
        self.finish(path)
        results = self.results(path)
        self.assertEqual([r["ok"] for r in results], [True, False, False])
        self.assertEqual(results[0]["result"], "hello one")
        self.assertIn("fake is not running: it exited with status 3: fake server: exiting on call 2",
                      results[1]["result"])
        self.assertEqual(results[2]["result"], results[1]["result"])
        self.assertEqual(len([n for n in self.notes(path) if "fake is not running" in n]), 1, self.notes(path))
        self.assertIn("fake is not running", self.client.get(path, "Result"))

    @staticmethod
    def server_pids(script, run):
        """The live processes running script for the run (the worker gives its
        servers SHIFTD_RUN=run): its MCP servers."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    argv = f.read().split(b"\0")
                with open("/proc/%s/environ" % entry, "rb") as f:
                    environ = f.read().split(b"\0")
                with open("/proc/%s/stat" % entry) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if os.fsencode(script) in argv and b"SHIFTD_RUN=" + os.fsencode(run) in environ and state != "Z":
                pids.append(int(entry))
        return pids

    def test_a_real_server_killed_mid_run(self):
        # server-everything answers once, is killed between two model steps,
        # and the next call of its tool is a clear error, noted once
        self.standin.scenario("killed", [
            {"tool": "everything__echo", "arguments": {"message": "one"}},
            {"tool": "everything__echo", "arguments": {"message": "two"}, "gate": "killed"},
            {"echo_last_tool_result": True},
        ])
        name, path = self.start("everything", "killed")
        self.client.wait(lambda: [json.loads(e[3]).get("step") for e in self.client.events(path)
                                  if e[2] == "model_call"] == [1, 2], 30, "the second model call")
        pids = self.server_pids(EVERYTHING, name)
        self.assertEqual(len(pids), 1, "server-everything processes of %s: %s" % (name, pids))
        os.kill(pids[0], signal.SIGKILL)
        wait_for(lambda: not self.server_pids(EVERYTHING, name), 10, "server-everything to be gone")
        self.standin.open_gate("killed")
        self.finish(path)
        results = self.results(path)
        self.assertEqual([r["ok"] for r in results], [True, False])
        self.assertIn("Echo: one", results[0]["result"])
        self.assertIn("everything is not running", results[1]["result"])
        self.assertEqual(len([n for n in self.notes(path) if "everything is not running" in n]), 1,
                         self.notes(path))

    def test_a_server_answering_garbage_is_stopped(self):
        self.conf["MCP junk"] = {"Exec": "%s %s --garbage-on-call 1" % (sys.executable, self.fake)}
        self.standin.scenario("junk", [
            {"tool": "junk__hello", "arguments": {"name": "one"}},
            {"tool": "junk__hello", "arguments": {"name": "two"}},
            {"reply": "done"},
        ])
        name, path = self.start("junk", "junk")
        self.finish(path)
        results = self.results(path)
        self.assertEqual([r["ok"] for r in results], [False, False])
        self.assertIn("junk is not running: it answered something that is not MCP", results[0]["result"])
        self.assertIn("this is not JSON", results[0]["result"])
        self.assertEqual(results[1]["result"], results[0]["result"])

    def test_a_slow_tool_times_out_and_the_run_goes_on(self):
        self.standin.scenario("slow", [
            {"tool": "slow__sleep", "arguments": {"seconds": 30}},
            {"tool": "everything__trigger-long-running-operation", "arguments": {"duration": 30, "steps": 3}},
            {"tool_calls": [{"name": "slow__hello", "arguments": {"name": "again"}},
                            {"name": "everything__echo", "arguments": {"message": "still here"}}]},
            {"reply": "done"},
        ])
        name, path = self.start("slow everything", "slow")
        self.finish(path)
        results = self.results(path)
        self.assertEqual([r["ok"] for r in results], [False, False, True, True])
        self.assertIn("slow__sleep timed out", results[0]["result"])
        self.assertIn("within 1s", results[0]["result"])
        self.assertIn("everything__trigger-long-running-operation timed out", results[1]["result"])
        # both servers answer the next call: a timeout cancels the call, not the server
        self.assertEqual(results[2]["result"], "hello again")
        self.assertIn("Echo: still here", results[3]["result"])
        self.assertTrue(any("timed out" in n for n in self.notes(path)))
        # stopped before the attempt ended, the polite way: its input closed
        with open(os.path.join(self.shared, "slow.log")) as f:
            self.assertEqual(f.read().split(), ["start", "eof"])

    def test_environment_file_reaches_the_server_only(self):
        self.standin.scenario("secret", [{"tool": "fake__secret", "arguments": {}},
                                         {"echo_last_tool_result": True}])
        name, path = self.start("fake", "secret")
        self.finish(path)
        # the server had it; what it said is masked before it left the worker
        self.assertEqual(self.results(path)[0]["result"], "the secret is ***")
        everything = json.dumps(self.client.events(path)) + self.daemon.log()
        self.assertNotIn(SECRET, everything)

    def probe_network(self, private):
        self.standin.scenario("net", [{"tool": "slow__connect", "arguments": {"port": self.standin.port}},
                                      {"echo_last_tool_result": True}])
        name, path = self.start("slow", "net", "PrivateNetwork=%s\n" % ("yes" if private else "no"))
        self.finish(path)
        return self.client.get(path, "Result")

    def test_private_network_cuts_off_a_stdio_server(self):
        self.assertEqual(self.probe_network(True), "net=no")

    def test_without_it_a_stdio_server_has_the_network(self):
        self.assertEqual(self.probe_network(False), "net=yes")

    def test_a_resumed_attempt_starts_the_servers_again(self):
        self.standin.scenario("resume", [
            {"tool": "everything__echo", "arguments": {"message": "before"}},
            {"tool": "everything__echo", "arguments": {"message": "after"}, "delay": 30},
            {"echo_last_tool_result": True},
        ])
        name, path = self.start("everything", "resume")
        self.client.wait(lambda: [json.loads(e[3]).get("step") for e in self.client.events(path)
                                  if e[2] == "model_call"] == [1, 2], 30, "the second model call")
        # the slow step is in flight; the next attempt finds it quick
        self.standin.scenario("resume", [
            {"tool": "everything__echo", "arguments": {"message": "before"}},
            {"tool": "everything__echo", "arguments": {"message": "after"}},
            {"echo_last_tool_result": True},
        ])
        self.daemon.kill9()
        self.daemon.start()
        self.finish(path)
        self.assertEqual(self.client.get(path, "Result"), "Echo: after")
        self.assertEqual(self.kinds(path).count("resumed"), 1)
        self.assertEqual([r["ok"] for r in self.results(path)], [True, True])

    def http_server(self):
        """server-everything in its streamable HTTP mode on a free loopback port."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = os.path.join(self.tmp, "everything-http.log")
        proc = Process([NODE, EVERYTHING, "streamableHttp"], log_path=log, env=dict(os.environ, PORT=str(port)))
        self.addCleanup(proc.stop)

        def listening():
            self.assertTrue(proc.alive(), "server-everything exited: " + proc.log())
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                return True
            except OSError:
                return False
        wait_for(listening, 30, "server-everything to listen on port %d" % port)
        return "http://127.0.0.1:%d/mcp" % port

    def test_streamable_http(self):
        self.conf["MCP web"] = {"URL": self.http_server(), "Timeout": "2s"}
        self.standin.scenario("web", [
            {"tool_calls": [
                {"name": "web__echo", "arguments": {"message": "over http"}},
                {"name": "web__get-sum", "arguments": {"a": 1, "b": 2}},
                {"name": "web__trigger-long-running-operation", "arguments": {"duration": 30, "steps": 3}},
                {"name": "web__echo", "arguments": {"message": "after the timeout"}},
            ]},
            {"reply": "done"},
        ])
        name, path = self.start("web", "web")
        self.finish(path)
        first = [r for r in self.standin.requests() if r["scenario"] == "web"][0]
        self.assertIn("web__echo", [t["function"]["name"] for t in first["body"]["tools"]])
        results = self.results(path)
        self.assertEqual([r["ok"] for r in results], [True, True, False, True])
        self.assertIn("Echo: over http", results[0]["result"])
        self.assertIn("3", results[1]["result"])
        self.assertIn("timed out", results[2]["result"])
        self.assertIn("Echo: after the timeout", results[3]["result"])

    def test_an_unknown_server_refuses_the_agent_file(self):
        agent = "[Agent]\nDescription=x\nMCP=files nosuch\n"
        self.daemon = self.new_daemon(agents={"bad": agent})
        self.daemon.start()
        agents = [a[0] for a in self.client.manager("ListAgents")[0]]
        self.assertNotIn("bad", agents)
        self.assertIn("bad.agent:3: MCP=: unknown MCP server \"nosuch\"", self.daemon.log())

    def test_a_server_that_does_not_start_is_a_note_and_a_tool_error(self):
        self.conf["MCP broken"] = {"Exec": "/nonexistent/mcp-server"}
        self.standin.scenario("broken", [{"tool": "broken__anything", "arguments": {}},
                                         {"echo_last_tool_result": True}])
        name, path = self.start("broken", "broken")
        self.finish(path)
        result = self.client.get(path, "Result")
        self.assertIn("MCP server broken is not running: it did not start:", result)
        self.assertIn("cannot run /nonexistent/mcp-server", result)
        self.assertTrue(any("broken is not running" in n for n in self.notes(path)))


if __name__ == "__main__":
    main()
