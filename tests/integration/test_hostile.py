#!/usr/bin/python3
"""Hostile input is bounded (DESIGN.md): a worker line nested 60000 arrays
deep, a worker flooding want_slot/free_slot without reading, a 20 MB result,
an oversized question, a model reply nested too deep or too large for the
protocol. Each ends the attempt with a clear Error (or, for long text, cuts it
with a note), while the daemon keeps answering within milliseconds and its
memory stays bounded; none of it survives into the next start."""

import json
import os
import signal
import time

from harness import MANAGER, MANAGER_PATH, RUN, ShiftdTestCase, main

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT_MAX = 64 * 1024
KEPT = TEXT_MAX - 3  # and "…"


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class HostileWorker(ShiftdTestCase):
    start_daemon = False

    def with_worker(self, mode):
        link = os.path.join(self.tmp, mode)
        os.symlink(os.path.join(HERE, "fake-worker", "fake-worker.py"), link)
        self.daemon = self.new_daemon(worker=link)
        self.daemon.start()

    def ends_with(self, mode, state, timeout=30):
        self.with_worker(mode)
        name, path = self.client.start_run("do something")
        self.assertEqual(self.client.wait_final(path, timeout), state, self.client.get(path, "Error"))
        self.assertEqual(self.kinds(path)[-1], {"failed": "failed", "done": "done"}[state])
        self.daemon_alive()
        return path

    def test_deep_nesting_is_refused_before_it_is_parsed(self):
        path = self.ends_with("deep", "failed")
        error = self.client.get(path, "Error")
        self.assertIn("nested deeper than 64 levels", error)
        self.assertNotIn("\n", error)
        # nothing of it was kept to trip the next start
        self.daemon.kill9()
        self.daemon.start()
        self.daemon_alive()
        self.assertEqual(self.client.get(path, "State"), "failed")

    def test_a_flood_is_stopped_and_the_daemon_keeps_answering(self):
        self.with_worker("flood")
        before = rss_kib(self.daemon.proc.pid)
        name, path = self.client.start_run("do something")
        # while it floods, the receptionist answers at once
        worst = 0.0
        end = time.monotonic() + 30
        while self.client.get(path, "State") not in ("failed", "done") and time.monotonic() < end:
            t0 = time.monotonic()
            self.client.call(MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping")
            self.client.get(path, "Summary")
            worst = max(worst, time.monotonic() - t0)
        self.assertEqual(self.client.get(path, "State"), "failed")
        error = self.client.get(path, "Error")
        self.assertRegex(error, r"flooded its socket|left more than \d+ MiB unread")
        self.assertLess(worst, 0.5, "a call took %.0f ms during the flood" % (worst * 1000))
        self.assertLess(rss_kib(self.daemon.proc.pid) - before, 64 * 1024, "the daemon grew by more than 64 MiB")
        self.daemon_alive()

    def test_an_ending_read_while_the_store_catches_up_is_kept(self):
        # A thousand events at once pause reading (too many changes wait for
        # the store) with the ending among the lines already read; the worker
        # exits while the daemon is stopped, so the daemon hears of the exit
        # before the store has caught up. The ending must still count.
        self.with_worker("burst-done")
        pid = self.daemon.proc.pid
        name, path = self.client.start_run("do something")
        self.client.wait(lambda: self.client.get(path, "EventCount") >= 3, 10, "the worker's first event")
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(1.5)  # the worker sends everything and exits meanwhile
        finally:
            os.kill(pid, signal.SIGCONT)
        self.assertEqual(self.client.wait_final(path, 30), "done", self.client.get(path, "Error"))
        self.assertEqual(self.client.get(path, "Result"), "all said")
        self.assertEqual(self.client.get(path, "EventCount"), 1001 + 3)  # created, started, done
        self.assertEqual(self.client.events(path, 1004)[-1][2], "done")
        self.daemon_alive()

    def test_a_huge_result_is_cut_with_a_note(self):
        path = self.ends_with("big-result", "done")
        t0 = time.monotonic()
        result = self.client.get(path, "Result")
        self.assertLess(time.monotonic() - t0, 0.2)
        self.assertEqual(result, "r" * KEPT + "\u2026")
        self.assertEqual(len(result.encode()), TEXT_MAX)
        notes = [json.loads(e[3])["text"] for e in self.client.events(path) if e[2] == "note"]
        self.assertIn("the result was %d bytes; only the first %d are kept" % (20 << 20, KEPT), notes)
        self.assertLessEqual(len(self.client.get(path, "Summary").encode()), 200 + 3)  # one line, and "…"

    def test_questions_are_bounded(self):
        for mode, why in (("big-question", "a question of 5000 bytes (at most 4096)"),
                          ("many-choices", "a question with 40 choices (at most 32)")):
            with self.subTest(mode=mode):
                path = self.ends_with(mode, "failed")
                self.assertIn(why, self.client.get(path, "Error"))
                self.daemon.stop()


class HostileModel(ShiftdTestCase):
    """The real worker against a model that answers too much."""

    def test_a_reply_nested_too_deep(self):
        self.standin.scenario("deep", [{"malformed": "deep"}])
        name, path, state = self.run_to_end("scenario:deep")
        self.assertEqual(state, "failed")
        self.assertIn("nested deeper than 64 levels", self.client.get(path, "Error"))

    def test_a_reply_too_large_to_checkpoint_is_a_clear_error(self):
        # 40 MB of text with a tool call: the conversation no longer fits a checkpoint
        self.standin.scenario("huge", [{"reply_bytes": 40 << 20, "tool": "not_a_tool", "arguments": {}}])
        name, path, state = self.run_to_end("scenario:huge", timeout=60)
        self.assertEqual(state, "failed")
        error = self.client.get(path, "Error")
        self.assertIn("more than a checkpoint may hold (32 MiB)", error)
        self.assertNotIn("exited with status", error)

    def test_a_huge_final_reply_is_cut_with_a_note(self):
        self.standin.scenario("long", [{"reply_bytes": 40 << 20}])
        name, path, state = self.run_to_end("scenario:long", timeout=60)
        self.assertEqual(state, "done", self.client.get(path, "Error"))
        self.assertEqual(self.client.get(path, "Result"), "x" * KEPT + "\u2026")
        notes = [json.loads(e[3])["text"] for e in self.client.events(path) if e[2] == "note"]
        self.assertIn("the result was %d bytes; only the first %d are kept" % (40 << 20, KEPT), notes)


if __name__ == "__main__":
    main()
