#!/usr/bin/python3
"""The shell completions, loaded for real: bash runs shell-completion/bash/
shiftctl's _shiftctl as it would on a Tab (COMP_LINE, COMP_POINT), zsh runs
shell-completion/zsh/_shiftctl with its completion builtins stood in for by
functions that print what they are given. Against the real daemon on a
private bus (tests/integration/harness.py): run names, agent names and a
waiting run's choices are live."""

import os
import shlex
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("SHIFTD_SOURCE_ROOT") or os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))

from harness import SHIFTCTL, ShiftdTestCase, main  # noqa: E402

BASH_SCRIPT = os.path.join(SOURCE, "shell-completion", "bash", "shiftctl")
ZSH_SCRIPT = os.path.join(SOURCE, "shell-completion", "zsh", "_shiftctl")
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"

# zsh's completion builtins and functions, as printers
ZSH_STUBS = r"""
compadd() {
  local -a __got; local __arr=""
  while (( $# )); do
    case $1 in
      -a) __arr=$2; shift 2 ;;
      -S|-P|-J|-V|-X|-x|-d) shift 2 ;;
      --) shift; __got+=("$@"); break ;;
      -*) shift ;;
      *) __got+=("$1"); shift ;;
    esac
  done
  [[ -n $__arr ]] && __got+=("${(@P)__arr}")
  print -rl -- $__got
}
_wanted() { shift 3; "$@" }
_describe() {
  local descr_seen=0
  while (( $# )); do
    case $1 in
      -t|-S|-J|-V) shift 2 ;;
      --|-o) shift ;;
      *)
        if (( ! descr_seen )); then descr_seen=1
        else local __e; for __e in "${(@P)1}"; do print -r -- "${${__e%%:*}//\\:/:}"; done
        fi
        shift ;;
    esac
  done
}
_message() { print -r -- "MESSAGE: $*" }
compset() { return 0 }
"""


