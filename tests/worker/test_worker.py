#!/usr/bin/python3
"""shiftd-worker against a fake daemon and the model stand-in.

usage: test_worker.py [--worker PATH] [--standin PATH] [unittest args...]
"""

import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_daemon import FakeDaemon, Standin, WorkerExited, make_hello  # noqa: E402

SOURCE_ROOT = os.environ.get("SHIFTD_SOURCE_ROOT",
                             os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD_ROOT = os.environ.get("SHIFTD_BUILD_ROOT", os.path.join(SOURCE_ROOT, "build"))
WORKER = os.path.join(BUILD_ROOT, "src", "worker", "shiftd-worker")
STANDIN = os.path.join(SOURCE_ROOT, "tests", "model-standin.py")
NOT_RUN = "not run: the run paused for a human decision"


class WorkerTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.standin = Standin(STANDIN)

    @classmethod
    def tearDownClass(cls):
        cls.standin.stop()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="worker-test-")
        self.daemons = []
        self.name = self.id().rsplit(".", 1)[-1]

    def tearDown(self):
        for d in self.daemons:
            d.cleanup()
        self.tmp.cleanup()

    def daemon(self):
        d = FakeDaemon(WORKER, self.tmp.name)
        self.daemons.append(d)
        return d

    def scenario(self, steps, name=None):
        name = name or self.name
        self.standin.scenario(name, steps)
        return "scenario:%s do the work" % name

    def hello(self, steps=None, **overrides):
        task = self.scenario(steps) if steps is not None else overrides.pop("task", "scenario:none")
        return make_hello(self.standin.url, task=task, **overrides)

    def run_worker(self, hello, **kw):
        d = self.daemon()
        ending = d.run(hello, **kw)
        return d, ending

    def assertExitsWithin(self, d, seconds, status=None):
        t0 = time.monotonic()
        code = d.wait_exit(timeout=seconds)
        self.assertLess(time.monotonic() - t0, seconds)
        if status is not None:
            self.assertEqual(code, status, d.stderr())
        return code

    def wait_for(self, what, predicate, timeout=5):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                self.fail("%s did not happen within %.1f s" % (what, timeout))
            time.sleep(0.02)

    def tool_results(self, d):
        return [e["data"] for e in d.events("tool_result")]


