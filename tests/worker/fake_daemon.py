"""Test doubles for the worker tests: the model stand-in, and a daemon that
speaks docs/worker-protocol.md over a socketpair to one shiftd-worker."""

import json
import os
import select
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


class Standin:
    """tests/model-standin.py on a free port, stopped by PID."""

    def __init__(self, path):
        self.tmp = tempfile.TemporaryDirectory(prefix="worker-standin-")
        self.log_path = os.path.join(self.tmp.name, "standin.log")
        self.proc = subprocess.Popen(
            [PYTHON, path, "--port", "0", "--port-file", os.path.join(self.tmp.name, "port"),
             "--log-file", self.log_path],
            stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 15)
        line = self.proc.stdout.readline().strip() if ready else ""
        if not line.startswith("listening on http://"):
            self.stop()
            raise RuntimeError("model stand-in did not start within 15 s (said %r)" % line)
        self.url = line[len("listening on "):]
        self.root = self.url[: -len("/v1")]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.tmp.cleanup()

    def _call(self, method, what, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.root + "/_control/" + what, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def scenario(self, name, steps):
        self._call("POST", "scenario", {"name": name, "steps": steps})

    def reset(self):
        self._call("POST", "reset", {})

    def requests(self, scenario=None):
        reqs = self._call("GET", "requests")
        return [r for r in reqs if scenario is None or r["scenario"] == scenario]

    def stats(self):
        return self._call("GET", "stats")


def make_hello(model_url, task="scenario:none", **overrides):
    """A hello with small, fast defaults; nested dicts are merged."""
    hello = {
        "type": "hello", "version": 1, "run": "test-run1", "agent": "tester", "attempt": 1,
        "trigger": "manual", "task": task, "step": 0, "messages": None,
        "answer": None, "answered_by": None,
        "settings": {"instructions": "Be brief.", "tools": [], "max_steps": 10,
                     "shell_timeout_usec": 5_000_000, "output_cap": 65536,
                     "workspace": "", "notes_path": ""},
        "model": {"base_url": model_url, "name": "standin", "api_key": "",
                  "timeout_usec": 10_000_000, "retries": 2, "retry_delay_usec": 100_000},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(hello.get(key), dict):
            hello[key].update(value)
        else:
            hello[key] = value
    return hello


class WorkerExited(Exception):
    pass


class FakeDaemon:
    """One worker process, its socket, and the messages it sent."""

    def __init__(self, worker_path, tmpdir):
        self.ours, theirs = socket.socketpair()
        self.stderr_path = os.path.join(tmpdir, "worker-%d.stderr" % id(self))
        env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen([worker_path], stdin=theirs, stdout=theirs, stderr=err,
                                         env=env, close_fds=True)
        theirs.close()
        self.buf = b""
        self.messages = []  # everything the worker sent, in order
        self.eof = False

    # --- raw protocol -------------------------------------------------------

    def send(self, obj):
        self.send_raw((json.dumps(obj) + "\n").encode())

    def send_raw(self, data):
        self.ours.sendall(data)

    def recv(self, timeout=10):
        """The next message from the worker; raises WorkerExited on EOF."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if self.eof:
                raise WorkerExited("worker closed the socket; stderr:\n" + self.stderr())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no message from the worker within %.1f s; stderr:\n%s"
                                   % (timeout, self.stderr()))
            ready, _, _ = select.select([self.ours], [], [], remaining)
            if ready:
                chunk = self.ours.recv(1 << 20)
                if not chunk:
                    self.eof = True
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        msg = json.loads(line)
        self.messages.append(msg)
        return msg

    def ack(self, msg):
        self.send({"type": "ack", "id": msg["id"]})

    # --- the daemon's side of a run ----------------------------------------

    def run(self, hello, timeout=20, grant=True, on_message=None):
        """Sends hello, grants slots and acks everything until an ending;
        returns the ending. on_message(msg) may return True to stop early."""
        self.send(hello)
        return self.serve(timeout=timeout, grant=grant, on_message=on_message)

    def serve(self, timeout=20, grant=True, on_message=None):
        deadline = time.monotonic() + timeout
        while True:
            msg = self.recv(timeout=max(0.1, deadline - time.monotonic()))
            if on_message and on_message(msg):
                return msg
            if msg["type"] == "want_slot" and grant:
                self.send({"type": "slot"})
            elif "id" in msg:
                self.ack(msg)
            if msg["type"] in ("done", "no_work", "ask", "error"):
                return msg

    def wait_exit(self, timeout=10):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("worker still running %.1f s later; stderr:\n%s" % (timeout, self.stderr()))

    def close(self):
        self.ours.close()

    def cleanup(self):
        try:
            self.ours.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    # --- what the worker sent ----------------------------------------------

    def events(self, kind=None):
        return [m for m in self.messages if m["type"] == "event" and (kind is None or m["kind"] == kind)]

    def types(self):
        return [m["type"] if m["type"] != "event" else "event:" + m["kind"] for m in self.messages]
