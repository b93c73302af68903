#!/usr/bin/python3
"""Agent sandbox settings that both backends honour: PrivateNetwork= cuts the
tools off the network while the worker still reaches its model."""

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


if __name__ == "__main__":
    main()
