#!/usr/bin/python3
"""Self test of tests/model-standin.py: every step form, the request log,
the counters, a clean stop, and the Messages API beside Chat Completions."""

import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.environ.get("SHIFTD_MODEL_STANDIN") or os.path.join(HERE, "..", "model-standin.py")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def start_standin(extra_args=(), tmpdir=None):
    """Start the stand-in on a free port; returns (process, base_url, port_file)."""
    port_file = os.path.join(tmpdir, "port")
    proc = subprocess.Popen([PYTHON, STANDIN, "--port", "0", "--port-file", port_file] + list(extra_args),
                            stdout=subprocess.PIPE, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], 15)
    if not ready:
        proc.kill()
        proc.wait()
        raise RuntimeError("model stand-in did not say it was listening within 15 s")
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on http://"):
        proc.kill()
        proc.wait()
        raise RuntimeError("unexpected first line from the stand-in: %r" % line)
    return proc, line[len("listening on "):], port_file


def stop_process(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout:
        proc.stdout.close()


class Client:
    def __init__(self, base_url):
        self.base = base_url  # ends in /v1
        self.root = base_url[: -len("/v1")]

    def request(self, method, url, body=None, headers=None, timeout=10):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def chat(self, messages, headers=None, timeout=10, path="/v1/chat/completions"):
        return self.request("POST", self.root + path, {"model": "m", "messages": messages}, headers, timeout)

    def chat_json(self, messages, **kw):
        status, _, body = self.chat(messages, **kw)
        if status != 200:
            raise AssertionError("chat answered %d: %r" % (status, body))
        return json.loads(body)

    def scenario(self, name, steps, **extra):
        status, _, body = self.request("POST", self.root + "/_control/scenario",
                                       dict({"name": name, "steps": steps}, **extra))
        if status != 200:
            raise AssertionError("registering scenario %s failed: %r" % (name, body))

    def control(self, what, method="GET"):
        status, _, body = self.request(method, self.root + "/_control/" + what, b"" if method == "POST" else None)
        if status != 200:
            raise AssertionError("/_control/%s answered %d" % (what, status))
        return json.loads(body)


def user(text):
    return {"role": "user", "content": text}


def assistant(text="ok"):
    return {"role": "assistant", "content": text}


class StandinTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="standin-test-")
        scenarios = os.path.join(cls.tmp.name, "scenarios.json")
        with open(scenarios, "w") as f:
            json.dump({"preloaded": [{"reply": "from the file"}]}, f)
        cls.proc, cls.url, cls.port_file = start_standin(["--scenarios", scenarios], cls.tmp.name)
        cls.c = Client(cls.url)

    @classmethod
    def tearDownClass(cls):
        stop_process(cls.proc)
        cls.tmp.cleanup()

    def setUp(self):
        self.c.control("reset", "POST")

    def message(self, reply):
        return reply["choices"][0]["message"]

    def test_port_file_and_banner(self):
        with open(self.port_file) as f:
            port = int(f.read())
        self.assertEqual(self.url, "http://127.0.0.1:%d/v1" % port)
        self.assertEqual([n for n in os.listdir(self.tmp.name) if ".tmp" in n], [])

    def test_models(self):
        status, _, body = self.c.request("GET", self.url + "/models")
        self.assertEqual(status, 200)
        self.assertEqual(len(json.loads(body)["data"]), 1)

    def test_default_finishes_with_the_task(self):
        reply = self.c.chat_json([{"role": "system", "content": "rules"},
                                  user("Tidy the spool directory\nsecond line")])
        self.assertEqual(reply["object"], "chat.completion")
        choice = reply["choices"][0]
        self.assertEqual(choice["finish_reason"], "tool_calls")
        call = choice["message"]["tool_calls"][0]
        self.assertEqual(call["type"], "function")
        self.assertEqual(call["function"]["name"], "finish")
        args = json.loads(call["function"]["arguments"])
        self.assertEqual(args["result"], "Stand-in model finished: Tidy the spool directory")
        self.assertIn("usage", reply)

    def test_reply_steps_and_repeat_last(self):
        self.c.scenario("steps", [{"reply": "zero"}, {"reply": "one"}])
        msgs = [user("scenario:steps go")]
        self.assertEqual(self.message(self.c.chat_json(msgs))["content"], "zero")
        self.assertEqual(self.message(self.c.chat_json(msgs + [assistant()]))["content"], "one")
        late = self.c.chat_json(msgs + [assistant(), user("more"), assistant(), assistant()])
        self.assertEqual(self.message(late)["content"], "one")
        self.assertEqual(late["choices"][0]["finish_reason"], "stop")
        self.assertNotIn("tool_calls", self.message(late))

    def test_scenario_in_system_message_and_short_path(self):
        self.c.scenario("sys", [{"reply": "from system"}])
        msgs = [{"role": "system", "content": "scenario:sys"}, user("no token here")]
        reply = self.c.chat_json(msgs, path="/chat/completions")
        self.assertEqual(self.message(reply)["content"], "from system")

    def test_scenarios_file(self):
        self.assertEqual(self.message(self.c.chat_json([user("scenario:preloaded")]))["content"], "from the file")

    def test_unknown_scenario(self):
        status, _, body = self.c.chat([user("scenario:nobody-registered-this")])
        self.assertEqual(status, 400)
        self.assertIn("unknown scenario", json.loads(body)["error"]["message"])

    def test_tool_and_tool_calls(self):
        self.c.scenario("tools", [{"tool": "no_work", "arguments": {"reason": "empty"}},
                                  {"tool_calls": [{"name": "shell", "arguments": {"command": "ls"}},
                                                  {"name": "finish", "arguments": {"result": "r"}}]}])
        one = self.message(self.c.chat_json([user("scenario:tools")]))
        self.assertEqual(one["tool_calls"][0]["function"]["name"], "no_work")
        self.assertEqual(json.loads(one["tool_calls"][0]["function"]["arguments"]), {"reason": "empty"})
        two = self.message(self.c.chat_json([user("scenario:tools"), assistant()]))
        self.assertEqual([t["function"]["name"] for t in two["tool_calls"]], ["shell", "finish"])
        ids = [t["id"] for t in two["tool_calls"]]
        self.assertEqual(len(set(ids)), 2)
        self.assertTrue(all(i.startswith("call_") for i in ids))

    def test_delay(self):
        self.c.scenario("slow", [{"reply": "late", "delay": 0.4}])
        t0 = time.monotonic()
        self.c.chat_json([user("scenario:slow")])
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)

    def test_fail_then_succeed_and_reset(self):
        self.c.scenario("flaky", [{"reply": "fine", "fail": {"status": 503, "times": 2, "retry_after": "1",
                                                             "body": "busy"}}])
        msgs = [user("scenario:flaky")]
        for _ in range(2):
            status, headers, body = self.c.chat(msgs)
            self.assertEqual((status, headers.get("Retry-After"), body), (503, "1", b"busy"))
        self.assertEqual(self.message(self.c.chat_json(msgs))["content"], "fine")
        self.c.control("reset", "POST")
        self.assertEqual(self.c.chat(msgs)[0], 503)

    def test_fail_counts_per_step(self):
        self.c.scenario("flaky2", [{"reply": "a", "fail": {"status": 429, "times": 1}}])
        self.assertEqual(self.c.chat([user("scenario:flaky2")])[0], 429)
        # step 1 repeats step 0's spec but has its own counter
        self.assertEqual(self.c.chat([user("scenario:flaky2"), assistant()])[0], 429)
        self.assertEqual(self.c.chat([user("scenario:flaky2")])[0], 200)

    def test_malformed(self):
        self.c.scenario("garbage", [{"malformed": "garbage"}])
        status, _, body = self.c.chat([user("scenario:garbage")])
        self.assertEqual(status, 200)
        self.assertRaises(ValueError, json.loads, body)

        self.c.scenario("nochoices", [{"malformed": "no_choices"}])
        reply = self.c.chat_json([user("scenario:nochoices")])
        self.assertNotIn("choices", reply)

        self.c.scenario("badargs", [{"malformed": "bad_arguments", "tool": "finish"}])
        call = self.message(self.c.chat_json([user("scenario:badargs")]))["tool_calls"][0]
        self.assertEqual(call["function"]["name"], "finish")
        self.assertRaises(ValueError, json.loads, call["function"]["arguments"])

    def test_echo_last_tool_result(self):
        self.c.scenario("echo", [{"echo_last_tool_result": True}])
        msgs = [user("scenario:echo"),
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "x", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "first"},
                {"role": "tool", "tool_call_id": "c2", "content": "the answer"}]
        self.assertEqual(self.message(self.c.chat_json(msgs))["content"], "the answer")

    def test_request_log(self):
        self.c.scenario("logged", [{"reply": "x"}])
        self.c.chat_json([user("scenario:logged")], headers={"Authorization": "Bearer k-123"})
        self.c.chat_json([user("scenario:logged"), assistant()])
        log = self.c.control("requests")
        self.assertEqual([r["seq"] for r in log], [1, 2])
        self.assertEqual([r["step"] for r in log], [0, 1])
        self.assertEqual(log[0]["scenario"], "logged")
        self.assertEqual(log[0]["path"], "/v1/chat/completions")
        self.assertEqual(log[0]["authorization"], "Bearer k-123")
        self.assertIsNone(log[1]["authorization"])
        self.assertEqual(log[1]["body"]["messages"][1]["role"], "assistant")
        self.assertIsInstance(log[0]["time"], float)
        self.assertEqual(self.c.control("stats")["requests"], 2)
        self.c.control("reset", "POST")
        self.assertEqual(self.c.control("requests"), [])

    def test_max_inflight_with_concurrent_clients(self):
        self.c.scenario("conc", [{"reply": "x", "delay": 1.0}])
        errors = []

        def one():
            try:
                self.c.chat_json([user("scenario:conc")])
            except Exception as e:  # reported below, in the test's thread
                errors.append(e)

        threads = [threading.Thread(target=one) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
        self.assertEqual(errors, [])
        stats = self.c.control("stats")
        self.assertEqual((stats["requests"], stats["inflight"], stats["max_inflight"]), (4, 0, 4))
        self.c.control("reset", "POST")
        self.assertEqual(self.c.control("stats"), {"requests": 0, "inflight": 0, "max_inflight": 0})

    def test_hang_until_client_gives_up(self):
        self.c.scenario("hang", [{"hang": True}])
        t0 = time.monotonic()
        with self.assertRaises((socket.timeout, urllib.error.URLError, TimeoutError)):
            self.c.chat([user("scenario:hang")], timeout=0.5)
        self.assertLess(time.monotonic() - t0, 5)
        # The server notices the client left and stops counting the request.
        deadline = time.monotonic() + 5
        while self.c.control("stats")["inflight"] != 0:
            if time.monotonic() > deadline:
                self.fail("hung request still counted in flight 5 s after its client left")
            time.sleep(0.05)
        self.assertEqual(self.c.control("stats")["max_inflight"], 1)

    def test_prompt_too_long(self):
        self.c.scenario("small", [{"reply": "fits"}], max_prompt_tokens=5)
        self.assertEqual(self.message(self.c.chat_json([user("scenario:small one two three")]))["content"], "fits")
        status, _, body = self.c.chat([user("scenario:small one two three four five")])
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["error"]["message"], "prompt is too long: 6 tokens > 5")
        self.assertEqual([(r["prompt_tokens"], r["refused"]) for r in self.c.control("requests")],
                         [(4, False), (6, True)])
        status, _, body = self.c.request("POST", self.c.root + "/_control/scenario",
                                         {"name": "bad", "steps": [{}], "max_prompt_tokens": 0})
        self.assertEqual(status, 400)
        self.assertIn("max_prompt_tokens must be a positive integer", json.loads(body)["error"]["message"])

    def test_summary_request_and_compacted_steps(self):
        self.c.scenario("long", [{"reply": "zero"}, {"reply": "one"}, {"reply": "two"}, {"reply": "three"}])
        summary = self.c.chat_json([{"role": "system", "content": "You condense ... (shiftd context compaction)."},
                                    user("The agent's task:\nscenario:long\n\nTurns to summarize:\n[user] hi")])
        self.assertTrue(self.message(summary)["content"].startswith("Stand-in summary:"))
        self.assertNotIn("tool_calls", self.message(summary))
        # a compacted conversation: the summary's model turns count as steps
        compacted = [user("scenario:long"),
                     user("Summary of the earlier part of this run (2 model turns, condensed to fit):\n\nx"),
                     assistant()]
        self.assertEqual(self.message(self.c.chat_json(compacted))["content"], "three")
        self.assertEqual([(r["summary"], r["step"]) for r in self.c.control("requests")], [(True, 0), (False, 3)])

    def test_bad_body(self):
        status, _, _ = self.c.request("POST", self.url + "/chat/completions", b"{not json")
        self.assertEqual(status, 400)
        self.assertEqual(self.c.control("requests")[0]["body"], None)


