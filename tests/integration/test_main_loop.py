#!/usr/bin/python3
"""Nothing blocks the main loop: once shiftd has started, callers' calls
(StartRun, TriggerAgent, Answer, ListRuns, GetAll, GetEvents,
GetManagedObjects, from fresh connections of other uids, AnswerBy=/StartBy=
met through a user and through a group) make the daemon's main thread read
no user or group database and wait on no bus call; a Reload that changes
AnswerBy= reads the user database then, at the reload, and the calls after
it again do not.

Watched for real: strace attached to the running daemon's main thread (the
thread whose id is the process id; its event loop), recording the files it
opens, the sockets it connects to and the poll() calls a synchronous sd-bus
call waits in (the loop itself waits in epoll_wait, which is not recorded).
A system-mode daemon as root, on a private system-like bus: the default
agent's runs then work as their caller, whose entry in the user database the
daemon looks up (on a thread)."""

import os
import re
import shutil
import time

from harness import MANAGER, MANAGER_PATH, RUN, Process, ShiftdTestCase, calls_as, main, wait_for

OWNER = 65534    # nobody: starts a default-agent run; in @nogroup (its gid, from the bus)
MEMBER = 1       # daemon: StartBy= and AnswerBy= by name
OTHER = 2        # bin: named in AnswerBy= only by the reload
PROPS = "org.freedesktop.DBus.Properties"
OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager"
DENIED = "org.shiftd.Shift1.Error.AccessDenied"

# What reading the user database looks like: the files of nss_files and
# nss_compat, nsswitch.conf, and the sockets of nscd, sssd and systemd-userdb.
NSS = re.compile(r'"(/etc/(passwd|group|shadow|gshadow|nsswitch\.conf)|/var/lib/extrausers/[^"]*)"'
                 r'|/var/lib/sss/|/run/systemd/userdb|nscd/socket|libnss_')
# A synchronous sd-bus call waits in ppoll() on its connection.
SYNC_WAIT = re.compile(r'^(ppoll|poll)\(')

ASKER = ("[Agent]\nInstructions=scenario:ask\n[Schedule]\nStartBy=daemon\n[Sandbox]\nUser=nobody\n"
         "[Decisions]\nAnswerBy=%s\n")