class EndingsTest(WorkerTestCase):
    def test_plain_reply_is_done(self):
        d, ending = self.run_worker(self.hello([{"reply": "all good"}]))
        self.assertEqual(ending["type"], "done")
        self.assertEqual(ending["result"], "all good")
        self.assertEqual(d.types(), ["want_slot", "event:model_call", "free_slot", "event:model_reply", "done"])
        numbered = [m["id"] for m in d.messages if "id" in m]
        self.assertEqual(numbered, list(range(1, len(numbered) + 1)))
        call = d.events("model_call")[0]["data"]
        self.assertEqual((call["step"], call["model"], call["messages"]), (1, "standin", 2))
        reply = d.events("model_reply")[0]["data"]
        self.assertEqual((reply["step"], reply["content"], reply["tool_calls"], reply["finish_reason"]),
                         (1, "all good", [], "stop"))
        self.assertIn("total_tokens", reply["usage"])
        self.assertIsInstance(reply["elapsed_ms"], int)
        self.assertExitsWithin(d, 5, status=0)

    def test_default_model_and_system_prompt(self):
        d, ending = self.run_worker(self.hello(task="Tidy the spool\nand more"))
        self.assertEqual(ending, {"type": "done", "id": ending["id"],
                                  "result": "Stand-in model finished: Tidy the spool"})
        body = self.standin.requests()[-1]["body"]
        self.assertEqual(body["model"], "standin")
        system, user = body["messages"]
        self.assertEqual(system["role"], "system")
        for word in ("unattended", "finish", "no_work", "ask_human", "Be brief."):
            self.assertIn(word, system["content"])
        self.assertEqual(user, {"role": "user", "content": "Tidy the spool\nand more"})
        self.assertEqual(sorted(t["function"]["name"] for t in body["tools"]), ["ask_human", "finish", "no_work"])
        self.assertExitsWithin(d, 5, status=0)

    def test_finish(self):
        d, ending = self.run_worker(self.hello([{"tool": "finish", "arguments": {"result": "filed 2 bugs"}}]))
        self.assertEqual((ending["type"], ending["result"]), ("done", "filed 2 bugs"))
        call = d.events("tool_call")[0]["data"]
        self.assertEqual((call["step"], call["tool"], call["arguments"]), (1, "finish", {"result": "filed 2 bugs"}))
        self.assertTrue(call["id"].startswith("call_"))
        self.assertExitsWithin(d, 5, status=0)

    def test_no_work(self):
        d, ending = self.run_worker(self.hello([{"tool": "no_work", "arguments": {"reason": "inbox empty"}}]))
        self.assertEqual((ending["type"], ending["reason"]), ("no_work", "inbox empty"))
        self.assertExitsWithin(d, 5, status=0)

    def test_ask_human_then_resume_with_answer(self):
        ask = {"name": "ask_human", "arguments": {"question": "Deploy now?", "choices": ["yes", "no"],
                                                   "default": "no", "deadline": "1h"}}
        steps = [{"tool_calls": [ask, {"name": "finish", "arguments": {"result": "too early"}}]},
                 {"echo_last_tool_result": True}]
        d, ending = self.run_worker(self.hello(steps))
        self.assertEqual(d.types()[-2:], ["checkpoint", "ask"])
        self.assertEqual(ending["question"], "Deploy now?")
        self.assertEqual(ending["choices"], ["yes", "no"])
        self.assertEqual(ending["default"], "no")
        self.assertEqual(ending["timeout_usec"], 3600 * 1000000)
        self.assertExitsWithin(d, 5, status=0)

        checkpoint = d.messages[-2]
        self.assertEqual(checkpoint["step"], 1)
        messages = checkpoint["messages"]
        self.assertEqual([m["role"] for m in messages], ["system", "user", "assistant", "tool"])
        ask_id, finish_id = [c["id"] for c in messages[2]["tool_calls"]]
        self.assertEqual(ending["tool_call_id"], ask_id)
        # The call after ask_human is answered, not run: the run must not finish.
        self.assertEqual(messages[3], {"role": "tool", "tool_call_id": finish_id, "content": NOT_RUN})

        resume = self.hello(task=None, messages=messages, step=1, attempt=2, answer="yes",
                            answered_by="uid 1000")
        d2, ending2 = self.run_worker(resume)
        self.assertEqual((ending2["type"], ending2["result"]), ("done", "yes"))
        self.assertEqual(d2.events("model_call")[0]["data"]["step"], 2)
        seen = self.standin.requests(self.name)[-1]
        self.assertEqual(seen["step"], 1)
        tool_msgs = [m for m in seen["body"]["messages"] if m["role"] == "tool"]
        self.assertIn({"role": "tool", "tool_call_id": ask_id, "content": "yes"}, tool_msgs)
        self.assertExitsWithin(d2, 5, status=0)

    def test_answer_by_deadline_says_so(self):
        steps = [{"tool": "ask_human", "arguments": {"question": "Q?", "choices": ["a", "b"], "default": "b"}},
                 {"echo_last_tool_result": True}]
        d, ending = self.run_worker(self.hello(steps))
        self.assertEqual(ending["timeout_usec"], 0)  # no deadline: the agent's
        resume = self.hello(task=None, messages=d.messages[-2]["messages"], step=1, answer="b",
                            answered_by="deadline")
        _, ending2 = self.run_worker(resume)
        self.assertIn("deadline", ending2["result"])
        self.assertTrue(ending2["result"].endswith(": b"))

    def test_ask_human_bad_arguments_go_back_to_the_model(self):
        steps = [{"tool": "ask_human", "arguments": {"question": "Q?", "choices": ["a"], "default": "zzz"}},
                 {"tool": "ask_human", "arguments": {"question": "Q?", "deadline": "soon"}},
                 {"tool": "ask_human", "arguments": {"question": "Q?", "deadline": 90}}]
        d, ending = self.run_worker(self.hello(steps))
        results = self.tool_results(d)
        self.assertEqual([r["ok"] for r in results], [False, False])
        self.assertIn("not one of its choices", results[0]["result"])
        self.assertIn("time span", results[1]["result"])
        self.assertEqual((ending["type"], ending["timeout_usec"], ending["choices"], ending["default"]),
                         ("ask", 90 * 1000000, [], None))

    def test_step_limit(self):
        d, ending = self.run_worker(self.hello([{"tool": "noop"}], settings={"max_steps": 2}))
        self.assertEqual(ending["type"], "error")
        self.assertEqual(ending["reason"], "step limit reached (2 model calls) without a result")
        self.assertEqual(len(self.standin.requests(self.name)), 2)
        self.assertEqual([m["step"] for m in d.messages if m["type"] == "checkpoint"], [1, 2])
        self.assertIn("unknown tool \"noop\"", self.tool_results(d)[0]["result"])

    def test_day_budget_stops_before_the_first_call(self):
        # the prompt is hundreds of bytes: ~100 tokens or more at 3 bytes a token
        d, ending = self.run_worker(self.hello([{"reply": "never"}], budget={"per_day": 1000, "day_used": 950}))
        self.assertEqual(ending["type"], "error")
        self.assertRegex(ending["reason"],
                         r"^token budget: this call \(~\d+ tokens\) would pass TokensPerDay=1000 \(950 used today\)$")
        self.assertEqual(d.types(), ["error"])
        self.assertEqual(self.standin.requests(self.name), [])

    def test_run_budget_calibrated_by_the_reply(self):
        # the first prompt (some 2 KB: ~700 tokens at 3 bytes a token) was 10
        # tokens by the server's count: the next ones, a little longer, are
        # ~11-19 by that measure; at bytes / 3 the second call would not go
        steps = [{"tool": "noop", "usage": {"prompt_tokens": 10, "completion_tokens": 890}},
                 {"tool": "noop", "usage": {"prompt_tokens": 12, "completion_tokens": 80}},
                 {"reply": "never"}]
        d, ending = self.run_worker(self.hello(steps, budget={"per_run": 1000}))
        self.assertEqual(ending["type"], "error")
        self.assertRegex(ending["reason"],
                         r"^token budget: this call \(~1\d tokens\) would pass TokensPerRun=1000 \(992 used\)$")
        self.assertEqual(len(self.standin.requests(self.name)), 2)

    def test_no_budget_no_limit(self):
        d, ending = self.run_worker(self.hello([{"reply": "fine", "usage": {"prompt_tokens": 10**9}}],
                                               budget={"per_run": 0, "run_used": 5}))
        self.assertEqual(ending["type"], "done")

    def test_step_limit_reached_by_earlier_attempts(self):
        self.standin.reset()
        messages = [{"role": "system", "content": "x"}, {"role": "user", "content": "scenario:none"}]
        d, ending = self.run_worker(self.hello(task=None, messages=messages, step=3, settings={"max_steps": 3}))
        self.assertEqual(ending["reason"], "step limit reached (3 model calls) without a result")
        self.assertEqual(d.types(), ["error"])
        self.assertEqual(self.standin.requests(), [])