class StandinMessagesTest(unittest.TestCase):
    """The Anthropic Messages API shape of the same scripts."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="standin-messages-")
        cls.log = os.path.join(cls.tmp.name, "log")
        cls.proc, cls.url, _ = start_standin(["--log-file", cls.log], cls.tmp.name)
        cls.c = Client(cls.url)

    @classmethod
    def tearDownClass(cls):
        stop_process(cls.proc)
        cls.tmp.cleanup()

    def setUp(self):
        self.c.control("reset", "POST")

    def post(self, messages, system=None, path="/v1/messages", headers=None, max_tokens=1024):
        body = {"model": "m", "messages": messages}
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        if system is not None:
            body["system"] = system
        status, hdrs, raw = self.c.request("POST", self.c.root + path, body, headers)
        return status, hdrs, json.loads(raw) if raw.startswith(b"{") else raw

    def ok(self, *args, **kw):
        status, _, reply = self.post(*args, **kw)
        self.assertEqual(status, 200, reply)
        self.assertEqual((reply["type"], reply["role"]), ("message", "assistant"))
        return reply

    def test_default_finishes_with_the_task(self):
        reply = self.ok([{"role": "user", "content": [{"type": "text", "text": "Tidy the spool\nmore"}]}],
                        system="rules")
        self.assertEqual(reply["stop_reason"], "tool_use")
        (block,) = reply["content"]
        self.assertEqual((block["type"], block["name"]), ("tool_use", "finish"))
        self.assertEqual(block["input"], {"result": "Stand-in model finished: Tidy the spool"})
        self.assertTrue(block["id"].startswith("toolu_"))

    def test_script_steps_tool_results_and_usage(self):
        self.c.scenario("msgs", [
            {"reply": "Looking.", "tool_calls": [{"name": "shell", "arguments": {"command": "ls"}},
                                                 {"name": "notes", "arguments": {"action": "read"}}]},
            {"echo_last_tool_result": True}])
        first = self.ok([user("scenario:msgs please")], system="Be brief now")
        self.assertEqual([b["type"] for b in first["content"]], ["text", "tool_use", "tool_use"])
        self.assertEqual(first["content"][0]["text"], "Looking.")
        self.assertEqual(first["usage"], {"input_tokens": 5, "output_tokens": 1 + 20})
        ids = [b["id"] for b in first["content"][1:]]
        self.assertEqual(len(set(ids)), 2)

        results = [{"type": "tool_result", "tool_use_id": ids[0], "content": "a b"},
                   {"type": "tool_result", "tool_use_id": ids[1], "content": "the notes"}]
        second = self.ok([user("scenario:msgs please"), {"role": "assistant", "content": first["content"]},
                          {"role": "user", "content": results}], system="Be brief now")
        self.assertEqual(second["content"], [{"type": "text", "text": "the notes"}])
        self.assertEqual(second["stop_reason"], "end_turn")
        # Counted as the chat path counts the same conversation.
        chat = self.c.chat_json([{"role": "system", "content": "Be brief now"}, user("scenario:msgs please"),
                                 {"role": "assistant", "content": "Looking."},
                                 {"role": "tool", "tool_call_id": ids[0], "content": "a b"},
                                 {"role": "tool", "tool_call_id": ids[1], "content": "the notes"}])
        self.assertEqual(second["usage"], {"input_tokens": chat["usage"]["prompt_tokens"],
                                           "output_tokens": chat["usage"]["completion_tokens"]})
        self.assertEqual(second["usage"]["input_tokens"], 3 + 2 + 1 + 2 + 2)

    def test_scenario_in_system_and_short_path(self):
        self.c.scenario("msys", [{"reply": "from system"}])
        reply = self.ok([user("no token")], system=[{"type": "text", "text": "scenario:msys"}], path="/messages")
        self.assertEqual(reply["content"], [{"type": "text", "text": "from system"}])

    def test_errors_in_the_api_shape(self):
        self.c.scenario("mfail", [{"reply": "fine", "fail": {"status": 529, "times": 1, "retry_after": "2"}}])
        status, headers, reply = self.post([user("scenario:mfail")])
        self.assertEqual((status, headers.get("Retry-After")), (529, "2"))
        self.assertEqual(reply, {"type": "error", "error": {"type": "overloaded_error",
                                                            "message": "stand-in failure 529"}})
        self.assertEqual(self.ok([user("scenario:mfail")])["content"][0]["text"], "fine")
        status, _, reply = self.post([user("scenario:nobody-registered-this")])
        self.assertEqual((status, reply["type"], reply["error"]["type"]), (400, "error", "invalid_request_error"))
        self.assertIn("unknown scenario", reply["error"]["message"])
        status, _, reply = self.post([user("x")], max_tokens=None)
        self.assertEqual((status, reply["type"]), (400, "error"))

    def test_request_log_has_the_key_but_the_log_file_does_not(self):
        self.c.scenario("mlog", [{"reply": "x"}])
        self.ok([user("scenario:mlog")], headers={"x-api-key": "sk-ant-s3cr3t", "anthropic-version": "2023-06-01"})
        self.ok([user("scenario:mlog")])
        log = self.c.control("requests")
        self.assertEqual([(r["api"], r["path"], r["x_api_key"]) for r in log],
                         [("anthropic", "/v1/messages", "sk-ant-s3cr3t"), ("anthropic", "/v1/messages", None)])
        self.assertEqual(log[0]["anthropic_version"], "2023-06-01")
        self.assertEqual(log[0]["body"]["max_tokens"], 1024)
        with open(self.log) as f:
            text = f.read()
        self.assertIn("messages #1 scenario=mlog step=0 auth=yes", text)
        self.assertIn("messages #2 scenario=mlog step=0 auth=no", text)
        self.assertNotIn("s3cr3t", text)


class StandinStopTest(unittest.TestCase):
    def test_sigterm_with_a_hanging_request(self):
        with tempfile.TemporaryDirectory(prefix="standin-stop-") as tmp:
            proc, url, _ = start_standin(["--log-file", os.path.join(tmp, "log")], tmp)
            try:
                c = Client(url)
                c.scenario("hang", [{"hang": True}])
                result = {}

                def hang():
                    try:
                        result["answer"] = c.chat([user("scenario:hang")],
                                                  headers={"Authorization": "Bearer s3cr3t"}, timeout=20)
                    except Exception as e:  # the server closing on us is the expected end
                        result["error"] = e

                t = threading.Thread(target=hang, daemon=True)
                t.start()
                deadline = time.monotonic() + 5
                while c.control("stats")["inflight"] != 1:
                    self.assertLess(time.monotonic(), deadline, "hanging request never arrived")
                    time.sleep(0.02)
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=10), 0)
                t.join(timeout=10)
                self.assertFalse(t.is_alive(), "client still waiting after the server stopped")
                self.assertNotIn("answer", result)
                with open(os.path.join(tmp, "log")) as f:
                    log = f.read()
                self.assertIn("scenario=hang", log)
                self.assertNotIn("s3cr3t", log)
            finally:
                stop_process(proc)


if __name__ == "__main__":
    unittest.main()
