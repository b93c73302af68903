#!/usr/bin/python3
"""The Anthropic Messages API as a run's model: [Model] Provider= and an agent's
Provider= choose it, tool use goes both ways in its shape (across a question
and its answer), retries honour Retry-After, the key goes as x-api-key and
nowhere else, and a bad Provider= is refused clearly."""

import json
import os

from harness import RUN, ShiftdTestCase, main, wait_for

SECRET = "sk-ant-shiftd-test-7c1e5b2d40863f9a"
WORD_FIELDS = ("text", "content")


def words_sent(body):
    """What the stand-in counts as input tokens: the words of the system text,
    the text blocks and the tool results."""
    texts = [body.get("system") or ""]
    for m in body["messages"]:
        for block in m["content"]:
            texts += [block.get(f) for f in WORD_FIELDS if isinstance(block.get(f), str)]
    return sum(len(t.split()) for t in texts)


class Anthropic(ShiftdTestCase):
    start_daemon = False

    def start(self, conf=None, agents=None):
        key_file = os.path.join(self.tmp, "api-key")
        with open(key_file, "w") as f:
            f.write(SECRET + "\n")
        os.chmod(key_file, 0o600)
        model = dict({"ApiKeyFile": key_file, "Name": "claude-test"}, **(conf or {}))
        self.daemon = self.new_daemon(conf={"Model": model}, agents=agents, env={"SHIFTD_DEBUG": "1"})
        self.daemon.start()

    def test_agent_provider_tool_use_both_ways_and_retry_after(self):
        self.start(agents={"claude": "[Agent]\nProvider=anthropic\n"})
        self.standin.scenario("ant", [
            {"reply": "One question first.",
             "tool": "ask_human", "arguments": {"question": "Ship it?", "choices": ["ship", "hold"]}},
            {"fail": {"status": 529, "times": 1, "retry_after": "1"},
             "tool": "finish", "arguments": {"result": "Shipped."}},
        ])
        name, path = self.client.start_run("Release the build. scenario:ant", agent="claude")
        self.assertEqual(self.client.wait_state(path, ("waiting", "failed", "done")), "waiting")
        self.assertEqual(self.client.get(path, "Question"), "Ship it?")
        self.client.call(path, RUN, "Answer", "s", ("ship",))
        self.assertEqual(self.client.wait_final(path), "done")
        self.assertEqual(self.client.get(path, "Result"), "Shipped.")

        requests = [r for r in self.standin.requests() if r["scenario"] == "ant"]
        self.assertEqual([(r["path"], r["step"]) for r in requests],
                         [("/v1/messages", 0), ("/v1/messages", 1), ("/v1/messages", 1)])
        for r in requests:
            self.assertEqual(r["x_api_key"], SECRET)
            self.assertIsNone(r["authorization"])
            self.assertEqual(r["anthropic_version"], "2023-06-01")
            self.assertEqual(r["body"]["model"], "claude-test")
            self.assertIn("scenario:ant", r["body"]["messages"][0]["content"][0]["text"])

        # The answer went back as the tool_result of the model's tool_use, after a new attempt
        # rebuilt the request from the checkpoint.
        messages = requests[-1]["body"]["messages"]
        self.assertEqual([m["role"] for m in messages], ["user", "assistant", "user"])
        text, use = messages[1]["content"]
        self.assertEqual(text, {"type": "text", "text": "One question first."})
        self.assertEqual((use["type"], use["name"]), ("tool_use", "ask_human"))
        self.assertEqual(use["input"], {"question": "Ship it?", "choices": ["ship", "hold"]})
        (result,) = messages[2]["content"]
        self.assertEqual((result["type"], result["tool_use_id"]), ("tool_result", use["id"]))
        self.assertIn("ship", result["content"])

        events = self.client.events(path)
        kinds = [e[2] for e in events]
        self.assertIn("answered", kinds)
        # The 529 was retried once, after the server's Retry-After.
        notes = [json.loads(e[3])["text"] for e in events if e[2] == "note"]
        self.assertIn("model server said HTTP 529: stand-in failure 529; retry 1 of 2 in 1s", notes)
        self.assertGreaterEqual(requests[2]["time"] - requests[1]["time"], 1.0)

        # Tokens are the stand-in's usage, step by step.
        replies = [json.loads(e[3]) for e in events if e[2] == "model_reply"]
        self.assertEqual([r["tokens_in"] for r in replies], [words_sent(requests[0]["body"]),
                                                               words_sent(requests[2]["body"])])
        self.assertEqual([r["tokens_out"] for r in replies], [3 + 10, 10])
        self.assertEqual([r["usage"]["input_tokens"] for r in replies], [r["tokens_in"] for r in replies])
        props = self.client.props(path)

        # The key went to the model server and nowhere else.
        for e in events:
            self.assertNotIn(SECRET, e[3], e[2])
        for value in props.values():
            self.assertNotIn(SECRET, str(value))
        log = self.daemon.log()
        self.assertIn("shiftd-worker", log)
        self.assertNotIn(SECRET, log)

    def test_conf_provider_and_agent_override(self):
        self.start(conf={"Provider": "anthropic"}, agents={"gpt": "[Agent]\nProvider=openai\n"})
        self.standin.scenario("pick", [{"reply": "ok"}])
        for agent in ("", "gpt"):
            name, path, state = self.run_to_end("scenario:pick " + (agent or "default"), agent=agent)
            self.assertEqual(state, "done")
        paths = [(r["path"], r["x_api_key"] if r["api"] == "anthropic" else r["authorization"])
                 for r in self.standin.requests() if r["scenario"] == "pick"]
        self.assertEqual(paths, [("/v1/messages", SECRET), ("/v1/chat/completions", "Bearer " + SECRET)])

    def test_bad_provider_in_conf(self):
        d = self.new_daemon(conf={"Model": {"Provider": "claude"}})
        d.start(wait=False)
        wait_for(lambda: not d.proc.alive(), 10, "shiftd to refuse the bad config")
        self.assertEqual(d.proc.proc.returncode, 78)  # EX_CONFIG
        lines = [line for line in d.log().splitlines() if line.startswith("shiftd:")]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("shiftd.conf:", lines[0])
        self.assertIn("Provider=claude: expected openai or anthropic", lines[0])

    def test_bad_provider_in_agent_file(self):
        self.start(agents={"good": "[Agent]\nProvider=anthropic\n",
                           "bad": "[Agent]\nDescription=x\nProvider=Claude\n"})
        names = [a[0] for a in self.client.manager("ListAgents")[0]]
        self.assertEqual(names, ["default", "good"])
        self.assertIn("bad.agent:3: Provider=Claude: expected openai or anthropic", self.daemon.log())


if __name__ == "__main__":
    main()