class MainLoop(ShiftdTestCase):
    start_daemon = False

    def setUp(self):
        super().setUp()
        if self.systemd or os.geteuid() != 0:
            self.skipTest("needs root (callers of other uids) and the embedded backend")
        if shutil.which("strace") is None:
            self.skipTest("strace is not installed (scripts/install-deps.sh installs it)")
        self.use_system_bus()
        self.standin.scenario("ask", [{"tool": "ask_human", "arguments": {"question": "Ship it?",
                                                                           "choices": ["ship", "hold"]}},
                                      {"echo_last_tool_result": True}])
        self.trace_path = os.path.join(self.tmp, "main-thread.trace")

    def start(self, agents):
        self.daemon = self.new_daemon(system=True, agents=agents)
        self.daemon.start()
        self.attach_strace()

    def attach_strace(self):
        pid = self.daemon.proc.pid
        # no -f: the main thread only (and not the workers it forks)
        self.strace = Process(["strace", "-qq", "-ttt", "-e", "trace=?open,openat,?openat2,connect,?poll,ppoll",
                               "-o", self.trace_path, "-p", str(pid)],
                              log_path=os.path.join(self.tmp, "strace.log"))
        self.addCleanup(self.strace.stop)

        def attached():
            if not self.strace.alive():
                raise AssertionError("strace failed: " + self.strace.log())
            with open("/proc/%d/status" % pid) as f:
                return re.search(r"^TracerPid:\s*[1-9]", f.read(), re.M) is not None
        wait_for(attached, 10, "strace to attach to shiftd")
        self.daemon_alive()

    def main_thread_lines(self, start, end):
        """What the main thread did between two wall-clock times: (time, call) pairs."""
        # strace writes each line before the traced thread goes on, so a
        # reply received means its calls are in the file
        out = []
        with open(self.trace_path, errors="replace") as f:
            for line in f:
                m = re.match(r"^(?:\d+\s+)?(\d+\.\d+)\s+(.*)$", line.rstrip("\n"))
                if m and start <= float(m.group(1)) <= end:
                    out.append((float(m.group(1)), m.group(2)))
        return out

    def assert_loop_not_blocked(self, start, end, what):
        lines = self.main_thread_lines(start, end)
        nss = [c for _, c in lines if NSS.search(c)]
        sync = [c for _, c in lines if SYNC_WAIT.match(c)]
        self.maxDiff = None
        self.assertEqual({"user database": nss, "bus call waits": sync}, {"user database": [], "bus call waits": []},
                         "the main thread blocked during %s" % what)

    def waiting(self, path):
        self.client.wait_state(path, "waiting")

    def test_calls_read_no_user_database_and_wait_on_no_bus_call(self):
        # names the user database does not know are left out, with a warning; the agent stays
        self.start({"asker": ASKER % "daemon @nogroup no-such-user-zz @no-such-group-zz"})
        self.assertIn("AnswerBy=no-such-user-zz is left out: no such user", self.daemon.log())
        self.assertIn("AnswerBy=@no-such-group-zz is left out: no such group", self.daemon.log())
        address = self.sysbus.address
        start = time.time()

        # a default-agent run works as its caller: the daemon looks nobody up (off the loop)
        r = calls_as(OWNER, address, [(MANAGER_PATH, MANAGER, "StartRun", "ssa{sv}", ["", "scenario:ask", {}]),
                                      (MANAGER_PATH, MANAGER, "ListRuns", "a{sv}", [{}])])
        self.assertIn("result", r[0], r)
        own_name, own_path = r[0]["result"]
        self.assertEqual([row[0] for row in r[1]["result"][0]], [own_name])
        self.waiting(own_path)

        # StartBy= and AnswerBy= by user name
        r = calls_as(MEMBER, address, [(MANAGER_PATH, MANAGER, "TriggerAgent", "s", ["asker"]),
                                       (MANAGER_PATH, MANAGER, "ListRuns", "a{sv}", [{}]),
                                       (MANAGER_PATH, OBJECT_MANAGER, "GetManagedObjects", "", [])])
        self.assertIn("result", r[0], r)
        asker_name, asker_path = r[0]["result"]
        self.assertIn(asker_name, [row[0] for row in r[1]["result"][0]])
        self.assertNotIn(own_name, [row[0] for row in r[1]["result"][0]])
        self.assertIn("result", r[2], r)
        self.waiting(asker_path)

        # AnswerBy=@nogroup: the group comes from the bus (nobody's gid)
        r = calls_as(OWNER, address, [(asker_path, PROPS, "GetAll", "s", [RUN]),
                                      (asker_path, RUN, "GetEvents", "uu", [1, 0]),
                                      (asker_path, RUN, "Answer", "s", ["ship"]),
                                      (own_path, PROPS, "Get", "ss", [RUN, "Task"]),
                                      (own_path, RUN, "Answer", "s", ["hold"])])
        self.assertEqual(r[0]["result"][0]["Question"], "Ship it?", r)
        self.assertIn("result", r[1], r)
        self.assertEqual(r[2], {"result": []})
        self.assertEqual(r[3], {"result": ["scenario:ask"]})
        self.assertEqual(r[4], {"result": []})
        # someone else sees no content and may not answer
        r = calls_as(OTHER, address, [(own_path, PROPS, "GetAll", "s", [RUN]),
                                      (MANAGER_PATH, MANAGER, "ListRuns", "a{sv}", [{}])])
        self.assertEqual(r[0]["result"][0]["Task"], "")
        self.assertEqual(r[1]["result"][0], [])
        self.assertEqual(self.client.wait_final(asker_path), "done")
        self.assertEqual(self.client.wait_final(own_path), "done")
        end = time.time()
        self.assert_loop_not_blocked(start, end, "the calls after start-up")

        # a reload reads the user database, then
        self.daemon.write_agent("asker", ASKER % "bin")
        start = time.time()
        self.assertEqual(self.client.manager("Reload"), ())
        end = time.time()
        reload_nss = [c for _, c in self.main_thread_lines(start, end) if NSS.search(c)]
        self.assertTrue(reload_nss, "the reload read no user database: does the trace see the main thread?")

        # ...and the calls after it again do not
        start = time.time()
        name, path = self.client.manager("TriggerAgent", "s", ("asker",))
        self.waiting(path)
        r = calls_as(MEMBER, address, [(path, RUN, "Answer", "s", ["ship"])])
        self.assertEqual(r[0].get("error"), DENIED, r)  # no longer in AnswerBy=
        r = calls_as(OTHER, address, [(path, PROPS, "Get", "ss", [RUN, "Question"]),
                                      (MANAGER_PATH, MANAGER, "ListRuns", "a{sv}", [{"agent": ["s", "asker"]}]),
                                      (path, RUN, "Answer", "s", ["hold"])])
        self.assertEqual(r[0], {"result": ["Ship it?"]})
        self.assertIn(name, [row[0] for row in r[1]["result"][0]])
        self.assertEqual(r[2], {"result": []})
        self.assertEqual(self.client.wait_final(path), "done")
        end = time.time()
        self.assert_loop_not_blocked(start, end, "the calls after the reload")
        self.daemon_alive()

    def test_the_notes_are_the_workers_to_read_and_write(self):
        """The review beat: the worker reads the notes into the review's task
        and writes the review's result back; the daemon's loop opens neither
        (nor reads the user database for the agent's own uid, found on a
        thread at its first launch)."""
        self.standin.scenario("work", [{"reply": "found: disk at 91%"}])
        start = time.time()
        self.start({"keeper": "[Agent]\nInstructions=scenario:work\nTools=notes\n"
                              "[Schedule]\nEvery=1s\nReviewEvery=2s\n"})
        reviews = lambda: [r for r in self.client.list_runs(agent="keeper")  # noqa: E731
                           if self.client.get(r[5], "Trigger") == "review"]
        self.client.wait(lambda: len(reviews()) >= 2, 20, "two review runs")
        second = reviews()[1]
        self.assertEqual(self.client.wait_final(second[5]), "done")
        notes = self.notes_file("keeper")
        self.assertTrue(os.path.exists(notes), notes)
        # the second review's task came with the notes the first one left
        self.client.wait(lambda: len(self.standin.review_prompts()) >= 2, 15, "the second review's model call")
        self.assertIn("Notes so far:\n" + self.client.get(reviews()[0][5], "Result"), self.standin.review_prompts()[1])
        end = time.time()
        opened = [c for _, c in self.main_thread_lines(start, end) if "notes.md" in c]
        self.assertEqual(opened, [], "the main thread opened the notes")
        self.assert_loop_not_blocked(start, end, "the reviews")


if __name__ == "__main__":
    main()
