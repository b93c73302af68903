#!/usr/bin/python3
"""A stand-in for a real model: an OpenAI-compatible Chat Completions server
(and the Anthropic Messages API beside it) with scripted replies, used by the
tests, the benchmark and the demo.

It does not think. A request picks a *scenario* with the token
`scenario:NAME` in its first user (or system) message; the *step* is the
number of assistant messages already in the request, so a resumed
conversation continues the script with no state kept here. Without a token
the default scenario calls `finish` at once. Both APIs play the same scripts
and count the same usage for the same conversation.

Like a real server it refuses a prompt longer than a limit (a scenario's
`max_prompt_tokens`, else --max-prompt-tokens) with HTTP 400. A prompt's
tokens are its messages' whitespace-separated words. A conversation the
worker compacted holds a summary message that says how many model turns it
stands for; they count as steps. A request for such a summary (the worker's
summarization prompt says "shiftd context compaction") is answered with a
short summary.

A step with `"gate": NAME` answers only once the test opens that gate
(POST /_control/open {"name": NAME}): the test acts at a known point of a
run (between two tool calls, say) without guessing at times.

Python 3 standard library only (>= 3.9).
"""

import argparse
import json
import os
import re
import select
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_NAME = "shiftd-standin"
SCENARIO_RE = re.compile(r"scenario:([A-Za-z0-9_.\-]+)")
# src/worker/context-fit.c: its summarization prompt, and the summary message
SUMMARIZE_MARKER = "shiftd context compaction"
SUMMARY_RE = re.compile(r"^Summary of the earlier part of this run \((\d+) model turns")
MAX_BODY = 64 * 1024 * 1024


class StandinState:
    """Everything the handlers share; one lock guards it all."""

    def __init__(self, default_delay, max_prompt_tokens=None):
        self.lock = threading.Lock()
        self.scenarios = {}
        self.limits = {}
        self.max_prompt_tokens = max_prompt_tokens
        self.requests = []
        self.fail_counts = {}
        self.inflight = 0
        self.max_inflight = 0
        self.seq = 0
        self.call_seq = 0
        self.default_delay = default_delay
        self.stopping = threading.Event()
        self.log_file = None
        self.gates = {}

    def set_scenario(self, name, steps, max_prompt_tokens=None):
        if not isinstance(name, str) or not SCENARIO_RE.fullmatch("scenario:" + name):
            raise ValueError("scenario name must match [A-Za-z0-9_.-]+")
        if not isinstance(steps, list) or not steps or not all(isinstance(s, dict) for s in steps):
            raise ValueError("steps must be a non-empty list of objects")
        if max_prompt_tokens is not None and (not isinstance(max_prompt_tokens, int) or
                                              isinstance(max_prompt_tokens, bool) or max_prompt_tokens < 1):
            raise ValueError("max_prompt_tokens must be a positive integer")
        with self.lock:
            self.scenarios[name] = steps
            self.limits[name] = max_prompt_tokens

    def gate(self, name):
        """The named gate (made closed on first use)."""
        with self.lock:
            return self.gates.setdefault(name, threading.Event())

    def get_steps(self, name):
        with self.lock:
            return self.scenarios.get(name)

    def prompt_limit(self, name):
        """The scenario's limit, else the server's; None: no limit."""
        with self.lock:
            limit = self.limits.get(name) if name is not None else None
            return limit if limit is not None else self.max_prompt_tokens

    def reset(self):
        with self.lock:
            self.requests = []
            self.fail_counts = {}
            self.max_inflight = self.inflight
            self.seq = 0

    def record(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.requests.append(entry)
            return self.seq

    def take_failure(self, scenario, step, times):
        """True while this (scenario, step) still owes the client a failure."""
        with self.lock:
            key = (scenario, step)
            done = self.fail_counts.get(key, 0)
            if done >= times:
                return False
            self.fail_counts[key] = done + 1
            return True

    def next_call_id(self, prefix="call_"):
        with self.lock:
            self.call_seq += 1
            return "%s%d" % (prefix, self.call_seq)

    def enter(self):
        with self.lock:
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)

    def leave(self):
        with self.lock:
            self.inflight -= 1

    def stats(self):
        with self.lock:
            return {"requests": len(self.requests), "inflight": self.inflight,
                    "max_inflight": self.max_inflight}

    def log(self, text):
        if self.log_file is None:
            return
        with self.lock:
            self.log_file.write("%.3f %s\n" % (time.time(), text))
            self.log_file.flush()


def message_text(message):
    """The text of a chat message whose content may be a string or a list of parts."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content
                         if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def block_text(block):
    """The text of a Messages API content block: text, or a tool_result's content."""
    if not isinstance(block, dict):
        return ""
    if block.get("type") == "text" and isinstance(block.get("text"), str):
        return block["text"]
    if block.get("type") == "tool_result":
        return message_text(block)
    return ""


