#!/usr/bin/python3
"""One Celery client for shiftd's benchmark (bench/run-bench.py starts one per
concurrent client): it submits a trivial task with apply_async to a Redis
broker, the way an application hands work to Celery. No worker runs: what is
measured is the hand-over, the part that a shiftd receipt corresponds to (the
task is durably queued when Redis, with appendfsync always, has answered the
LPUSH).

Usage: celery-client.py BROKER_URL   (e.g. redis+socket:///tmp/x/redis.sock)
Protocol on stdin/stdout, one line each: it prints "ready" once connected;
then "go SECONDS" makes it submit tasks for that long and print
"COUNT ELAPSED_SECONDS"; "quit" (or end of input) ends it.
"""

import sys
import time

from celery import Celery


def main():
    app = Celery("shiftd_bench", broker=sys.argv[1])
    app.conf.task_ignore_result = True

    @app.task(name="shiftd_bench.noop")
    def noop():
        return None

    for _ in range(20):  # warm up: connection, queue declaration
        noop.apply_async()
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        if words[0] == "go":
            seconds = float(words[1])
            n = 0
            t0 = time.monotonic()
            end = t0 + seconds
            while time.monotonic() < end:
                noop.apply_async()
                n += 1
            print("%d %.6f" % (n, time.monotonic() - t0), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
