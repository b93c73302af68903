#!/usr/bin/python3
"""What shiftd refuses at start, each with one log line and its exit status:
a second daemon on one state directory (75, naming the first), a damaged or
half-there store (65, the files left as they were), a configuration error
(78). And what it makes: a state directory 0711, store and lock 0600."""

import fcntl
import hashlib
import os
import sqlite3
import stat

import gi

from harness import BUS_NAME, MANAGER, MANAGER_PATH, PrivateBus, Shiftd, ShiftdTestCase, main, wait_for

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

EXIT_CONFIG = 78
EXIT_STORE_REFUSED = 65
EXIT_STATE_BUSY = 75


def last_start_lines(log):
    """What the daemon said in its last start (the harness marks each with
    '=== start')."""
    return [line for line in log.split("=== start")[-1].splitlines()[1:] if line.strip()]


def snapshot(state_dir):
    """Name, mode and content of every store file (the lock is the refusing
    daemon's own and changes hands by design)."""
    out = {}
    for name in sorted(os.listdir(state_dir)):
        if name == "lock":
            continue
        path = os.path.join(state_dir, name)
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                out[name] = (oct(st.st_mode & 0o7777), hashlib.sha256(f.read()).hexdigest())
        else:
            out[name] = (oct(st.st_mode & 0o7777), "not a file")
    return out


