#!/usr/bin/python3
"""A misbehaving worker for tests. What it does is the name it was started as
(tests link this file under each name): garbage, exit3, segv, unknown-type,
huge-line, bad-kind, silent-exit, bad-utf8, hog (allocates without end),
ask-linger (asks, and after the ack lingers before it exits; resumed with an
answer, finishes with it), deep (a line nested 60000 arrays deep), flood
(want_slot/free_slot without end, never reading), big-result (a 20 MB
result), big-question (a 5000-byte question), many-choices (40 choices), burst-done
(after its first ack, a thousand events and its ending in one go, then an exit
without waiting for the acks), start-twice (two start_run requests without
waiting for the first reply), wait-stranger (a `wait` ending for a run it did
not start)."""

import json
import os
import signal
import sys
import time

mode = os.path.basename(sys.argv[0]).replace(".py", "")
hello = sys.stdin.readline()
out = sys.stdout.buffer


def send(data):
    out.write(data)
    out.flush()


if mode == "garbage":
    send(b"this is not json\n")
elif mode == "exit3":
    sys.exit(3)
elif mode == "segv":
    os.kill(os.getpid(), signal.SIGSEGV)
elif mode == "unknown-type":
    send(b'{"type":"frobnicate","id":1}\n')
elif mode == "huge-line":
    chunk = b"x" * (1 << 20)
    for _ in range(40):
        send(chunk)
elif mode == "bad-kind":
    send(b'{"type":"event","id":1,"kind":"done","data":{}}\n')
elif mode == "silent-exit":
    sys.exit(0)
elif mode == "ask-linger":
    answer = json.loads(hello).get("answer")
    if answer:
        send(json.dumps({"type": "done", "id": 1, "result": answer}).encode() + b"\n")
    else:
        send(b'{"type":"ask","id":1,"question":"Go on?","choices":["go","stop"],"default":null,'
             b'"timeout_usec":0,"tool_call_id":"call_1"}\n')
    sys.stdin.readline()  # the ack
    if answer:
        sys.exit(0)
    time.sleep(3)
    sys.exit(0)
elif mode == "hog":
    hoard = []
    while True:
        hoard.append(bytearray(8 << 20))
elif mode == "deep":
    send(b'{"type":"event","id":1,"kind":"note","data":{"text":' + b"[" * 60000 + b"]" * 60000 + b"}}\n")
elif mode == "flood":
    lines = b'{"type":"want_slot"}\n{"type":"free_slot"}\n' * 4096
    end = time.monotonic() + 30
    try:
        while time.monotonic() < end:
            send(lines)
    except BrokenPipeError:
        sys.exit(1)
elif mode == "big-result":
    send(json.dumps({"type": "done", "id": 1, "result": "r" * (20 << 20)}).encode() + b"\n")
    sys.stdin.readline()  # the ack
    sys.exit(0)
elif mode in ("big-question", "many-choices"):
    question = "q" * 5000 if mode == "big-question" else "Which?"
    choices = ["c%d" % i for i in range(40 if mode == "many-choices" else 2)]
    send(json.dumps({"type": "ask", "id": 1, "question": question, "choices": choices, "default": None,
                     "timeout_usec": 0, "tool_call_id": "call_1"}).encode() + b"\n")
elif mode == "burst-done":
    send(b'{"type":"event","id":1,"kind":"note","data":{"text":"ready"}}\n')
    sys.stdin.readline()  # the ack; the test stops the daemon now
    time.sleep(0.5)
    events = b"".join(b'{"type":"event","kind":"note","data":{"text":"n%d"}}\n' % i for i in range(1000))
    send(events + b'{"type":"done","id":2,"result":"all said"}\n')
    os._exit(0)
elif mode == "start-twice":
    line = json.dumps({"type": "start_run", "id": 1, "agent": "writer", "task": "scenario:x", "wait": False})
    send(line.encode() + b"\n" + line.replace('"id": 1', '"id": 2').encode() + b"\n")
elif mode == "wait-stranger":
    send(b'{"type":"wait","id":1,"child":"someone-else-2222","tool_call_id":"call_1"}\n')
elif mode == "bad-utf8":
    send(b'{"type":"event","id":1,"kind":"note","data":{"text":"\xff\xfe"}}\n')
# Linger: the daemon must stop us.
time.sleep(60)
