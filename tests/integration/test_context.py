#!/usr/bin/python3
"""Long runs fit the model's context (ContextTokens=): big tool outputs go to
the workspace with an excerpt in the conversation, older turns are compacted
into a summary, and the stand-in, which refuses longer prompts as real servers
do, never has to."""

import json
import os
import sqlite3

from harness import ShiftdTestCase, main

CONTEXT = 3000
# about 700 words and 4.9 KB of output a call: without compaction a handful of
# steps would pass the window
BIG_OUTPUT = {"tool": "shell", "arguments": {"command": "seq 100000 100700"}}


class Context(ShiftdTestCase):
    conf = {"Limits": {"MaxSteps": "300"}}
    agents = {"ctx": "[Agent]\nTools=shell\nContextTokens=%d\n" % CONTEXT,
              # notes but no workspace
              "notesy": "[Agent]\nTools=notes\nContextTokens=%d\n" % CONTEXT}

    def model_requests(self, scenario):
        return [r for r in self.standin.requests() if r["scenario"] == scenario]

    def assert_never_too_long(self, requests):
        self.assertEqual([r["seq"] for r in requests if r["refused"]], [])
        self.assertLessEqual(max(r["prompt_tokens"] for r in requests), CONTEXT)

    def all_events(self, path):
        """GetEvents answers a page at a time."""
        events = []
        while True:
            page = self.client.events(path, len(events) + 1, 0)
            if not page:
                return events
            events += page

    def compacted(self, path):
        return [json.loads(e[3]) for e in self.all_events(path) if e[2] == "compacted"]

    def test_200_steps_of_big_outputs_fit(self):
        steps = 200
        self.standin.scenario("ctx", [BIG_OUTPUT] * (steps - 1) + [
            {"tool": "finish", "arguments": {"result": "counted everything"}}], max_prompt_tokens=CONTEXT)
        name, path = self.client.start_run("Count to a lot. scenario:ctx", agent="ctx",
                                           options={"max_steps": steps + 10})
        self.assertEqual(self.client.wait_final(path, 120), "done", self.client.get(path, "Error"))
        self.assertEqual(self.client.get(path, "Result"), "counted everything")
        self.assertEqual(self.client.get(path, "Step"), steps)

        requests = self.model_requests("ctx")
        self.assert_never_too_long(requests)
        work = [r for r in requests if not r["summary"]]
        summaries = [r for r in requests if r["summary"]]
        # every step was asked once, in order: the summaries' turns counted as steps
        self.assertEqual([r["step"] for r in work], list(range(steps)))
        self.assertGreater(len(summaries), 0)
        # the summarization prompts offer no tools
        self.assertTrue(all("tools" not in r["body"] for r in summaries))

        compacted = self.compacted(path)
        self.assertGreater(len(compacted), 10)
        self.assertEqual(sum(c["summary_calls"] for c in compacted), len(summaries))
        for c in compacted:
            self.assertLess(c["tokens_after"], c["tokens_before"], c)
            self.assertGreater(c["tokens_before"], CONTEXT * 7 // 8, c)
            self.assertLess(c["messages_after"], c["messages_before"], c)
            self.assertEqual(c["messages_before"] - c["messages_dropped"] + 1, c["messages_after"], c)
            self.assertGreater(c["summary_chars"], 0, c)
        # the conversation stays short however long the run
        self.assertLess(max(len(r["body"]["messages"]) for r in work), 20)
        last = work[-1]["body"]["messages"]
        self.assertEqual(last[1]["content"], "Count to a lot. scenario:ctx")
        summary = [m for m in last if m["role"] == "user"][1]["content"]
        self.assertRegex(summary, r"^Summary of the earlier part of this run \(\d+ model turns")
        self.assertIn("Stand-in summary:", summary)
        # each assistant message with tool calls is followed by its results
        for r in work:
            msgs = r["body"]["messages"]
            for i, m in enumerate(msgs):
                if m["role"] == "tool":
                    self.assertIn(msgs[i - 1]["role"], ("assistant", "tool"))
            self.assertNotEqual(msgs[2]["role"] if len(msgs) > 2 else "", "tool")

        # the outputs are in the workspace; the conversation has head, tail and the file
        tool_msgs = [m["content"] for m in last if m["role"] == "tool"]
        self.assertTrue(tool_msgs)
        self.assertIn("100000", tool_msgs[-1])
        self.assertIn("100700", tool_msgs[-1])
        self.assertRegex(tool_msgs[-1], r"The whole output \(\d+ bytes\) is in tool-output/\d+-call_\d+\.txt")
        saved = os.path.join(self.agent_home("ctx", "workspace"), "tool-output")
        files = os.listdir(saved)
        self.assertEqual(len(files), steps - 1)
        with open(os.path.join(saved, sorted(files)[0])) as f:
            text = f.read()
        self.assertIn("\n".join(str(n) for n in range(100000, 100701)), text)

    def test_big_output_without_a_workspace_is_cut(self):
        notes = " ".join("word%04d" % i for i in range(600))  # 5399 bytes
        self.standin.scenario("cut", [
            {"tool": "notes", "arguments": {"action": "write", "text": notes}},
            {"tool": "notes", "arguments": {"action": "read"}},
            {"echo_last_tool_result": True}], max_prompt_tokens=CONTEXT)
        name, path, state = self.run_to_end("Keep notes. scenario:cut", agent="notesy")
        self.assertEqual(state, "done", self.client.get(path, "Error"))
        seen = self.client.get(path, "Result")
        # an eighth of the window at 3 bytes a token: 1125 bytes, half of it head, a quarter tail
        head, note, tail = seen.split("\n")
        self.assertTrue(notes.startswith(head) and len(head) == 1125 // 2, head)
        self.assertTrue(notes.endswith(tail) and len(tail) == 1125 // 4, tail)
        self.assertEqual(note, "[... %d bytes cut here from the middle of this output (5399 bytes in all) ...]"
                         % (5399 - len(head) - len(tail)))
        # the event still shows the output itself
        results = [json.loads(e[3]) for e in self.client.events(path) if e[2] == "tool_result"]
        self.assertTrue(results[-1]["result"].startswith(notes[:3000]))

    def test_kill9_resumes_from_the_compacted_checkpoint(self):
        slow = 12
        self.standin.scenario("resume", [BIG_OUTPUT] * slow + [dict(BIG_OUTPUT, delay=30)] + [
            {"tool": "finish", "arguments": {"result": "finished after resume"}}], max_prompt_tokens=CONTEXT)
        name, path = self.client.start_run("Resume me. scenario:resume", agent="ctx")
        self.client.wait(lambda: any(json.loads(e[3]).get("step") == slow + 1 for e in self.client.events(path)
                                     if e[2] == "model_call"), 60, "the slow model call")
        self.assertGreater(len(self.compacted(path)), 0)
        self.standin.scenario("resume", [BIG_OUTPUT] * (slow + 1) + [
            {"tool": "finish", "arguments": {"result": "finished after resume"}}], max_prompt_tokens=CONTEXT)
        self.daemon.kill9()

        db = sqlite3.connect(os.path.join(self.daemon.state_dir, "shiftd.db"))
        try:
            step, text = db.execute("SELECT step, messages FROM checkpoints WHERE run = ?", (name,)).fetchone()
        finally:
            db.close()
        self.assertEqual(step, slow)
        checkpoint = json.loads(text)
        # compacted: far fewer messages than 12 steps' worth (2 + 12 x 2)
        self.assertLess(len(checkpoint), 2 + slow * 2)
        self.assertTrue(any(m["role"] == "user" and m["content"].startswith("Summary of the earlier part")
                            for m in checkpoint))

        self.daemon.start()
        self.assertEqual(self.client.wait_final(path, 60), "done", self.client.get(path, "Error"))
        self.assertEqual(self.client.get(path, "Result"), "finished after resume")
        self.assertEqual(self.client.get(path, "Attempt"), 2)
        resumed = [json.loads(e[3]) for e in self.client.events(path) if e[2] == "resumed"]
        self.assertEqual([r["from_step"] for r in resumed], [slow])
        requests = self.model_requests("resume")
        self.assert_never_too_long(requests)
        # the resumed attempt went on from the checkpoint: its first call was step 12 (counted
        # through the summary), ending with the checkpoint's last tool result
        work = [r for r in requests if not r["summary"]]
        self.assertEqual([r["step"] for r in work][-2:], [slow, slow + 1])
        first_resumed = work[-2]["body"]["messages"]
        self.assertEqual(first_resumed[:2], checkpoint[:2])
        self.assertEqual(first_resumed[-1], checkpoint[-1])


if __name__ == "__main__":
    main()
