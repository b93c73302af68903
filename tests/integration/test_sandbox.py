#!/usr/bin/python3
"""Agent sandbox settings that both backends honour: PrivateNetwork= cuts the
tools off the network while the worker still reaches its model; an optional
ReadWritePaths= ("-PATH") that is not there is skipped, also under /tmp."""

import os
import uuid

from harness import ShiftdTestCase, main


class Sandbox(ShiftdTestCase):
    start_daemon = False

    def probe(self, private):
        # a TCP connection to the stand-in, made by the shell tool
        command = ("python3 -c \"import socket; socket.create_connection(('127.0.0.1', %d), 2); "
                   "print('net=yes')\" 2>/dev/null || echo net=no") % self.standin.port
        self.standin.scenario("probe", [{"tool": "shell", "arguments": {"command": command}},
                                        {"echo_last_tool_result": True}])
        agent = "[Agent]\nInstructions=scenario:probe\nTools=shell\n[Sandbox]\nPrivateNetwork=%s\n" % (
            "yes" if private else "no")
        self.daemon = self.new_daemon(agents={"prober": agent})
        self.daemon.start()
        name, path, state = self.run_to_end("scenario:probe", agent="prober")
        self.assertEqual(state, "done", self.client.get(path, "Error"))
        return self.client.get(path, "Result")

    def test_private_network_cuts_off_tools_not_the_model(self):
        self.assertIn("net=no", self.probe(True))

    def test_without_it_tools_have_the_network(self):
        self.assertIn("net=yes", self.probe(False))

    def test_a_missing_optional_path_under_tmp_is_skipped(self):
        # under /tmp the path is bound into the sandbox rather than allowed
        missing = "/tmp/shiftd-test-missing-%s" % uuid.uuid4().hex
        self.assertFalse(os.path.exists(missing))
        self.standin.scenario("hi", [{"tool": "shell", "arguments": {"command": "echo hi"}},
                                     {"echo_last_tool_result": True}])
        agent = "[Agent]\nInstructions=scenario:hi\nTools=shell\n[Sandbox]\nReadWritePaths=-%s\n" % missing
        self.daemon = self.new_daemon(agents={"optional": agent})
        self.daemon.start()
        name, path, state = self.run_to_end("scenario:hi", agent="optional")
        self.assertEqual(state, "done", self.client.get(path, "Error"))
        self.assertIn("hi", self.client.get(path, "Result"))


if __name__ == "__main__":
    main()