class ProtocolTest(WorkerTestCase):
    def test_unsupported_version(self):
        d, ending = self.run_worker(self.hello([{"reply": "x"}], version=2))
        self.assertEqual(ending["reason"], "protocol version 2 not supported")
        self.assertExitsWithin(d, 5, status=0)

    def test_garbage_instead_of_hello(self):
        d = self.daemon()
        d.send_raw(b"this is not json\n")
        ending = d.serve()
        self.assertEqual(ending["type"], "error")
        self.assertIn("does not parse", ending["reason"])
        self.assertExitsWithin(d, 5, status=0)

    def test_first_message_not_hello(self):
        d = self.daemon()
        d.send({"type": "slot"})
        ending = d.serve()
        self.assertIn("not \"hello\"", ending["reason"])
        self.assertExitsWithin(d, 5, status=0)

    def test_garbage_while_waiting_for_a_slot(self):
        d = self.daemon()
        d.send(self.hello([{"reply": "x"}]))
        self.assertEqual(d.recv()["type"], "want_slot")
        d.send_raw(b'{"type": "slot"\n')
        ending = d.serve()
        self.assertEqual(ending["type"], "error")
        self.assertIn("the daemon sent a line that does not parse", ending["reason"])
        self.assertExitsWithin(d, 5, status=0)

    def test_cancel_before_hello(self):
        d = self.daemon()
        d.send({"type": "cancel", "reason": "changed my mind"})
        self.assertExitsWithin(d, 2, status=0)
        with self.assertRaises(WorkerExited):
            d.recv(timeout=2)
        self.assertEqual(d.messages, [])

    def test_line_over_32_mib(self):
        d = self.daemon()
        d.send(self.hello([{"hang": True}]))
        self.assertEqual(d.recv()["type"], "want_slot")

        def flood():
            try:
                d.send_raw(b"x" * (32 * 1024 * 1024 + 4096))
            except OSError:
                pass  # the worker may stop reading once it has said why

        t = threading.Thread(target=flood, daemon=True)
        t.start()
        ending = d.serve(grant=False)
        self.assertEqual(ending["type"], "error")
        self.assertIn("line longer than", ending["reason"])
        self.assertExitsWithin(d, 5, status=0)
        t.join(timeout=5)

    def test_exits_after_the_endings_ack(self):
        d = self.daemon()
        ending = d.run(self.hello([{"reply": "x"}]), on_message=lambda m: m["type"] == "done")
        # Not acked yet: the worker waits for it.
        with self.assertRaises(TimeoutError):
            d.recv(timeout=0.3)
        self.assertIsNone(d.proc.poll())
        d.ack(ending)
        self.assertExitsWithin(d, 5, status=0)

    def test_eof_while_waiting_for_a_slot(self):
        d = self.daemon()
        d.send(self.hello([{"reply": "x"}]))
        self.assertEqual(d.recv()["type"], "want_slot")
        d.close()
        self.assertExitsWithin(d, 2, status=1)

    def test_cancel_while_waiting_for_a_slot(self):
        d = self.daemon()
        d.send(self.hello([{"reply": "x"}]))
        self.assertEqual(d.recv()["type"], "want_slot")
        d.send({"type": "cancel", "reason": "cancelled by uid 1000"})
        self.assertExitsWithin(d, 2, status=0)
        with self.assertRaises(WorkerExited):
            d.recv(timeout=2)
        self.assertEqual(d.types(), ["want_slot"])

    def start_hanging_request(self, **overrides):
        self.standin.reset()
        d = self.daemon()
        d.run(self.hello([{"hang": True}], **overrides), on_message=lambda m: m["type"] == "event")
        if d.messages[-1].get("kind") != "model_call":
            self.fail("expected model_call, got %r" % d.messages[-1])
        self.wait_for("the model request reaching the stand-in", lambda: self.standin.stats()["inflight"] == 1)
        return d

    def test_cancel_during_a_hanging_request(self):
        d = self.start_hanging_request()
        sent = len(d.messages)
        d.send({"type": "cancel", "reason": "cancelled by uid 1000"})
        self.assertExitsWithin(d, 2, status=0)
        with self.assertRaises(WorkerExited):
            d.recv(timeout=2)
        self.assertEqual(len(d.messages), sent, "the worker sent something after cancel")
        self.wait_for("the stand-in seeing the request abandoned", lambda: self.standin.stats()["inflight"] == 0)

    def test_eof_during_a_hanging_request(self):
        d = self.start_hanging_request()
        d.close()
        self.assertExitsWithin(d, 2, status=1)
        self.wait_for("the stand-in seeing the request abandoned", lambda: self.standin.stats()["inflight"] == 0)

    def test_api_key_is_sent_and_never_shown(self):
        key = "sk-shiftd-TEST-5ecr3t-0123456789"
        # A server that echoes the key, in an error and in a reply.
        steps = [{"tool": "noop", "fail": {"status": 500, "times": 1, "body": "bad key " + key}},
                 {"reply": "the key is " + key}]
        d, ending = self.run_worker(self.hello(steps, model={"api_key": key}))
        self.assertEqual(ending["result"], "the key is ***")
        auths = {r["authorization"] for r in self.standin.requests(self.name)}
        self.assertEqual(auths, {"Bearer " + key})
        self.assertIn("***", d.events("note")[0]["data"]["text"])
        self.assertNotIn(key, json.dumps(d.messages))
        self.assertNotIn("5ecr3t", d.stderr())
        self.assertExitsWithin(d, 5, status=0)

    def test_no_key_no_authorization(self):
        self.run_worker(self.hello([{"reply": "x"}]))
        self.assertIsNone(self.standin.requests(self.name)[-1]["authorization"])