class Startup(ShiftdTestCase):
    start_daemon = False

    def fresh(self, name, **kw):
        """A daemon with a directory (config, log) of its own."""
        d = Shiftd(self._subdir(name), self.bus, self.standin, **kw)
        self.addCleanup(self._stop_daemon, d)
        return d

    def expect_refusal(self, d, status, pattern, timeout=10, name_free=True):
        """d exits at once with status and one log line matching pattern."""
        d.start(wait=False)
        wait_for(lambda: not d.proc.alive(), timeout, "shiftd to refuse to start")
        log = d.log()
        self.assertEqual(d.proc.proc.returncode, status, log)
        lines = last_start_lines(log)
        self.assertEqual(len(lines), 1, "expected one line, got:\n" + log)
        self.assertRegex(lines[0], pattern)
        if name_free:
            self.assertFalse(self.bus.has_owner(), "a refused shiftd left its name on the bus")
        return lines[0]

    def make_store(self, d, kill=False):
        """A store with one finished run in it (how it ended is not the
        point here); kill -9 leaves its WAL."""
        d.start()
        name, path = self.client.start_run("keep me")
        self.client.wait_final(path, 30)
        if kill:
            d.kill9()
        else:
            self.assertEqual(d.stop(), 0, d.log())
        return name

    def assert_lock_free(self, state_dir):
        with open(os.path.join(state_dir, "lock"), "r") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if anyone holds it
            fcntl.flock(f, fcntl.LOCK_UN)

    # --- one daemon per store ---

    def test_second_daemon_on_one_state_dir_exits_naming_the_first(self):
        first = self.fresh("first").start()
        second = self.fresh("second")
        second.state_dir = first.state_dir
        line = self.expect_refusal(second, EXIT_STATE_BUSY, r"another shiftd \(pid %d: " % first.proc.pid,
                                   name_free=False)
        self.assertIn(first.argv()[0], line)  # its command line
        self.assertTrue(line.endswith("is using %s; not starting a second one" % first.state_dir), line)
        # the first one is untouched: alive, still the name's owner, working
        self.assertTrue(first.proc.alive())
        owner = self.bus.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                        "GetConnectionUnixProcessID", GLib.Variant("(s)", (BUS_NAME,)), None,
                                        Gio.DBusCallFlags.NONE, 5000, None).unpack()[0]
        self.assertEqual(owner, first.proc.pid)
        name, path = self.client.start_run("still here")
        self.client.wait_final(path, 30)
        with open(os.path.join(first.state_dir, "lock")) as f:
            self.assertEqual(f.read(), "%d\n" % first.proc.pid)

    def test_second_daemon_on_another_bus_is_refused_too(self):
        """Two session buses of one user, each starting the service: the
        store is one, so is its daemon."""
        first = self.fresh("first").start()
        other_bus = PrivateBus(self._subdir("other-bus"))
        self.addCleanup(other_bus.stop)
        second = Shiftd(self._subdir("second"), other_bus, self.standin)
        self.addCleanup(self._stop_daemon, second)
        second.state_dir = first.state_dir
        second.start(wait=False)
        wait_for(lambda: not second.proc.alive(), 10, "the second shiftd to refuse to start")
        self.assertEqual(second.proc.proc.returncode, EXIT_STATE_BUSY, second.log())
        self.assertIn("another shiftd (pid %d" % first.proc.pid, second.log())
        self.assertFalse(other_bus.has_owner())
        self.assertTrue(first.proc.alive())
        self.assertIsInstance(self.client.get(MANAGER_PATH, "Version", MANAGER), str)

    def test_lock_goes_with_the_holder_even_after_kill9(self):
        first = self.fresh("first")
        name = self.make_store(first, kill=True)
        self.assert_lock_free(first.state_dir)
        first.start()
        self.assertEqual([r[0] for r in self.client.list_runs()], [name])

    # --- what a store looks like on disk ---

    def test_modes_and_umask(self):
        d = self.fresh("d")
        d.start()
        name, path = self.client.start_run("x")
        self.client.wait_final(path, 30)
        self.assertEqual(stat.S_IMODE(os.stat(d.state_dir).st_mode), 0o711)
        for f in ("shiftd.db", "shiftd.db-wal", "shiftd.db-shm", "lock"):
            p = os.path.join(d.state_dir, f)
            self.assertTrue(os.path.exists(p), f)
            self.assertEqual(stat.S_IMODE(os.stat(p).st_mode), 0o600, f)
        with open("/proc/%d/status" % d.proc.pid) as f:
            self.assertIn("Umask:\t0077\n", f.read())
        # no temporary leftovers of the creation
        self.assertFalse([n for n in os.listdir(d.state_dir) if ".new" in n])

    def test_interrupted_creation_is_not_refused(self):
        """A crash while a store was made leaves only its temporary files;
        the next start makes the store (never refuses it for ever)."""
        d = self.fresh("d")
        os.makedirs(d.state_dir)
        for n in ("shiftd.db.new", "shiftd.db.new-wal", "shiftd.db.new-shm"):
            with open(os.path.join(d.state_dir, n), "w") as f:
                f.write("half made")
        d.start()
        self.assertEqual(self.client.list_runs(), [])
        self.assertEqual(sorted(n for n in os.listdir(d.state_dir) if n.startswith("shiftd.db.new")), [])

    def test_kill9_store_with_its_wal_starts(self):
        """Control for the refusals: a store left by kill -9 (database, WAL,
        shared memory) is whole, and starts with its runs."""
        d = self.fresh("d")
        name = self.make_store(d, kill=True)
        self.assertTrue(os.path.exists(os.path.join(d.state_dir, "shiftd.db-wal")))
        d.start()
        self.assertEqual([r[0] for r in self.client.list_runs()], [name])

    # --- damaged or half-there stores ---

    def refused_store(self, damage, pattern, kill=False):
        d = self.fresh("d")
        self.make_store(d, kill=kill)
        damage(d.state_dir)
        before = snapshot(d.state_dir)
        line = self.expect_refusal(d, EXIT_STORE_REFUSED, pattern)
        self.assertEqual(snapshot(d.state_dir), before, "the refused store was changed")
        self.assert_lock_free(d.state_dir)
        return line

    def test_empty_database_is_refused(self):
        def damage(sd):
            open(os.path.join(sd, "shiftd.db"), "w").close()
        self.refused_store(damage, r"shiftd\.db is empty \(0 bytes\)")

    def test_wal_without_its_database_is_refused(self):
        def damage(sd):
            os.rename(os.path.join(sd, "shiftd.db"), os.path.join(self.tmp, "moved-away.db"))
        line = self.refused_store(damage, r"shiftd\.db is missing but .*shiftd\.db-wal is there", kill=True)
        self.assertIn("refusing to start with an empty store", line)

    def test_shm_without_its_database_is_refused(self):
        def damage(sd):
            os.rename(os.path.join(sd, "shiftd.db"), os.path.join(self.tmp, "moved-away.db"))
            os.unlink(os.path.join(sd, "shiftd.db-wal"))
        self.refused_store(damage, r"shiftd\.db is missing but .*shiftd\.db-shm is there", kill=True)

    def test_not_an_sqlite_database_is_refused(self):
        def damage(sd):
            with open(os.path.join(sd, "shiftd.db"), "w") as f:
                f.write("these are not the runs you are looking for\n" * 100)
        self.refused_store(damage, r"shiftd\.db is not an SQLite database")

    def test_failed_quick_check_is_refused(self):
        def damage(sd):
            path = os.path.join(sd, "shiftd.db")
            self.assertGreater(os.path.getsize(path), 3 * 4096)
            with open(path, "r+b") as f:  # page 2's b-tree header: garbage
                f.seek(4096)
                f.write(b"\xff" * 16)
        self.refused_store(damage, r"shiftd\.db is damaged")

    def test_newer_schema_is_refused(self):
        def damage(sd):
            db = sqlite3.connect(os.path.join(sd, "shiftd.db"))
            db.execute("PRAGMA user_version=99")
            db.commit()
            db.close()
        self.refused_store(damage, r"written by a newer shiftd \(schema 99")

    # --- configuration ---

    def refused_config(self, text=None, pattern="", argv_extra=(), env=None, write=None):
        d = self.fresh("d", env=env)
        if text is not None:
            with open(os.path.join(d.config_dir, "shiftd.conf"), "w") as f:
                f.write(text)
        if write:
            write(d)
        if argv_extra:
            base = d.argv
            d.argv = lambda: base() + list(argv_extra)
        line = self.expect_refusal(d, EXIT_CONFIG, pattern)
        self.assertFalse(os.path.exists(os.path.join(d.state_dir, "shiftd.db")), "a store was made")
        return line

    def test_base_url_with_a_pasted_comment(self):
        line = self.refused_config("[Model]\nName=llama3.2\nBaseURL= http://x:1/v1   # local\n",
                                   r"shiftd\.conf:3: BaseURL=http://x:1/v1   # local: ")
        self.assertIn("a comment must be on a line of its own", line)
        self.assertIn(os.path.join(self.tmp, "d", "config", "shiftd.conf") + ":3:", line)

    def test_syntax_error(self):
        self.refused_config("[Model]\nBaseURL http://x\n", r"shiftd\.conf:2: expected Key=Value")

    def test_unknown_key(self):
        self.refused_config("[Model]\nColour=blue\n", r'shiftd\.conf:2: unknown key "Colour" in \[Model\]')

    def test_bad_value(self):
        self.refused_config("[Limits]\nModelSlots=0\n", r"shiftd\.conf:2: ModelSlots=0: expected a whole number")
        self.refused_config("[Limits]\nRunTimeout=infinity\n", r"shiftd\.conf:2: RunTimeout=infinity: must be at most")
        self.refused_config("[Model]\nName=llama 3\n", r"shiftd\.conf:2: Name=llama 3: must not contain whitespace")

    def test_unreadable_config(self):
        def write(d):
            os.unlink(os.path.join(d.config_dir, "shiftd.conf"))
            os.mkdir(os.path.join(d.config_dir, "shiftd.conf"))
        self.refused_config(None, r"bad configuration: .*shiftd\.conf", write=write)

    def test_unreadable_api_key_file(self):
        missing = os.path.join(self.tmp, "no-such-key")
        self.refused_config("[Model]\nApiKeyFile=%s\n" % missing, r"bad configuration: ApiKeyFile: .*no-such-key")
        self.refused_config("[Model]\nApiKeyFile=%s\n" % self.tmp, r"bad configuration: ApiKeyFile: ")

    def test_unreadable_agents_dir(self):
        def write(d):
            os.rmdir(os.path.join(d.config_dir, "agents.d"))
            with open(os.path.join(d.config_dir, "agents.d"), "w") as f:
                f.write("not a directory")
        self.refused_config(None, r"bad configuration: agents\.d: ", write=write)

    def test_bad_command_line(self):
        self.refused_config(None, r"bad command line: --backend=bogus: unknown backend", argv_extra=["--backend=bogus"])
        self.refused_config(None, r"bad command line: .*--frobnicate", argv_extra=["--frobnicate"])

    def test_bad_model_url_from_the_environment(self):
        self.refused_config(None, r"SHIFTD_MODEL_URL=http://x:1/v1 # mine: a comment must be on a line of its own",
                            env={"SHIFTD_MODEL_URL": "http://x:1/v1 # mine"})

    def test_good_config_starts(self):
        """Control for the refusals above: every key, strictly right."""
        key = os.path.join(self.tmp, "api-key")
        with open(key, "w") as f:
            f.write("sk-test\n")
        d = self.fresh("d")
        with open(os.path.join(d.config_dir, "shiftd.conf"), "w") as f:
            f.write("# the model\n[Model]\nBaseURL=%s\nName=qwen2.5:7b\nApiKeyFile=%s\nTimeout=20s\n"
                    "Retries=2\nRetryDelay=100ms\n\n[Limits]\nModelSlots=2\nMaxActiveRuns=4\nMaxSteps=10\n"
                    "RunTimeout=1h\n" % (self.standin.url, key))
        d.start()
        self.assertEqual(self.client.get(MANAGER_PATH, "ModelSlots", MANAGER), 2)
        name, path = self.client.start_run("works")
        self.client.wait_final(path, 30)


if __name__ == "__main__":
    main()
