#!/usr/bin/python3
"""shiftctl and shiftd-notify speak German under LANGUAGE=de, from the
catalogues the build makes (SHIFTD_LOCALEDIR=BUILD/po), with LANG=C.UTF-8:
glibc honours LANGUAGE whenever the locale is not plain "C", and C.UTF-8
exists everywhere, so no German locale needs generating. With LANG=C the same
commands speak English. The installed polkit policy carries the German
messages, and the German translation covers every string the sources mark."""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("SHIFTD_SOURCE_ROOT") or os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))

from harness import BUILD, SHIFTCTL, Process, ShiftdTestCase, main, wait_for  # noqa: E402

NOTIFY = os.path.join(BUILD, "src", "notify", "shiftd-notify")
LOCALEDIR = os.environ.get("SHIFTD_LOCALEDIR") or os.path.join(BUILD, "po")
POLICY = os.environ.get("SHIFTD_POLICY") or os.path.join(BUILD, "org.shiftd.Shift1.policy")
PO_DIR = os.path.join(SOURCE, "po")


def environment(lang="C.UTF-8", language="de", **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k not in ("LANG", "LANGUAGE")}
    env.update(LANG=lang, SHIFTD_LOCALEDIR=LOCALEDIR, TZ="UTC", **extra)
    if language:
        env["LANGUAGE"] = language
    env.pop("SHIFTD_BUS_ADDRESS", None)
    return env


class German(ShiftdTestCase):
    def setUp(self):
        if not os.path.exists(os.path.join(LOCALEDIR, "de", "LC_MESSAGES", "shiftd.mo")):
            self.skipTest("no German catalogue built under %s" % LOCALEDIR)
        super().setUp()

    def ctl(self, *args, **env):
        return subprocess.run([SHIFTCTL, "--address=" + self.bus.address, "--no-pager"] + list(args),
                              env=environment(**env), capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)

    def waiting_run(self):
        self.standin.scenario("ask", [{"tool": "ask_human",
                                       "arguments": {"question": "Go?", "choices": ["go", "stop"]}},
                                      {"echo_last_tool_result": True}])
        name, path = self.client.start_run("scenario:ask")
        self.client.wait_state(path, "waiting")
        return name, path

    def test_shiftctl(self):
        help_text = self.ctl("--help").stdout
        self.assertTrue(help_text.startswith("Aufruf: shiftctl [OPTIONEN] BEFEHL …\n"), help_text)
        self.assertIn("\nBefehle:\n", help_text)
        self.assertIn("Einen Lauf abbrechen", help_text)
        p = self.ctl("frobnicate")
        self.assertEqual((p.returncode, p.stderr), (2, "shiftctl: unbekannter Befehl „frobnicate“ "
                                                       "(siehe shiftctl --help)\n"))
        name, path = self.waiting_run()
        status = self.ctl("status", name).stdout
        for line in ("     Zustand: waiting", "       Frage: Go?", "     Auswahl: go, stop",
                     "     Antwort: shiftctl --address=%s answer %s AUSWAHL" % (self.bus.address, name)):
            self.assertIn("\n" + line + "\n", status)
        self.assertRegex(status, r"\n    Erstellt: .*; (jetzt|vor \d+ s)\n")
        listed = self.ctl("list").stdout.splitlines()
        self.assertRegex(listed[0], r"^NAME +AGENT +ZUSTAND +ERSTELLT +ZUSAMMENFASSUNG$")
        self.assertEqual(listed[-1], "1 Lauf aufgelistet.")
        p = self.ctl("status", "nope")
        self.assertEqual(p.stderr, 'shiftctl: no run named "nope"\n')  # shiftd's own words stay English
        # control: LANGUAGE is what makes it German; under plain C it is ignored
        self.assertIn("      State: waiting", self.ctl("status", name, language=None).stdout)
        self.assertIn("      State: waiting", self.ctl("status", name, lang="C").stdout)
        self.daemon.stop()
        p = self.ctl("list")
        self.assertEqual(p.stderr, "shiftctl: shiftd läuft nicht auf dem Bus unter %s (org.shiftd.Shift1 hat keinen "
                                   "Besitzer)\n" % self.bus.address)

    def test_shiftd_notify(self):
        if not os.path.exists(NOTIFY):
            self.skipTest("shiftd-notify is not built")
        p = subprocess.run([NOTIFY, "--help"], env=environment(), capture_output=True, text=True, timeout=30)
        self.assertIn("Desktop-Benachrichtigungen für shiftd-Läufe", p.stdout)
        self.assertIn("Auch Läufe melden, die enden oder scheitern", p.stdout)

        from test_notify_desktop import NotificationServer
        server = NotificationServer(self._subdir("notifications"), "body")  # no buttons: the body says how
        self.addCleanup(server.stop)
        env = environment(DBUS_SESSION_BUS_ADDRESS=server.bus.address,
                          PATH=os.pathsep.join([os.path.dirname(SHIFTCTL), os.environ.get("PATH", "")]))
        env.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        notifier = Process([NOTIFY, "--address=" + self.bus.address], log_path=os.path.join(self.tmp, "notify.log"),
                           env=env)
        self.addCleanup(notifier.stop)
        name, path = self.waiting_run()
        note = wait_for(lambda: next((n for n in server.new_notifications() if name in n["body"]), None), 15,
                        "the notification")
        self.assertEqual(note["summary"], "default fragt")
        self.assertEqual(note["body"].splitlines(), [
            "Go?", "Lauf " + name, "Auswahl: go, stop",
            "Antworten mit: shiftctl --address=%s answer %s AUSWAHL" % (shlex.quote(self.bus.address), name)])