def anthropic_text(message):
    """The text of a Messages API message (or a system value): string or blocks."""
    content = message.get("content") if isinstance(message, dict) else message
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(block_text(b) for b in content)
    return ""


def find_scenario(messages):
    """The scenario named in the first user message, else in a system message."""
    firsts = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"][:1]
    systems = [m for m in messages if isinstance(m, dict) and m.get("role") == "system"]
    for message in firsts + systems:
        match = SCENARIO_RE.search(message_text(message))
        if match:
            return match.group(1)
    return None


def prompt_tokens(messages):
    return sum(len(message_text(m).split()) for m in messages if isinstance(m, dict))


def is_summary_request(messages):
    return any(SUMMARIZE_MARKER in message_text(m) for m in messages
               if isinstance(m, dict) and m.get("role") == "system")


def step_of(messages):
    """Model turns so far: the assistant messages, and those a summary stands for."""
    step = 0
    for m in messages:
        if not isinstance(m, dict):
            continue
        if m.get("role") == "assistant":
            step += 1
        elif m.get("role") == "user":
            match = SUMMARY_RE.match(message_text(m))
            if match:
                step += int(match.group(1))
    return step


def scripted_content(spec, last_tool_result):
    """The text a step says: its reply, so many bytes, or the last tool result
    (last_tool_result() gives it in the API's own shape)."""
    content = spec.get("reply")
    if spec.get("reply_bytes"):
        content = "x" * int(spec["reply_bytes"])
    if spec.get("echo_last_tool_result"):
        content = last_tool_result()
    return content


def scripted_calls(spec):
    """The tool calls a step makes: {"name", "arguments"} each."""
    calls = []
    if "tool" in spec:
        calls.append({"name": spec["tool"], "arguments": spec.get("arguments", {})})
    calls.extend(spec.get("tool_calls") or [])
    if spec.get("malformed") == "bad_arguments" and not calls:
        calls.append({"name": "finish", "arguments": {}})
    return calls


def scripted_usage(spec, lookup, content, calls):
    """(prompt, completion) tokens, the same for both APIs; a step's "usage"
    gives them exactly, for tests of token accounting."""
    usage = spec.get("usage") or {}
    return (int(usage.get("prompt_tokens", prompt_tokens(lookup))),
            int(usage.get("completion_tokens", len((content or "").split()) + 10 * len(calls))))


def first_user_text(messages):
    for m in messages:
        if isinstance(m, dict) and m.get("role") == "user":
            return message_text(m)
    return ""


