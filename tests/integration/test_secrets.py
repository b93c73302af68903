#!/usr/bin/python3
"""The model API key reaches the model server and nothing else: no log line,
no event, no unit environment, no property."""

import os

from harness import ShiftdTestCase, main

SECRET = "sk-shiftd-test-3f9a7c1e5b2d4086"


class Secrets(ShiftdTestCase):
    start_daemon = False

    def test_api_key_goes_to_the_model_only(self):
        key_file = os.path.join(self.tmp, "api-key")
        with open(key_file, "w") as f:
            f.write(SECRET + "\n")
        os.chmod(key_file, 0o600)
        self.daemon = self.new_daemon(conf={"Model": {"ApiKeyFile": key_file}}, env={"SHIFTD_DEBUG": "1"})
        self.daemon.start()
        self.standin.scenario("s", [{"tool": "not_a_tool", "arguments": {}},
                                    {"tool": "ask_human", "arguments": {"question": "ok?"}},
                                    {"reply": "done"}])
        name, path = self.client.start_run("scenario:s")
        self.client.wait_state(path, "waiting")
        unit = self.client.get(path, "Unit")
        self.client.call(path, "org.shiftd.Shift1.Run", "Answer", "s", ("yes",))
        self.assertEqual(self.client.wait_final(path), "done")

        requests = [r for r in self.standin.requests() if r["scenario"] == "s"]
        self.assertTrue(requests)
        self.assertTrue(all(r["authorization"] == "Bearer " + SECRET for r in requests))
        for seq, when, kind, data in self.client.events(path):
            self.assertNotIn(SECRET, data, kind)
        for value in self.client.props(path).values():
            self.assertNotIn(SECRET, str(value))
        log = self.daemon.log()
        self.assertIn("shiftd-worker", log)  # the worker's log lines are there...
        self.assertNotIn(SECRET, log)        # ...without the key
        if self.systemd:
            for e in self.client.events(path):
                if e[2] == "started":
                    self.assertNotIn(SECRET, self.systemd.show(__import__("json").loads(e[3])["unit"],
                                                               "Environment").get("Environment", ""))
        self.assertEqual(unit, "")  # no worker while waiting


if __name__ == "__main__":
    main()
