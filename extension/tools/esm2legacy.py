#!/usr/bin/python3
"""Turns one of the extension's ES modules (GNOME Shell 45 and later) into a
module for GNOME Shell 43/44, which load extensions with the legacy
`imports.*` system.

The sources are written to a small, checked subset of module syntax, and
anything outside it is refused (exit 1, naming file and line) rather than
passed through half-converted:

  import X from 'gi://Name[?version=N]';    const X = imports.gi.Name;
  import X from 'gettext' (system, cairo);  const X = imports.gettext;
  import * as X from 'resource:///org/gnome/shell/ui/name.js';
                                            const X = imports.ui.name;   (misc/ too)
  import {A, B as C} from './name.js';      const {A, B: C} = Me.imports.name;
  import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';
                                            const {Extension} = Me.imports.legacyExtension;
  export const|let|var X = ...              var X = ...        (a legacy module
  export class X ...                        var X = class X ...  exports its vars
  export function f(...)                    function f(...)      and functions)
  export default class X ...                class X ...  plus, at the end,
                                            function init(meta) { return new X(meta); }

Refused: `export {…}`, `export *`, `export default` of anything but a class,
`import.meta`, `import()`, imports that span lines or mix forms, and module
specifiers outside the table. Imports sit at the top of a file, one a line.

Usage: esm2legacy.py INPUT OUTPUT
"""

import os
import re
import sys

IDENT = r"[A-Za-z_$][A-Za-z0-9_$]*"
IMPORT_RE = re.compile(r"^import\s+(?P<clause>.+?)\s+from\s+'(?P<spec>[^']+)';\s*$")
ME = "Me_"
ME_LINE = "const %s = imports.misc.extensionUtils.getCurrentExtension();" % ME
LEGACY_MODULES = {"gettext", "system", "cairo", "byteArray"}


class TransformError(Exception):
    def __init__(self, path, lineno, message):
        super().__init__("%s:%d: %s" % (path, lineno, message))


def module_expr(spec, path, lineno):
    """The legacy expression for a module specifier, and whether it needs Me."""
    m = re.fullmatch(r"gi://(%s)(?:\?version=([0-9.]+))?" % IDENT, spec)
    if m:
        return "imports.gi.%s" % m.group(1), m.group(2), False
    if spec in LEGACY_MODULES:
        return "imports.%s" % spec, None, False
    if spec == "resource:///org/gnome/shell/extensions/extension.js":
        return "%s.imports.legacyExtension" % ME, None, True
    m = re.fullmatch(r"resource:///org/gnome/shell/(ui|misc)/(%s)\.js" % IDENT, spec)
    if m:
        return "imports.%s.%s" % (m.group(1), m.group(2)), None, False
    m = re.fullmatch(r"\./(%s)\.js" % IDENT, spec)
    if m:
        return "%s.imports.%s" % (ME, m.group(1)), None, True
    raise TransformError(path, lineno, "no legacy equivalent for module '%s'" % spec)


def binding(clause, path, lineno):
    """The left-hand side of the const that replaces an import clause."""
    m = re.fullmatch(r"\*\s+as\s+(%s)" % IDENT, clause)
    if m:
        return m.group(1)
    if re.fullmatch(IDENT, clause):
        return clause
    m = re.fullmatch(r"\{\s*(.*?)\s*,?\s*\}", clause)
    if m:
        names = []
        for part in m.group(1).split(","):
            part = part.strip()
            pm = re.fullmatch(r"(%s)(?:\s+as\s+(%s))?" % (IDENT, IDENT), part)
            if not pm:
                raise TransformError(path, lineno, "cannot convert import name '%s'" % part)
            names.append(pm.group(1) if not pm.group(2) else "%s: %s" % (pm.group(1), pm.group(2)))
        return "{%s}" % ", ".join(names)
    raise TransformError(path, lineno, "cannot convert import clause '%s'" % clause)


def transform(text, path="<input>"):
    out = []
    needs_me = False
    default_class = None
    versions = []
    for lineno, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if "import.meta" in line or re.search(r"\bimport\s*\(", line):
            raise TransformError(path, lineno, "import.meta and import() have no legacy equivalent")
        if line.startswith("import ") or line.startswith("import{"):
            m = IMPORT_RE.match(line)
            if not m:
                raise TransformError(path, lineno, "imports must be one a line: import CLAUSE from 'SPEC';")
            expr, version, me = module_expr(m.group("spec"), path, lineno)
            needs_me = needs_me or me
            if version:
                name = m.group("spec")[len("gi://"):].split("?")[0]
                versions.append("imports.gi.versions.%s = '%s';" % (name, version))
            out.append("const %s = %s;" % (binding(m.group("clause").strip(), path, lineno), expr))
            continue
        if line.startswith("export"):
            m = re.match(r"^export\s+default\s+class\s+(%s)\b(.*)$" % IDENT, line)
            if m:
                if default_class:
                    raise TransformError(path, lineno, "a second export default")
                default_class = m.group(1)
                out.append("class %s%s" % (m.group(1), m.group(2)))
                continue
            m = re.match(r"^export\s+(?:const|let|var)\s+(%s)(\s*=.*)$" % IDENT, line)
            if m:
                out.append("var %s%s" % (m.group(1), m.group(2)))
                continue
            m = re.match(r"^export\s+class\s+(%s)\b(.*)$" % IDENT, line)
            if m:
                out.append("var %s = class %s%s" % (m.group(1), m.group(1), m.group(2)))
                continue
            m = re.match(r"^export\s+((?:async\s+)?function\b.*)$", line)
            if m:
                out.append(m.group(1))
                continue
            raise TransformError(path, lineno, "cannot convert export: %s" % stripped)
        if re.match(r"^\s+(import|export)\s", line) and not stripped.startswith(("//", "*", "/*")):
            raise TransformError(path, lineno, "imports and exports belong at the top level, unindented")
        out.append(line)

    body = "\n".join(out)
    header = ["// Generated from %s by esm2legacy.py for GNOME Shell 43/44: edit the source, not this file."
              % os.path.basename(path)]
    header += versions
    if needs_me:
        header.append(ME_LINE)
    if default_class:
        if not body.endswith("\n"):
            body += "\n"
        body += "\n/* exported init */\nfunction init(meta) {\n    return new %s(meta);\n}\n" % default_class
    return "\n".join(header) + "\n" + body


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: esm2legacy.py INPUT OUTPUT\n")
        return 2
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        result = transform(text, argv[1])
    except TransformError as e:
        sys.stderr.write("esm2legacy: %s\n" % e)
        return 1
    tmp = argv[2] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(result)
    os.replace(tmp, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
