#!/usr/bin/env python3
"""The man pages render cleanly and say everything the code knows.

Usage: check-man.py SOURCE_ROOT PAGE...

Each built page must render with groff without a warning (and pass
mandoc -Tlint, where mandoc is installed, but for what scdoc always writes).
Then, from the rendered text, each page must document exactly what the code
has: the commands and options of shiftctl (src/cli/args.c), the options of
shiftd (src/daemon/main.c) and shiftd-notify (src/notify/notify-args.c), the
keys of shiftd.conf (config_keys in src/common/config.c) and of agent files
(agent_keys in src/daemon/agent-file.c), each program's exit statuses and the
environment variables it reads. A new key, command or option without
documentation fails here, and so does documentation of one the code does not
have.
"""

import os
import re
import shutil
import subprocess
import sys

SKIP = 77

# What scdoc writes into every page and mandoc -Tlint reports: a paragraph
# macro right after a section header or before a list. Harmless to groff.
MANDOC_SCDOC_NOISE = (
    "skipping paragraph macro",
)

failures = []


def fail(message):
    failures.append(message)


def read(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


def block(text, start_pattern, what):
    """The text from start_pattern to the first '};' or '}' at the start of a line."""
    m = re.search(start_pattern, text)
    if m is None:
        raise SystemExit(f"check-man: cannot find {what} (pattern {start_pattern!r})")
    end = re.search(r"^\};?\s*$", text[m.end():], re.M)
    return text[m.end(): m.end() + end.start()] if end else text[m.end():]


# ---- what the code has ----

def ini_keys(root, path, table):
    body = block(read(root, path), r"static const ShiftdIniKey " + table + r"\[\]\s*=\s*\{", table)
    keys = set(re.findall(r'\{\s*"([A-Za-z]+)",\s*"([A-Za-z0-9]+)"\s*\}', body))
    if not keys:
        raise SystemExit(f"check-man: no keys read from {table} in {path}")
    return keys


def mcp_keys(root):
    """The keys of an [MCP NAME] section (src/common/mcp-config.c), as ("MCP", key)."""
    body = block(read(root, "src/common/mcp-config.c"), r"static const char \*const server_keys\[\]\s*=\s*\{",
                 "server_keys")
    keys = {("MCP", k) for k in re.findall(r'"([A-Za-z]+)"', body)}
    if not keys:
        raise SystemExit("check-man: no keys read from server_keys in src/common/mcp-config.c")
    return keys


def goption_names(root, path, func):
    """Long and short names of the GOptionEntry table inside func."""
    text = read(root, path)
    body = block(text, r"\n" + func + r"\([^)]*\)\s*\{", func)
    names = set()
    for long_name, short_name in re.findall(r'\{\s*"([a-z][a-z0-9-]*)",\s*(?:\'(.)\'|0)\s*,', body):
        names.add("--" + long_name)
        if short_name:
            names.add("-" + short_name)
    if not names:
        raise SystemExit(f"check-man: no options read from {func} in {path}")
    # GOption adds these itself
    names |= {"--help", "-h"}
    return names


def shiftctl_commands(root):
    text = read(root, "src/cli/args.c")
    commands = set(re.findall(r'\[CLI_CMD_[A-Z_]+\]\s*=\s*\{\s*"([a-z][a-z-]*)"', text))
    if not commands:
        raise SystemExit("check-man: no commands read from src/cli/args.c")
    return commands


def shiftctl_options(root):
    body = block(read(root, "src/cli/args.c"), r"static const OptSpec options\[\]\s*=\s*\{", "options[]")
    names = set()
    for long_name, short_name in re.findall(r'\{\s*"([a-z][a-z0-9-]*)",\s*(?:\'(.)\'|0)\s*,', body):
        names.add("--" + long_name)
        if short_name:
            names.add("-" + short_name)
    if not names:
        raise SystemExit("check-man: no options read from src/cli/args.c")
    return names


def env_vars(root, directory):
    found = set()
    d = os.path.join(root, directory)
    for name in sorted(os.listdir(d)):
        if name.endswith(".c"):
            found |= set(re.findall(r'getenv\("([A-Z_][A-Z0-9_]*)"\)', read(d, name)))
    return found


def sysexits():
    values = {}
    try:
        with open("/usr/include/sysexits.h", encoding="utf-8") as f:
            for name, value in re.findall(r"#define\s+(EX_[A-Z]+)\s+(\d+)", f.read()):
                values[name] = int(value)
    except OSError:
        values = {"EX_DATAERR": 65, "EX_TEMPFAIL": 75, "EX_CONFIG": 78}
    return values


def daemon_exit_statuses(root):
    text = read(root, "src/daemon/main.c")
    ex = sysexits()
    statuses = set()
    for value in re.findall(r"#define\s+EXIT_[A-Z_]+\s+(EX_[A-Z]+|\d+)", text):
        statuses.add(ex[value] if value in ex else int(value))
    if not statuses:
        raise SystemExit("check-man: no exit statuses read from src/daemon/main.c")
    return statuses | {0}


def shiftctl_exit_statuses(root):
    statuses = set()
    d = os.path.join(root, "src/cli")
    for name in os.listdir(d):
        if name.endswith(".h"):
            statuses |= {int(v) for v in re.findall(r"#define\s+CLI_EXIT_[A-Z_]+\s+(\d+)", read(d, name))}
    if not statuses:
        raise SystemExit("check-man: no CLI_EXIT_* read from src/cli")
    return statuses


def notify_exit_statuses(root):
    text = read(root, "src/notify/main.c")
    body = block(text, r"\nmain\([^)]*\)\s*\{", "main")
    return {int(v) for v in re.findall(r"\breturn\s+(\d+)\s*;", body)}


# ---- what the pages say ----

def render(page):
    """The page as plain text on lines long enough never to wrap."""
    out = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbou", "-rLL=1000n", page],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        fail(f"{page}: groff failed: {out.stderr.strip()}")
    return out.stdout


def sections(text):
    """{SECTION: [lines]} for the top-level headers (lines in capitals at column 0)."""
    result = {}
    current = None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            current = line.strip()
            result[current] = []
        elif current is not None:
            result[current].append(line)
    return result


def terms(lines):
    """The definition terms: paragraphs at the section's own indent, not the
    indented bodies under them, as (subsection, first line)."""
    found = []
    sub = None
    for line in lines:
        m = re.match(r"^ {3}(\S.*)$", line)
        if m:
            sub = m.group(1).strip()
            continue
        m = re.match(r"^ {7}(\S.*)$", line)
        if m:
            found.append((sub, m.group(1).strip()))
    return found


def check_set(page, what, documented, known):
    for item in sorted(known - documented):
        fail(f"{page}: {what} {item} is not documented")
    for item in sorted(documented - known):
        fail(f"{page}: documents {what} {item}, which the code does not have")


def option_terms(lines):
    names = set()
    for _, term in terms(lines):
        if term.startswith("-"):
            for name in re.findall(r"(--?[A-Za-z0-9][A-Za-z0-9-]*)", term):
                names.add(name)
    return names


def number_terms(lines):
    return {int(t) for _, t in terms(lines) if re.fullmatch(r"\d+", t)}


def mentioned_env(text):
    return set(re.findall(r"\$([A-Z_][A-Z0-9_]*)", text))


def check_page_style(page):
    out = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page], capture_output=True, text=True,
                         check=False)
    if out.returncode != 0 or out.stderr.strip():
        fail(f"{page}: groff -ww says: {out.stderr.strip() or 'exit status %d' % out.returncode}")
    if shutil.which("mandoc"):
        out = subprocess.run(["mandoc", "-Tlint", "-W", "warning", page], capture_output=True, text=True,
                             check=False)
        for line in (out.stdout + out.stderr).splitlines():
            if line.strip() and not any(noise in line for noise in MANDOC_SCDOC_NOISE):
                fail(f"mandoc -Tlint: {line}")


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    root = sys.argv[1]
    pages = {os.path.basename(p): p for p in sys.argv[2:]}
    if shutil.which("groff") is None:
        print("groff is not installed: cannot render the pages")
        return SKIP

    for page in pages.values():
        check_page_style(page)
        text = render(page)
        if not text.strip():
            fail(f"{page}: renders empty")
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"):
            if section not in sections(text):
                fail(f"{page}: no {section} section")
        for name, number in re.findall(r"\b(shiftd[a-z.-]*|shiftctl)\((\d)\)", text):
            if f"{name}.{number}" not in pages:
                fail(f"{page}: refers to {name}({number}), which is not one of the pages")

    def page_text(name):
        return render(pages[name]) if name in pages else ""

    # shiftd(8)
    text = page_text("shiftd.8")
    if text:
        s = sections(text)
        check_set("shiftd.8", "option", option_terms(s.get("OPTIONS", [])),
                  goption_names(root, "src/daemon/main.c", "parse_options"))
        check_set("shiftd.8", "exit status",
                  number_terms(s.get("EXIT STATUS", [])) | {0}, daemon_exit_statuses(root))
        for var in sorted(env_vars(root, "src/daemon") - mentioned_env("\n".join(s.get("ENVIRONMENT", [])))):
            fail(f"shiftd.8: environment variable ${var} (read in src/daemon) is not in ENVIRONMENT")
        for signal in ("SIGTERM", "SIGINT", "SIGHUP"):
            if signal not in "\n".join(s.get("SIGNALS", [])):
                fail(f"shiftd.8: {signal} is not in SIGNALS")

    # shiftctl(1)
    text = page_text("shiftctl.1")
    if text:
        s = sections(text)
        documented = {t.split()[0] for _, t in terms(s.get("COMMANDS", [])) if re.match(r"[a-z]", t)}
        check_set("shiftctl.1", "command", documented, shiftctl_commands(root))
        check_set("shiftctl.1", "option", option_terms(s.get("OPTIONS", [])), shiftctl_options(root))
        check_set("shiftctl.1", "exit status", number_terms(s.get("EXIT STATUS", [])),
                  shiftctl_exit_statuses(root))
        for var in sorted(env_vars(root, "src/cli") - mentioned_env("\n".join(s.get("ENVIRONMENT", [])))):
            fail(f"shiftctl.1: environment variable ${var} (read in src/cli) is not in ENVIRONMENT")

    # shiftd-notify(1)
    text = page_text("shiftd-notify.1")
    if text:
        s = sections(text)
        check_set("shiftd-notify.1", "option", option_terms(s.get("OPTIONS", [])),
                  goption_names(root, "src/notify/notify-args.c", "notify_args_parse"))
        check_set("shiftd-notify.1", "exit status", number_terms(s.get("EXIT STATUS", [])),
                  notify_exit_statuses(root))
        for var in sorted(env_vars(root, "src/notify") - mentioned_env("\n".join(s.get("ENVIRONMENT", [])))):
            fail(f"shiftd-notify.1: environment variable ${var} (read in src/notify) is not in ENVIRONMENT")

    # shiftd.conf(5) and shiftd.agent(5): the keys, each under its [Section]
    for page, path, table in (("shiftd.conf.5", "src/common/config.c", "config_keys"),
                              ("shiftd.agent.5", "src/daemon/agent-file.c", "agent_keys")):
        text = page_text(page)
        if not text:
            continue
        documented = set()
        for sub, term in terms(sections(text).get("OPTIONS", [])):
            m = re.fullmatch(r"([A-Za-z][A-Za-z0-9]*)=", term)
            # [MCP NAME]: one section per server, its name chosen by the admin
            g = re.fullmatch(r"\[([A-Za-z]+)(?: NAME)?\]", sub or "")
            if m and g:
                documented.add((g.group(1), m.group(1)))
            elif m:
                fail(f"{page}: {term} is documented outside of a [Section] subsection")
        known = ini_keys(root, path, table) | (mcp_keys(root) if page == "shiftd.conf.5" else set())
        check_set(page, "key", {f"[{g}] {k}=" for g, k in documented}, {f"[{g}] {k}=" for g, k in known})

    for message in failures:
        print(message)
    if failures:
        return 1
    print(f"{len(pages)} page(s) render cleanly and document every command, option, key, exit status "
          "and environment variable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