class Completion(ShiftdTestCase):
    agents = {"triage": "[Agent]\nDescription=Sorts the inbox\nInstructions=scenario:ask\n"}

    def setUp(self):
        super().setUp()
        self.standin.scenario("ask", [{"tool": "ask_human",
                                       "arguments": {"question": "Ship it?", "choices": ["ship now", "hold", "hold: a week"]}},
                                      {"echo_last_tool_result": True}])
        self.waiting, path = self.client.start_run("scenario:ask")
        self.client.wait_state(path, "waiting")
        self.standin.scenario("quick", [{"reply": "ok"}])
        self.done, path = self.client.start_run("scenario:quick")
        self.client.wait_final(path)
        self.prefix = "%s --address=%s " % (SHIFTCTL, self.bus.address)

    def bash(self, line, preload=""):
        """The candidates bash's Tab offers at the end of line."""
        script = ('%s\nsource %s\nCOMP_LINE=%s\nCOMP_POINT=${#COMP_LINE}\n_shiftctl\n'
                  'printf "%%s\\n" "${COMPREPLY[@]}"\n') % (preload, shlex.quote(BASH_SCRIPT), shlex.quote(line))
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                           timeout=30, env=dict(os.environ, HOME=self.tmp))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        return [w for w in p.stdout.split("\n") if w]

    def test_bash_loads_and_registers(self):
        p = subprocess.run(["bash", "-n", BASH_SCRIPT], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                            "source %s && complete -p shiftctl" % shlex.quote(BASH_SCRIPT)],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.stdout.strip(), "complete -F _shiftctl shiftctl", p.stderr)

    def test_bash_commands_and_options(self):
        self.assertEqual(self.bash(self.prefix + "li"), ["list"])
        self.assertEqual(self.bash(self.prefix + "e"), ["events", "enable"])
        self.assertIn("watch", self.bash(self.prefix))
        self.assertNotIn("__complete", self.bash(self.prefix))
        self.assertEqual(self.bash(self.prefix + "list --no-l"), ["--no-legend"])
        self.assertEqual(self.bash(self.prefix + "list --sta"), ["--state="])
        self.assertIn("--follow", self.bash(self.prefix + "events x --"))
        self.assertNotIn("--follow", self.bash(self.prefix + "list --"))
        # option values: after "=" bash replaces only what follows it
        self.assertEqual(self.bash(self.prefix + "list --state=wa"), ["waiting"])
        self.assertEqual(self.bash(self.prefix + "list --state wa"), ["waiting"])
        self.assertEqual(self.bash(self.prefix + "start --agent tr"), ["triage"])
        self.assertEqual(self.bash(self.prefix + "start --timeout "), [])

    def test_bash_completes_live_names_and_choices(self):
        runs = self.bash(self.prefix + "status ")
        self.assertEqual(sorted(runs), sorted([self.waiting, self.done]))
        self.assertEqual(self.bash(self.prefix + "status " + self.waiting[:6]),
                         [r for r in runs if r.startswith(self.waiting[:6])])
        # answer: only the waiting run, then its choices (quoted for the shell)
        self.assertEqual(self.bash(self.prefix + "answer "), [self.waiting])
        answer = self.prefix + "answer %s " % self.waiting
        self.assertEqual(self.bash(answer), ["ship\\ now", "hold", "hold:\\ a\\ week"])
        self.assertEqual(self.bash(answer + "h"), ["hold", "hold:\\ a\\ week"])
        # a choice with a blank, typed so far with a backslash or in a quote of its own
        self.assertEqual(self.bash(answer + "ship\\ n"), ["ship\\ now"])
        self.assertEqual(self.bash(answer + "'ship n"), ["ship now"])
        self.assertEqual(self.bash(answer + '"ship n'), ["ship now"])
        # bash keeps what comes before a ":" in place (COMP_WORDBREAKS): only the rest
        self.assertEqual(self.bash(answer + "hold:"), ["\\ a\\ week"])
        # cancel: live runs only
        self.assertEqual(self.bash(self.prefix + "cancel "), [self.waiting])
        self.assertEqual(sorted(self.bash(self.prefix + "trigger ")), ["default", "triage"])
        self.assertEqual(self.bash(self.prefix + "enable tr"), ["triage"])
        # the bus options before the command are the ones asked: elsewhere, nothing
        other = "%s --address=unix:path=%s/nowhere status " % (SHIFTCTL, self.tmp)
        self.assertEqual(self.bash(other), [])

    def test_bash_with_the_bash_completion_package(self):
        if not os.path.exists(BASH_COMPLETION):
            self.skipTest("bash-completion is not installed")
        self.assertEqual(self.bash(self.prefix + "answer ", preload="source %s" % BASH_COMPLETION),
                         [self.waiting])

    def zsh(self, *words):
        """What zsh's completion offers for the last of words."""
        if shutil.which("zsh") is None:
            self.skipTest("zsh is not installed")
        all_words = [SHIFTCTL, "--address=" + self.bus.address] + list(words)
        script = "%s\nwords=(%s)\nCURRENT=%d\nsource %s\n" % (
            ZSH_STUBS, " ".join(shlex.quote(w) for w in all_words), len(all_words), shlex.quote(ZSH_SCRIPT))
        p = subprocess.run(["zsh", "-f", "-c", script], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, HOME=self.tmp))
        self.assertEqual(p.stderr, "")
        return [w for w in p.stdout.split("\n") if w]

    def test_zsh(self):
        if shutil.which("zsh") is None:
            self.skipTest("zsh is not installed")
        p = subprocess.run(["zsh", "-n", ZSH_SCRIPT], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("watch", self.zsh(""))
        self.assertNotIn("__complete", self.zsh(""))
        self.assertIn("--no-legend", self.zsh("list", "--"))
        self.assertIn("--state=", self.zsh("list", "--"))
        self.assertEqual(sorted(self.zsh("status", "")), sorted([self.waiting, self.done]))
        self.assertEqual(self.zsh("answer", ""), [self.waiting])
        self.assertEqual(self.zsh("answer", self.waiting, ""), ["ship now", "hold", "hold: a week"])
        self.assertEqual(sorted(self.zsh("trigger", "")), ["default", "triage"])
        self.assertIn("waiting", self.zsh("list", "--state", ""))
        self.assertEqual(self.zsh("start", "--timeout", ""), ["MESSAGE: value"])


if __name__ == "__main__":
    main()
