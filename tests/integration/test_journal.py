#!/usr/bin/python3
"""With the journal there (stderr is a journal stream), daemon and worker log
structured entries with SHIFTD_RUN= and SHIFTD_AGENT=, and never the API key.

The journal here is a stand-in socket at /run/systemd/journal/socket inside a
mount namespace of the daemon's own, so the machine's journal is never touched."""

import os
import shlex
import socket
import subprocess
import threading

from harness import SHIFTD, ShiftdTestCase, main, wait_for

SECRET = "sk-journal-test-7d1e0c9a2b"


def parse_native(datagram):
    """The journal's native protocol: KEY=value lines, or KEY\\n<le64 size><value>\\n."""
    fields = {}
    i = 0
    while i < len(datagram):
        nl = datagram.index(b"\n", i)
        line = datagram[i:nl]
        if b"=" in line:
            k, _, v = line.partition(b"=")
            fields[k.decode()] = v.decode(errors="replace")
            i = nl + 1
        else:
            size = int.from_bytes(datagram[nl + 1:nl + 9], "little")
            fields[line.decode()] = datagram[nl + 9:nl + 9 + size].decode(errors="replace")
            i = nl + 9 + size + 1
    return fields


class Journal(ShiftdTestCase):
    start_daemon = False

    def test_structured_fields(self):
        journal_dir = os.path.join(self.tmp, "journal")
        os.makedirs(journal_dir)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(os.path.join(journal_dir, "socket"))
        # as journald's: workers run as users of their own and log here too
        os.chmod(os.path.join(journal_dir, "socket"), 0o666)
        sock.settimeout(0.2)
        entries = []
        stop = threading.Event()

        def collect():
            while not stop.is_set():
                try:
                    entries.append(parse_native(sock.recv(1 << 20)))
                except socket.timeout:
                    pass
        t = threading.Thread(target=collect, daemon=True)
        t.start()

        def finish():
            stop.set()
            t.join(5)
            sock.close()
        self.addCleanup(finish)

        key_file = os.path.join(self.tmp, "key")
        with open(key_file, "w") as f:
            f.write(SECRET)
        d = self.new_daemon(conf={"Model": {"ApiKeyFile": key_file}})
        # stderr goes to a file whose dev:ino JOURNAL_STREAM names: "stderr is the journal"
        stderr_path = os.path.join(self.tmp, "stderr")
        open(stderr_path, "w").close()
        st = os.stat(stderr_path)
        inner = "mount -t tmpfs none /run/systemd && mkdir /run/systemd/journal && " \
                "mount --bind %s /run/systemd/journal && exec %s" % (
                    shlex.quote(journal_dir), " ".join(shlex.quote(a) for a in d.argv()))
        env = dict(d.env, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
        os.makedirs("/run/systemd", exist_ok=True)
        with open(stderr_path, "w") as err:
            proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", inner],
                                    stderr=err, stdout=subprocess.DEVNULL, env=env)
        self.addCleanup(lambda: (proc.poll() is None and proc.terminate(), proc.wait(10)))
        wait_for(lambda: proc.poll() is not None or self.bus.has_owner(), 15, "shiftd under a stand-in journal")
        self.assertIsNone(proc.poll(), open(stderr_path).read())

        self.standin.scenario("j", [{"reply": "logged"}])
        name, path, state = self.run_to_end("scenario:j")
        self.assertEqual(state, "done")
        wait_for(lambda: any(e.get("SYSLOG_IDENTIFIER") == "shiftd-worker" and e.get("SHIFTD_RUN") == name
                             for e in entries), 5, "a worker entry for the run")
        daemon_run = [e for e in entries if e.get("SYSLOG_IDENTIFIER") == "shiftd" and e.get("SHIFTD_RUN") == name]
        self.assertTrue(daemon_run, entries)
        self.assertTrue(all(e.get("SHIFTD_AGENT") == "default" for e in daemon_run))
        self.assertTrue(all("PRIORITY" in e and "MESSAGE" in e for e in entries))
        for e in entries:
            self.assertNotIn(SECRET, repr(e))
        # nothing went to plain stderr instead
        self.assertNotIn(name, open(stderr_path).read())


if __name__ == "__main__":
    main()