def shorten(text, limit=80):
    line = text.strip().split("\n", 1)[0].strip()
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "shiftd-model-standin/1"
    state = None  # set on the class by main()

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        self.state.log("%s %s" % (self.address_string(), format % args))

    # --- plumbing -----------------------------------------------------------

    def send_json(self, status, obj, headers=None):
        self.send_bytes(status, json.dumps(obj).encode("utf-8"), "application/json", headers)

    def send_bytes(self, status, body, content_type="application/json", headers=None):
        # The call ends before its answer goes out: once the client has the
        # answer it may start another call, which must not overlap this one.
        self.end_call()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def end_call(self):
        if getattr(self, "in_call", False):
            self.in_call = False
            self.state.leave()

    def send_error_json(self, status, message, kind="invalid_request_error"):
        if getattr(self, "api", None) == "anthropic":
            self.send_json(status, {"type": "error", "error": {"type": kind, "message": message}})
            return
        self.send_json(status, {"error": {"message": message, "type": kind}})

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length) if length else b""

    def client_gone(self):
        """True once the client has closed its end (readable with nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def wait(self, seconds, gate=None):
        """Wait (for a time, or until gate is set), but stop early when the
        server stops or the client leaves."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while not self.state.stopping.is_set():
            if self.client_gone():
                return False
            if gate is not None and gate.is_set():
                return True
            remaining = 0.1 if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                return True
            (gate or self.state.stopping).wait(min(remaining, 0.1))
        return False

    # --- routes -------------------------------------------------------------

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path in ("/v1/models", "/models"):
            self.send_json(200, {"object": "list", "data": [
                {"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "shiftd"}]})
        elif path == "/_control/requests":
            with self.state.lock:
                body = json.dumps(self.state.requests)
            self.send_bytes(200, body.encode("utf-8"))
        elif path == "/_control/stats":
            self.send_json(200, self.state.stats())
        else:
            self.send_error_json(404, "no such path: %s" % path)

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        try:
            raw = self.read_body()
        except ValueError as e:
            self.send_error_json(400, str(e))
            return
        apis = {"/v1/chat/completions": "openai", "/chat/completions": "openai",
                "/v1/messages": "anthropic", "/messages": "anthropic"}
        if path in apis:
            self.api = apis[path]
            self.state.enter()
            self.in_call = True
            try:
                self.chat(path, raw)
            finally:
                self.end_call()
                self.api = None
        elif path == "/_control/scenario":
            try:
                spec = json.loads(raw.decode("utf-8"))
                self.state.set_scenario(spec.get("name"), spec.get("steps"), spec.get("max_prompt_tokens"))
            except (ValueError, AttributeError) as e:
                self.send_error_json(400, "bad scenario: %s" % e)
                return
            self.send_json(200, {"ok": True})
        elif path == "/_control/open":
            try:
                self.state.gate(str(json.loads(raw.decode("utf-8"))["name"])).set()
            except (ValueError, KeyError, TypeError) as e:
                self.send_error_json(400, "bad gate: %s" % e)
                return
            self.send_json(200, {"ok": True})
        elif path == "/_control/reset":
            self.state.reset()
            self.send_json(200, {"ok": True})
        else:
            self.send_error_json(404, "no such path: %s" % path)

    # --- chat completions -----------------------------------------------------

    def chat(self, path, raw):
        """One call of either API: the same script, the API's own shapes."""
        anthropic = self.api == "anthropic"
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = None
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list):
            messages = []
        if anthropic:
            # The scenario token may be in the system text, as in a system message.
            system = body.get("system") if isinstance(body, dict) else None
            lookup = [{"role": "system", "content": anthropic_text(system)}] + \
                [{"role": m.get("role"), "content": anthropic_text(m)} for m in messages if isinstance(m, dict)]
        else:
            lookup = messages
        scenario = find_scenario(lookup)
        step = step_of(lookup)
        tokens = prompt_tokens(lookup)
        limit = self.state.prompt_limit(scenario)
        summary = is_summary_request(lookup)
        refused = limit is not None and tokens > limit
        entry = {"time": time.time(), "path": path, "api": self.api, "scenario": scenario, "step": step,
                 "authorization": self.headers.get("Authorization"), "body": body,
                 "prompt_tokens": tokens, "summary": summary, "refused": refused}
        if anthropic:
            entry["x_api_key"] = self.headers.get("x-api-key")
            entry["anthropic_version"] = self.headers.get("anthropic-version")
            entry["content_type"] = self.headers.get("content-type")
        seq = self.state.record(entry)
        # Never a key's value: this log may be kept as a test artifact.
        self.state.log("%s #%d scenario=%s step=%d auth=%s" % (
            "messages" if anthropic else "chat", seq, scenario, step,
            "yes" if self.headers.get("Authorization") or self.headers.get("x-api-key") else "no"))

        if body is None or not isinstance(body.get("messages"), list):
            self.send_error_json(400, "request body must be a JSON object with \"messages\"")
            return

        if anthropic and not isinstance(body.get("max_tokens"), int):
            self.send_error_json(400, "max_tokens: Field required")
            return

        if refused:
            message = "prompt is too long: %d tokens > %d" % (tokens, limit)
            if anthropic:
                self.send_error_json(400, message)
            else:
                self.send_json(400, {"error": {"message": message, "type": "invalid_request_error",
                                               "param": "messages", "code": "context_length_exceeded"}})
            return

        if summary:
            words = prompt_tokens(lookup[1:])
            spec = {"reply": "Stand-in summary: the earlier turns (%d words) ran tools and went on "
                             "with the task." % words}
        elif scenario is None:
            task = shorten(first_user_text(lookup)) or "(no task)"
            spec = {"tool": "finish",
                    "arguments": {"result": "Stand-in model finished: %s" % task},
                    "delay": self.state.default_delay}
        else:
            steps = self.state.get_steps(scenario)
            if steps is None:
                self.send_error_json(400, "unknown scenario %r" % scenario)
                return
            spec = steps[min(step, len(steps) - 1)]

        if spec.get("delay") and not self.wait(float(spec["delay"])):
            self.close_connection = True
            return
        if spec.get("gate") and not self.wait(None, self.state.gate(str(spec["gate"]))):
            self.close_connection = True
            return

        fail = spec.get("fail")
        if isinstance(fail, dict) and self.state.take_failure(scenario, step, int(fail.get("times", 1))):
            status = int(fail.get("status", 503))
            headers = {}
            if fail.get("retry_after") is not None:
                headers["Retry-After"] = str(fail["retry_after"])
            text = fail.get("body")
            if text is None and anthropic:
                kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
                text = json.dumps({"type": "error", "error": {"type": kind,
                                                              "message": "stand-in failure %d" % status}})
            elif text is None:
                text = json.dumps({"error": {"message": "stand-in failure %d" % status,
                                             "type": "server_error"}})
            self.send_bytes(status, text.encode("utf-8"), headers=headers)
            return

        if spec.get("hang"):
            self.wait(None)
            self.close_connection = True
            return
        if anthropic:
            self.reply_anthropic(body, messages, spec, lookup)
        else:
            self.reply(body, messages, spec)

    def reply(self, body, messages, spec):
        malformed = spec.get("malformed")
        if malformed == "garbage":
            self.send_bytes(200, b"<html>this is not a chat completion", "text/html")
            return
        if malformed == "no_choices":
            self.send_json(200, {"id": "chatcmpl-standin", "object": "chat.completion",
                                 "model": body.get("model") or MODEL_NAME})
            return

        if malformed == "deep":
            depth = 60000
            self.send_bytes(200, b'{"choices":[{"message":{"role":"assistant","content":"x","tool_calls":' +
                            b"[" * depth + b"]" * depth + b'}}]}')
            return

        def last_tool_result():
            tools = [m for m in messages if isinstance(m, dict) and m.get("role") == "tool"]
            return message_text(tools[-1]) if tools else ""
        content = scripted_content(spec, last_tool_result)
        calls = scripted_calls(spec)

        message = {"role": "assistant", "content": content}
        if calls:
            message["tool_calls"] = []
            for call in calls:
                if malformed == "bad_arguments":
                    arguments = "{\"result\": oops, not json"
                else:
                    arguments = json.dumps(call.get("arguments", {}))
                message["tool_calls"].append({
                    "id": self.state.next_call_id(), "type": "function",
                    "function": {"name": call.get("name"), "arguments": arguments}})
        elif content is None:
            message["content"] = ""

        tokens, completion_tokens = scripted_usage(spec, messages, content, calls)
        self.send_json(200, {
            "id": "chatcmpl-standin-%d" % int(time.time() * 1000),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or MODEL_NAME,
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": tokens, "completion_tokens": completion_tokens,
                      "total_tokens": tokens + completion_tokens},
        })

    def reply_anthropic(self, body, messages, spec, lookup):
        """The Messages API's answer to the same step: content blocks, stop_reason,
        usage counted as the chat path counts it for the same conversation."""
        malformed = spec.get("malformed")
        if malformed == "garbage":
            self.send_bytes(200, b"<html>this is not a message", "text/html")
            return
        if malformed == "no_choices":
            self.send_json(200, {"id": "msg_standin", "type": "message", "role": "assistant",
                                 "model": body.get("model") or MODEL_NAME})
            return
        if malformed == "deep":
            depth = 60000
            self.send_bytes(200, b'{"type":"message","content":[{"type":"text","text":"x","input":' +
                            b"[" * depth + b"]" * depth + b'}]}')
            return

        def last_tool_result():
            results = [b for m in messages if isinstance(m, dict) and isinstance(m.get("content"), list)
                       for b in m["content"] if isinstance(b, dict) and b.get("type") == "tool_result"]
            return block_text(results[-1]) if results else ""
        content = scripted_content(spec, last_tool_result)
        calls = scripted_calls(spec)

        blocks = []
        if content:
            blocks.append({"type": "text", "text": content})
        for call in calls:
            # Messages API input is always JSON; a string stands in for arguments that do not parse.
            tool_input = "{\"result\": oops, not json" if malformed == "bad_arguments" else call.get("arguments", {})
            blocks.append({"type": "tool_use", "id": self.state.next_call_id("toolu_"),
                           "name": call.get("name"), "input": tool_input})

        input_tokens, output_tokens = scripted_usage(spec, lookup, content, calls)
        self.send_json(200, {
            "id": "msg_standin_%d" % int(time.time() * 1000),
            "type": "message",
            "role": "assistant",
            "model": body.get("model") or MODEL_NAME,
            "content": blocks,
            "stop_reason": "tool_use" if calls else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        })


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the port here (atomically) once listening")
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds the default scenario waits before answering")
    parser.add_argument("--log-file", help="append one line per request here")
    parser.add_argument("--scenarios", help="a JSON file {name: [steps]} to load at start")
    parser.add_argument("--max-prompt-tokens", type=int,
                        help="refuse longer prompts (HTTP 400) unless a scenario says otherwise")
    args = parser.parse_args(argv)

    state = StandinState(args.delay, args.max_prompt_tokens)
    if args.scenarios:
        with open(args.scenarios) as f:
            for name, steps in json.load(f).items():
                state.set_scenario(name, steps)
    if args.log_file:
        state.log_file = open(args.log_file, "a")

    Handler.state = state
    server = Server((args.host, args.port), Handler)
    port = server.server_address[1]

    # Blocked here, so every thread started below inherits the mask and the
    # signals reach only the sigwait() at the end.
    signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    if args.port_file:
        write_port_file(args.port_file, port)
    host = args.host if ":" not in args.host else "[%s]" % args.host
    print("listening on http://%s:%d/v1" % (host, port), flush=True)

    signal.sigwait(signals)
    state.stopping.set()  # ends delays and hangs
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
