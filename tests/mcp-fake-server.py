#!/usr/bin/python3
"""A small MCP server on stdio for test_mcp.py, with faults on demand:

  mcp-fake-server.py [--exit-on-call N] [--garbage-on-call N] [--log-file FILE]

Tools: hello(name) -> "hello NAME"; sleep(seconds) answers after that long
(each call in a thread of its own, so the server keeps reading);
secret() -> the value of $FAKE_SECRET; connect(port) -> "net=yes" when a TCP
connection to 127.0.0.1:PORT can be made, else "net=no". With --exit-on-call N it exits with
status 3 (saying why on stderr) when the Nth tools/call arrives; with
--garbage-on-call N it writes a line that is not JSON instead of an answer.
With --log-file it appends "start" when it starts and "eof" when its input
ends. Python 3 standard library only.
"""

import argparse
import json
import os
import socket
import sys
import threading
import time

TOOLS = [
    {"name": "hello", "description": "Say hello.",
     "inputSchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}},
    {"name": "sleep", "description": "Answer after a while.",
     "inputSchema": {"type": "object", "properties": {"seconds": {"type": "number"}}}},
    {"name": "secret", "description": "The secret from the environment.",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "connect", "description": "Try the network.",
     "inputSchema": {"type": "object", "properties": {"port": {"type": "integer"}}}},
]

lock = threading.Lock()


def send(message):
    message["jsonrpc"] = "2.0"
    with lock:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def text(msg_id, value, error=False):
    send({"id": msg_id, "result": {"content": [{"type": "text", "text": value}], "isError": error}})


def call(msg_id, name, args):
    if name == "hello":
        text(msg_id, "hello " + str(args.get("name")))
    elif name == "sleep":
        def later():
            time.sleep(float(args.get("seconds", 1)))
            text(msg_id, "slept")
        threading.Thread(target=later, daemon=True).start()
    elif name == "secret":
        text(msg_id, "the secret is " + os.environ.get("FAKE_SECRET", "(unset)"))
    elif name == "connect":
        try:
            socket.create_connection(("127.0.0.1", int(args.get("port", 0))), 2).close()
            text(msg_id, "net=yes")
        except OSError:
            text(msg_id, "net=no")
    else:
        send({"id": msg_id, "error": {"code": -32602, "message": "no tool " + name}})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--exit-on-call", type=int, default=0)
    parser.add_argument("--garbage-on-call", type=int, default=0)
    parser.add_argument("--log-file")
    opts = parser.parse_args()

    def log(what):
        if opts.log_file:
            with open(opts.log_file, "a") as f:
                f.write(what + "\n")
    log("start")
    calls = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        m = json.loads(line)
        method, msg_id = m.get("method"), m.get("id")
        if method == "initialize":
            send({"id": msg_id, "result": {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                                           "serverInfo": {"name": "fake", "version": "1"}}})
        elif method == "tools/list":
            send({"id": msg_id, "result": {"tools": TOOLS}})
        elif method == "tools/call":
            calls += 1
            if calls == opts.exit_on_call:
                sys.stderr.write("fake server: exiting on call %d, as asked\n" % calls)
                sys.exit(3)
            if calls == opts.garbage_on_call:
                with lock:
                    sys.stdout.write("this is not JSON\n")
                    sys.stdout.flush()
                continue
            params = m.get("params") or {}
            call(msg_id, params.get("name"), params.get("arguments") or {})
        elif msg_id is not None and method is not None:
            send({"id": msg_id, "error": {"code": -32601, "message": "no method " + method}})
    log("eof")


if __name__ == "__main__":
    main()