class ModelRetryTest(WorkerTestCase):
    def test_503_twice_with_retry_after(self):
        steps = [{"reply": "fine", "fail": {"status": 503, "times": 2, "retry_after": "1", "body": "busy"}}]
        t0 = time.monotonic()
        d, ending = self.run_worker(self.hello(steps, model={"retries": 4, "retry_delay_usec": 100000}))
        elapsed = time.monotonic() - t0
        self.assertEqual((ending["type"], ending["result"]), ("done", "fine"))
        self.assertGreaterEqual(elapsed, 2.0, "Retry-After: 1 was not honoured twice")
        notes = [e["data"]["text"] for e in d.events("note")]
        self.assertEqual(len(notes), 2)
        self.assertEqual(notes[0], "model server said HTTP 503: busy; retry 1 of 4 in 1s")
        self.assertEqual(notes[1], "model server said HTTP 503: busy; retry 2 of 4 in 1s")
        # The slot goes back before each wait, and is asked for again after it.
        self.assertEqual(d.types(), ["want_slot", "event:model_call", "free_slot", "event:note",
                                     "want_slot", "free_slot", "event:note",
                                     "want_slot", "free_slot", "event:model_reply", "done"])

    def test_retries_spent(self):
        steps = [{"reply": "x", "fail": {"status": 500, "times": 100, "body": '{"error":{"message":"overloaded"}}'}}]
        t0 = time.monotonic()
        d, ending = self.run_worker(self.hello(steps, model={"retries": 2, "retry_delay_usec": 100000}))
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)  # 100 ms, then 200 ms
        self.assertEqual(ending["type"], "error")
        self.assertEqual(ending["reason"], "model server said HTTP 500: overloaded (gave up after 3 tries)")
        self.assertEqual([e["data"]["text"].rsplit("; ", 1)[1] for e in d.events("note")],
                         ["retry 1 of 2 in 100ms", "retry 2 of 2 in 200ms"])
        self.assertEqual(len(self.standin.requests(self.name)), 3)
        self.assertExitsWithin(d, 5, status=0)

    def test_429_is_retried(self):
        steps = [{"reply": "ok", "fail": {"status": 429, "times": 1}}]
        d, ending = self.run_worker(self.hello(steps))
        self.assertEqual(ending["result"], "ok")
        self.assertIn("HTTP 429", d.events("note")[0]["data"]["text"])

    def test_client_error_is_not_retried(self):
        steps = [{"reply": "x", "fail": {"status": 401, "times": 100, "body": "no such key"}}]
        d, ending = self.run_worker(self.hello(steps))
        self.assertEqual(ending["reason"], "model server refused the request: HTTP 401: no such key")
        self.assertEqual(d.events("note"), [])
        self.assertEqual(len(self.standin.requests(self.name)), 1)

    def test_malformed_body_is_retried_then_error(self):
        for form in ("garbage", "no_choices"):
            with self.subTest(form=form):
                name = "%s_%s" % (self.name, form)
                d, ending = self.run_worker(self.hello(task=self.scenario([{"malformed": form}], name)))
                self.assertEqual(ending["type"], "error")
                self.assertIn("reply is not a chat completion", ending["reason"])
                self.assertIn("gave up after 3 tries", ending["reason"])
                self.assertEqual(len(d.events("note")), 2)
                self.assertEqual(len(self.standin.requests(name)), 3)

    def test_bad_tool_arguments_go_back_to_the_model(self):
        steps = [{"malformed": "bad_arguments", "tool": "finish"}, {"reply": "recovered"}]
        d, ending = self.run_worker(self.hello(steps))
        self.assertEqual(ending["result"], "recovered")
        (result,) = self.tool_results(d)
        self.assertFalse(result["ok"])
        self.assertIn("not a valid JSON object", result["result"])
        self.assertIn("unparsed", d.events("tool_call")[0]["data"]["arguments"])

    def test_timeout_is_retried(self):
        t0 = time.monotonic()
        d, ending = self.run_worker(self.hello([{"hang": True}], model={"timeout_usec": 300000, "retries": 1}))
        self.assertLess(time.monotonic() - t0, 5)
        self.assertTrue(ending["reason"].startswith("model server unreachable: "), ending["reason"])
        self.assertIn("gave up after 2 tries", ending["reason"])
        self.assertEqual(len(self.standin.requests(self.name)), 2)

    def test_unreachable_server(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        hello = make_hello("http://127.0.0.1:%d/v1" % port, task="x")
        d, ending = self.run_worker(hello)
        self.assertTrue(ending["reason"].startswith("model server unreachable: "), ending["reason"])
        self.assertEqual(len(d.events("note")), 2)


class ToolsTest(WorkerTestCase):
    def test_schemas_follow_settings(self):
        tools = ["shell", "read_file", "write_file", "notes"]
        self.run_worker(self.hello([{"reply": "x"}], settings={"tools": tools}))
        offered = self.standin.requests(self.name)[-1]["body"]["tools"]
        self.assertEqual(sorted(t["function"]["name"] for t in offered),
                         sorted(["finish", "no_work", "ask_human"] + tools))
        for t in offered:
            self.assertEqual(t["type"], "function")
            self.assertEqual(t["function"]["parameters"]["type"], "object")

    def test_tool_not_enabled(self):
        steps = [{"tool": "shell", "arguments": {"command": "touch %s/x" % self.tmp.name}}, {"reply": "x"}]
        d, _ = self.run_worker(self.hello(steps))
        (result,) = self.tool_results(d)
        self.assertFalse(result["ok"])
        self.assertIn("may not use the tool \"shell\"", result["result"])
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "x")))

    def shell_hello(self, command, **settings):
        ws = os.path.join(self.tmp.name, "ws")
        os.makedirs(ws, exist_ok=True)
        steps = [{"tool": "shell", "arguments": {"command": command}}, {"echo_last_tool_result": True}]
        settings = dict({"tools": ["shell"], "workspace": ws}, **settings)
        return self.hello(steps, settings=settings), ws

    def test_shell_status_output_and_workspace(self):
        hello, ws = self.shell_hello("pwd; echo out; echo err >&2; exit 3")
        d, ending = self.run_worker(hello)
        self.assertEqual(ending["result"], "exit status 3\n%s\nout\nerr\n" % ws)
        self.assertFalse(self.tool_results(d)[0]["ok"])

    def test_shell_timeout_kills_the_process_group(self):
        hello, ws = self.shell_hello("sleep 30 & echo $! > bg.pid; sleep 30", shell_timeout_usec=500000)
        t0 = time.monotonic()
        d, ending = self.run_worker(hello)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertTrue(ending["result"].startswith("timed out after 500ms; the command was killed"),
                        ending["result"])
        self.assertFalse(self.tool_results(d)[0]["ok"])
        with open(os.path.join(ws, "bg.pid")) as f:
            bg = int(f.read())
        self.wait_for("the background job being killed", lambda: not pid_alive(bg))

    def test_shell_output_cap(self):
        hello, _ = self.shell_hello("head -c 100000 /dev/zero | tr '\\0' x", output_cap=1000)
        d, ending = self.run_worker(hello)
        self.assertEqual(ending["result"],
                         "exit status 0\n" + "x" * 1000 + "\n[output truncated: 99000 more bytes not shown]")
        self.assertTrue(self.tool_results(d)[0]["ok"])

    def test_cancel_during_a_shell_command(self):
        hello, ws = self.shell_hello("echo $$ > sh.pid; sleep 30")
        d = self.daemon()
        d.run(hello, on_message=lambda m: m.get("kind") == "tool_call")
        pid_file = os.path.join(ws, "sh.pid")
        self.wait_for("the command starting", lambda: os.path.exists(pid_file) and os.path.getsize(pid_file) > 0)
        with open(pid_file) as f:
            sh = int(f.read())
        d.send({"type": "cancel", "reason": "stop"})
        self.assertExitsWithin(d, 2, status=0)
        self.wait_for("the command being killed", lambda: not pid_alive(sh))

    def test_files_stay_in_the_workspace(self):
        ws = os.path.join(self.tmp.name, "ws")
        os.makedirs(ws)
        with open(os.path.join(self.tmp.name, "secret.txt"), "w") as f:
            f.write("outside")
        os.symlink(self.tmp.name, os.path.join(ws, "link"))
        calls = [
            ("write_file", {"path": "sub/a.txt", "content": "hello"}, True, "wrote 5 bytes"),
            ("read_file", {"path": "sub/a.txt"}, True, "hello"),
            ("read_file", {"path": os.path.join(ws, "sub", "a.txt")}, True, "hello"),
            ("read_file", {"path": "../secret.txt"}, False, "\"..\" escapes it"),
            ("read_file", {"path": "sub/../../secret.txt"}, False, "\"..\" escapes it"),
            ("read_file", {"path": os.path.join(self.tmp.name, "secret.txt")}, False, "is outside the workspace"),
            ("write_file", {"path": "/etc/shiftd-test-evil", "content": "x"}, False, "is outside the workspace"),
            ("read_file", {"path": "link/secret.txt"}, False, "through a symbolic link"),
            ("write_file", {"path": "link/evil.txt", "content": "x"}, False, "through a symbolic link"),
            ("read_file", {"path": "missing.txt"}, False, "No such file"),
        ]
        steps = [{"tool_calls": [{"name": n, "arguments": a} for n, a, _, _ in calls]},
                 {"tool": "finish", "arguments": {"result": "done"}}]
        settings = {"tools": ["read_file", "write_file"], "workspace": ws}
        d, ending = self.run_worker(self.hello(steps, settings=settings))
        self.assertEqual(ending["result"], "done")
        results = self.tool_results(d)
        self.assertEqual(len(results), len(calls))
        for (name, args, ok, text), got in zip(calls, results):
            with self.subTest(tool=name, args=args):
                self.assertEqual(got["ok"], ok, got["result"])
                self.assertIn(text, got["result"])
        with open(os.path.join(ws, "sub", "a.txt")) as f:
            self.assertEqual(f.read(), "hello")
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "evil.txt")))
        self.assertFalse(os.path.exists("/etc/shiftd-test-evil"))

    def test_files_without_a_workspace(self):
        steps = [{"tool": "read_file", "arguments": {"path": "a"}}, {"reply": "x"}]
        d, _ = self.run_worker(self.hello(steps, settings={"tools": ["read_file"]}))
        self.assertIn("no workspace", self.tool_results(d)[0]["result"])

    def test_read_file_cap(self):
        ws = os.path.join(self.tmp.name, "ws")
        os.makedirs(ws)
        with open(os.path.join(ws, "big.txt"), "w") as f:
            f.write("y" * 5000)
        steps = [{"tool": "read_file", "arguments": {"path": "big.txt"}}, {"echo_last_tool_result": True}]
        settings = {"tools": ["read_file"], "workspace": ws, "output_cap": 100}
        _, ending = self.run_worker(self.hello(steps, settings=settings))
        self.assertEqual(ending["result"], "y" * 100 + "\n[truncated: showing 100 of 5000 bytes]")

    def test_notes(self):
        notes = os.path.join(self.tmp.name, "notes", "tester.md")
        calls = [("read", None, True, "(no notes yet)"), ("write", "first", True, "notes replaced"),
                 ("append", "second", True, "appended"), ("read", None, True, "first\nsecond\n"),
                 ("erase", None, False, "action must be"), ("write", None, False, "needs \"text\"")]
        args = [dict({"action": a}, **({"text": t} if t is not None else {})) for a, t, _, _ in calls]
        steps = [{"tool_calls": [{"name": "notes", "arguments": a} for a in args]}, {"reply": "x"}]
        d, _ = self.run_worker(self.hello(steps, settings={"tools": ["notes"], "notes_path": notes}))
        results = self.tool_results(d)
        self.assertEqual(len(results), len(calls))
        for (action, _, ok, text), got in zip(calls, results):
            with self.subTest(action=action):
                self.assertEqual(got["ok"], ok, got["result"])
                self.assertIn(text, got["result"])
        with open(notes) as f:
            self.assertEqual(f.read(), "first\nsecond\n")