class Catalogue(unittest.TestCase):
    def test_the_policy_is_translated(self):
        if not os.path.exists(POLICY):
            self.skipTest("the merged policy is not built: %s" % POLICY)
        root = ET.parse(POLICY).getroot()
        lang = "{http://www.w3.org/XML/1998/namespace}lang"
        actions = root.findall("action")
        self.assertEqual(len(actions), 5)
        for action in actions:
            for tag in ("description", "message"):
                texts = {e.get(lang): e.text for e in action.findall(tag)}
                self.assertIn(None, texts, action.get("id"))
                self.assertIn("de", texts, (action.get("id"), tag))
                self.assertNotEqual(texts["de"], texts[None])
        answer = root.find("action[@id='org.shiftd.Shift1.answer']")
        self.assertEqual(answer.find("description[@{http://www.w3.org/XML/1998/namespace}lang='de']").text,
                         "Den Agentenlauf eines anderen Benutzers beantworten")
        # and polkit can find it at run time too
        self.assertEqual(answer.find("description").get("gettext-domain"), "shiftd")

    def test_the_german_translation_is_complete(self):
        for tool in ("xgettext", "msgcmp", "msgfmt"):
            if shutil.which(tool) is None:
                self.skipTest("%s is not installed (Debian: gettext)" % tool)
        tmp = tempfile.mkdtemp(prefix="shiftd-pot-")
        self.addCleanup(shutil.rmtree, tmp, True)
        pot = os.path.join(tmp, "shiftd.pot")
        # what the sources mark now, as meson's shiftd-pot extracts it (preset glib)
        keywords = ["--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
                    "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3", "--keyword=g_dpgettext2:2c,3"]
        # the listed sources there are (the extension's may still be on their way)
        with open(os.path.join(PO_DIR, "POTFILES.in")) as f:
            listed = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        files = os.path.join(tmp, "POTFILES")
        with open(files, "w") as f:
            f.write("".join(name + "\n" for name in listed if os.path.exists(os.path.join(SOURCE, name))))
        self.assertTrue(all(os.path.exists(os.path.join(SOURCE, name)) for name in listed if name.startswith("src/")))
        p = subprocess.run(["xgettext", "--package-name=shiftd", "-p", tmp, "-D", SOURCE, "-k_", "--from-code=UTF-8",
                            "-f", files, "-o", "shiftd.pot"] + keywords,
                           capture_output=True, text=True, env=dict(os.environ, GETTEXTDATADIRS=PO_DIR))
        self.assertEqual(p.returncode, 0, p.stderr)
        de = os.path.join(PO_DIR, "de.po")
        p = subprocess.run(["msgcmp", de, pot], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, "po/de.po lacks strings (ninja shiftd-update-po, then translate):\n"
                         + p.stderr)
        p = subprocess.run(["msgfmt", "-c", "--statistics", "-o", "/dev/null", de], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stderr.strip(), r"^\d+ translated messages\.$")
        with open(os.path.join(PO_DIR, "LINGUAS")) as f:
            self.assertIn("de", f.read().split())


if __name__ == "__main__":
    main()