def words(text):
    return len(text.split())


class AnthropicTest(WorkerTestCase):
    """provider "anthropic": the Messages API at the request boundary, with the
    same retries; the conversation the worker keeps stays Chat-shaped."""

    KEY = "sk-ant-TEST-an7hr0p1c-0123456789"

    def hello(self, steps=None, **overrides):
        model = dict({"provider": "anthropic"}, **overrides.pop("model", {}))
        return super().hello(steps, model=model, **overrides)

    def test_tool_use_both_ways(self):
        ws = os.path.join(self.tmp.name, "ws")
        os.makedirs(ws)
        steps = [{"reply": "Two checks.", "tool_calls": [
                      {"name": "shell", "arguments": {"command": "echo one"}},
                      {"name": "shell", "arguments": {"command": "echo two"}}]},
                 {"tool": "finish", "arguments": {"result": "both ran"}}]
        d, ending = self.run_worker(self.hello(steps, settings={"tools": ["shell"], "workspace": ws},
                                               model={"api_key": self.KEY}))
        self.assertEqual((ending["type"], ending["result"]), ("done", "both ran"))

        first, second = self.standin.requests(self.name)
        for r in (first, second):
            self.assertEqual(r["path"], "/v1/messages")
            self.assertEqual(r["x_api_key"], self.KEY)
            self.assertIsNone(r["authorization"])
            self.assertEqual(r["anthropic_version"], "2023-06-01")
            self.assertEqual(r["content_type"], "application/json")
        body = first["body"]
        self.assertEqual(body["model"], "standin")
        self.assertEqual(body["max_tokens"], 4096)
        self.assertIn("Be brief.", body["system"])  # the instructions, in the system prompt
        self.assertEqual([m["role"] for m in body["messages"]], ["user"])
        self.assertEqual(body["messages"][0]["content"],
                         [{"type": "text", "text": "scenario:%s do the work" % self.name}])
        tools = {t["name"]: t for t in body["tools"]}
        self.assertEqual(sorted(tools), ["ask_human", "finish", "no_work", "shell"])
        self.assertEqual(tools["shell"]["input_schema"]["required"], ["command"])
        self.assertTrue(tools["finish"]["description"])

        # The tool uses go back as the model wrote them, their results in one user message.
        messages = second["body"]["messages"]
        self.assertEqual([m["role"] for m in messages], ["user", "assistant", "user"])
        said = messages[1]["content"]
        self.assertEqual(said[0], {"type": "text", "text": "Two checks."})
        self.assertEqual([(b["type"], b["name"], b["input"]) for b in said[1:]],
                         [("tool_use", "shell", {"command": "echo one"}),
                          ("tool_use", "shell", {"command": "echo two"})])
        self.assertTrue(all(b["id"].startswith("toolu_") for b in said[1:]))
        results = messages[2]["content"]
        self.assertEqual([(b["type"], b["tool_use_id"]) for b in results],
                         [("tool_result", said[1]["id"]), ("tool_result", said[2]["id"])])
        self.assertEqual([b["content"] for b in results], ["exit status 0\none\n", "exit status 0\ntwo\n"])

        # Tokens are the stand-in's usage: the words it was sent, and 10 a tool call.
        replies = [e["data"] for e in d.events("model_reply")]
        for reply, request in zip(replies, (first, second)):
            sent = request["body"]
            texts = [sent["system"]] + [b.get("text") or b.get("content") or "" for m in sent["messages"]
                                        for b in m["content"]]
            self.assertEqual(reply["tokens_in"], sum(words(t) for t in texts))
            self.assertEqual(reply["usage"]["input_tokens"], reply["tokens_in"])
        self.assertEqual([r["tokens_out"] for r in replies], [2 + 20, 10])
        self.assertEqual([r["finish_reason"] for r in replies], ["tool_calls", "tool_calls"])
        self.assertEqual(replies[0]["tool_calls"], ["shell", "shell"])

        # The checkpoint keeps the Chat Completions shape.
        checkpoint = [m for m in d.messages if m["type"] == "checkpoint"][-1]["messages"]
        self.assertEqual([m["role"] for m in checkpoint][:5], ["system", "user", "assistant", "tool", "tool"])
        self.assertEqual(checkpoint[2]["tool_calls"][0]["function"]["arguments"], '{"command":"echo one"}')
        self.assertNotIn(self.KEY, json.dumps(d.messages))
        self.assertNotIn("an7hr0p1c", d.stderr())
        self.assertExitsWithin(d, 5, status=0)

    def test_plain_reply_and_no_key(self):
        d, ending = self.run_worker(self.hello([{"reply": "Nothing to report."}]))
        self.assertEqual(ending["result"], "Nothing to report.")
        (request,) = self.standin.requests(self.name)
        self.assertIsNone(request["x_api_key"])
        self.assertEqual(d.events("model_reply")[0]["data"]["finish_reason"], "stop")

    def test_retry_after_on_overload(self):
        steps = [{"reply": "fine", "fail": {"status": 529, "times": 1, "retry_after": "1"}},
                 {"reply": "fine"}]
        t0 = time.monotonic()
        d, ending = self.run_worker(self.hello(steps, model={"retries": 4, "retry_delay_usec": 100000}))
        self.assertEqual((ending["type"], ending["result"]), ("done", "fine"))
        self.assertGreaterEqual(time.monotonic() - t0, 1.0, "Retry-After: 1 was not honoured")
        self.assertEqual([e["data"]["text"] for e in d.events("note")],
                         ["model server said HTTP 529: stand-in failure 529; retry 1 of 4 in 1s"])
        self.assertEqual(d.types(), ["want_slot", "event:model_call", "free_slot", "event:note",
                                     "want_slot", "free_slot", "event:model_reply", "done"])

    def test_429_then_client_error(self):
        d, ending = self.run_worker(self.hello([{"reply": "ok", "fail": {"status": 429, "times": 1}}]))
        self.assertEqual(ending["result"], "ok")
        self.assertIn("HTTP 429: stand-in failure 429", d.events("note")[0]["data"]["text"])
        name = self.name + "_400"
        steps = [{"reply": "x", "fail": {"status": 400, "times": 100}}]
        d, ending = self.run_worker(self.hello(task=self.scenario(steps, name)))
        self.assertEqual(ending["reason"], "model server refused the request: HTTP 400: stand-in failure 400")
        self.assertEqual(len(self.standin.requests(name)), 1)

    def test_malformed_and_error_replies(self):
        for form, why in (("garbage", "not a JSON object"), ("no_choices", "no content")):
            with self.subTest(form=form):
                name = "%s_%s" % (self.name, form)
                d, ending = self.run_worker(self.hello(task=self.scenario([{"malformed": form}], name)))
                self.assertIn("reply is not a Messages API reply: " + why, ending["reason"])
                self.assertIn("gave up after 3 tries", ending["reason"])
        name = self.name + "_error"
        body = json.dumps({"type": "error", "error": {"type": "api_error", "message": "try later"}})
        d, ending = self.run_worker(self.hello(
            task=self.scenario([{"fail": {"status": 200, "times": 100, "body": body}}], name)))
        self.assertIn("reply is not a Messages API reply: it holds an error: try later", ending["reason"])

    def test_bad_tool_input_goes_back_to_the_model(self):
        steps = [{"malformed": "bad_arguments", "tool": "finish"}, {"reply": "recovered"}]
        d, ending = self.run_worker(self.hello(steps))
        self.assertEqual(ending["result"], "recovered")
        (result,) = self.tool_results(d)
        self.assertFalse(result["ok"])
        # What did not parse goes back as {} (the API wants an object).
        said = self.standin.requests(self.name)[1]["body"]["messages"][1]["content"]
        self.assertEqual([(b["type"], b["input"]) for b in said], [("tool_use", {})])

    def test_unknown_provider(self):
        d, ending = self.run_worker(self.hello([{"reply": "x"}], model={"provider": "acme"}))
        self.assertEqual(ending["type"], "error")
        self.assertIn('unknown model provider "acme" (expected openai or anthropic)', ending["reason"])
        self.assertEqual(self.standin.requests(self.name), [])


class DelegationTest(WorkerTestCase):
    """start_run: the worker asks the daemon and waits for its reply; with
    wait it checkpoints and ends with `wait`; resumed, the child's outcome is
    the call's result."""

    @staticmethod
    def start(agent, task, wait):
        return {"name": "start_run", "arguments": {"agent": agent, "task": task, "wait": wait}}

    def test_offered_only_when_the_daemon_lists_it(self):
        self.run_worker(self.hello([{"reply": "x"}]))
        self.run_worker(self.hello([{"reply": "x"}], settings={"tools": ["start_run"],
                                                               "delegates": ["writer", "editor"]}))
        bodies = [r["body"]["tools"] for r in self.standin.requests(self.name)]
        offered = [[t["function"]["name"] for t in tools] for tools in bodies]
        self.assertNotIn("start_run", offered[-2])
        self.assertIn("start_run", offered[-1])
        schema = next(t["function"] for t in bodies[-1] if t["function"]["name"] == "start_run")
        # the model is told whom it may start
        self.assertEqual(schema["parameters"]["properties"]["agent"]["enum"], ["writer", "editor"])

    def test_replies_refusals_and_a_wait(self):
        calls = [self.start("writer", "draft", False), self.start("ghost", "x", False),
                 {"name": "start_run", "arguments": {"agent": "writer"}},
                 self.start("writer", "edit", True), {"name": "finish", "arguments": {"result": "too early"}}]
        steps = [{"tool_calls": calls}, {"echo_last_tool_result": True}]
        d = self.daemon()
        names = iter(["writer-1111", "writer-2222"])
        requests = []

        def on_message(msg):
            if msg["type"] == "start_run":
                requests.append({k: msg[k] for k in ("agent", "task", "wait")})
                if msg["agent"] == "ghost":
                    d.send({"type": "reply", "id": msg["id"], "ok": False, "error": "no agent named \"ghost\""})
                else:
                    d.send({"type": "reply", "id": msg["id"], "ok": True, "run": next(names)})
                return False
            return msg["type"] == "wait"
        ending = d.run(self.hello(steps, settings={"tools": ["start_run"]}), on_message=on_message)
        d.ack(ending)
        self.assertExitsWithin(d, 5, status=0)
        # the call without a task never reached the daemon
        self.assertEqual(requests, [{"agent": "writer", "task": "draft", "wait": False},
                                    {"agent": "ghost", "task": "x", "wait": False},
                                    {"agent": "writer", "task": "edit", "wait": True}])
        results = self.tool_results(d)
        self.assertEqual([r["ok"] for r in results], [True, False, False])
        self.assertIn("started run writer-1111", results[0]["result"])
        self.assertEqual(results[1]["result"], "no agent named \"ghost\"")
        self.assertIn("needs a \"task\"", results[2]["result"])
        self.assertEqual(d.types()[-2:], ["checkpoint", "wait"])
        self.assertEqual(ending["child"], "writer-2222")
        messages = d.messages[-2]["messages"]
        wait_id, finish_id = [c["id"] for c in messages[2]["tool_calls"]][3:]
        self.assertEqual(ending["tool_call_id"], wait_id)
        self.assertEqual(messages[-1], {"role": "tool", "tool_call_id": finish_id,
                                        "content": "not run: the run paused to wait for a child run"})

        resume = self.hello(task=None, messages=messages, step=1, attempt=2, answer="the edited draft",
                            settings={"tools": ["start_run"]})
        d2, ending2 = self.run_worker(resume)
        self.assertEqual((ending2["type"], ending2["result"]), ("done", "the edited draft"))
        seen = self.standin.requests(self.name)[-1]["body"]["messages"]
        self.assertIn({"role": "tool", "tool_call_id": wait_id, "content": "the edited draft"}, seen)
        self.assertExitsWithin(d2, 5, status=0)


def pid_alive(pid):
    """True while pid runs (a zombie awaiting its reaper counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def main():
    global WORKER, STANDIN
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--worker", default=os.environ.get("SHIFTD_WORKER_PATH", WORKER))
    parser.add_argument("--standin", default=os.environ.get("SHIFTD_MODEL_STANDIN", STANDIN))
    args, rest = parser.parse_known_args()
    WORKER, STANDIN = args.worker, args.standin
    if not os.access(WORKER, os.X_OK):
        sys.exit("shiftd-worker not found at %s (build first, or pass --worker)" % WORKER)
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
