#!/usr/bin/python3
"""tools/esm2legacy.py: what it turns ES modules into, what it refuses, and
that the legacy build it made for GNOME Shell 43/44 compiles in gjs."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import esm2legacy  # noqa: E402

LEGACY = os.environ.get("SHIFTD_EXTENSION_LEGACY")
ESM = os.environ.get("SHIFTD_EXTENSION_ESM")
SRC = os.path.join(HERE, "..", "src")


def body(text):
    """The output without its generated-by header line."""
    return esm2legacy.transform(text, "x.js").split("\n", 1)[1]


class Transform(unittest.TestCase):
    def test_imports(self):
        self.assertEqual(body("import Gio from 'gi://Gio';\n"), "const Gio = imports.gi.Gio;\n")
        self.assertEqual(body("import Soup from 'gi://Soup?version=3.0';\n"),
                         "imports.gi.versions.Soup = '3.0';\nconst Soup = imports.gi.Soup;\n")
        self.assertEqual(body("import Gettext from 'gettext';\n"), "const Gettext = imports.gettext;\n")
        self.assertEqual(body("import * as Main from 'resource:///org/gnome/shell/ui/main.js';\n"),
                         "const Main = imports.ui.main;\n")
        self.assertEqual(body("import {Params} from 'resource:///org/gnome/shell/misc/params.js';\n"),
                         "const {Params} = imports.misc.params;\n")

    def test_local_imports_go_through_the_extension_object(self):
        out = body("import {A, B as C} from './model.js';\nA(C);\n")
        self.assertEqual(out, "%s\nconst {A, B: C} = Me_.imports.model;\nA(C);\n" % esm2legacy.ME_LINE)
        out = body("import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';\n")
        self.assertIn("const {Extension} = Me_.imports.legacyExtension;", out)

    def test_exports_become_vars_and_functions(self):
        src = ("export const X = 1;\nexport let y = 2;\nexport class Foo extends Bar {\n}\n"
               "export function f(a) {\n    return a;\n}\nexport async function g() {}\n")
        self.assertEqual(body(src), "var X = 1;\nvar y = 2;\nvar Foo = class Foo extends Bar {\n}\n"
                                    "function f(a) {\n    return a;\n}\nasync function g() {}\n")

    def test_the_default_class_gets_an_init(self):
        out = body("export default class Ext extends Extension {\n    enable() {}\n}\n")
        self.assertTrue(out.startswith("class Ext extends Extension {\n    enable() {}\n}\n"), out)
        self.assertIn("function init(meta) {\n    return new Ext(meta);\n}\n", out)

    def test_refusals_name_the_line(self):
        for src, why in [
            ("const a = 1;\nexport {a};\n", "cannot convert export"),
            ("export * from './x.js';\n", "cannot convert export"),
            ("export default function () {}\n", "cannot convert export"),
            ("import {\n  a,\n} from './x.js';\n", "one a line"),
            ("import X from 'resource:///org/example/x.js';\n", "no legacy equivalent"),
            ("import X from './my-module.js';\n", "no legacy equivalent"),
            ("import X, {y} from './x.js';\n", "cannot convert import clause"),
            ("const u = import.meta.url;\n", "import.meta"),
            ("const m = await import('./x.js');\n", "import()"),
            ("export default class A {}\nexport default class B {}\n", "a second export default"),
            ("if (x) {\n    export const y = 1;\n}\n", "top level"),
        ]:
            with self.subTest(src=src):
                with self.assertRaises(esm2legacy.TransformError) as cm:
                    esm2legacy.transform(src, "x.js")
                self.assertIn(why, str(cm.exception))
                self.assertRegex(str(cm.exception), r"^x\.js:\d+: ")

    def test_the_command_line_fails_cleanly(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "bad.js")
            with open(src, "w") as f:
                f.write("export {a};\n")
            out = os.path.join(tmp, "out.js")
            p = subprocess.run([sys.executable, os.path.join(HERE, "..", "tools", "esm2legacy.py"), src, out],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 1)
            self.assertIn("bad.js:1: cannot convert export", p.stderr)
            self.assertFalse(os.path.exists(out))


@unittest.skipUnless(LEGACY and ESM, "run by meson (SHIFTD_EXTENSION_LEGACY, SHIFTD_EXTENSION_ESM)")
class Builds(unittest.TestCase):
    """The two flavours meson built from src/."""

    def test_metadata(self):
        for flavour, versions in ((ESM, ["45", "46", "47", "48", "49", "50"]), (LEGACY, ["43", "44"])):
            with open(os.path.join(flavour, "metadata.json")) as f:
                meta = json.load(f)
            self.assertEqual(meta["uuid"], "shiftd@shiftd.org")
            self.assertEqual(meta["shell-version"], versions)
            self.assertEqual(meta["gettext-domain"], "shiftd")
            self.assertTrue(meta["localedir"].startswith("/"))

    def test_same_files_in_both(self):
        esm = set(os.listdir(ESM))
        legacy = set(os.listdir(LEGACY))
        self.assertEqual(legacy - esm, {"legacyExtension.js"})
        self.assertLessEqual({"extension.js", "indicator.js", "model.js", "format.js", "metadata.json",
                              "stylesheet.css", "shiftd-symbolic.svg"}, esm)
        for name in esm:
            if name.endswith(".js"):
                with open(os.path.join(ESM, name)) as a, open(os.path.join(SRC, name)) as b:
                    self.assertEqual(a.read(), b.read(), "%s is a copy of the source" % name)

    def test_legacy_modules_compile_in_gjs(self):
        """Each legacy module compiles as the script GNOME Shell 43 runs it as,
        with no module syntax left in it."""
        files = sorted(f for f in os.listdir(LEGACY) if f.endswith(".js"))
        script = ("const {GLib} = imports.gi;\n"
                  "for (const path of ARGV) {\n"
                  "  const [, bytes] = GLib.file_get_contents(path);\n"
                  "  new Function(new TextDecoder().decode(bytes));\n"
                  "  print(`ok ${path}`);\n"
                  "}\n")
        p = subprocess.run(["gjs", "-c", script] + [os.path.join(LEGACY, f) for f in files],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.count("ok "), len(files), p.stdout)
        for name in files:
            with open(os.path.join(LEGACY, name)) as f:
                text = f.read()
            self.assertNotRegex(text, r"(?m)^(import|export)\b", name)

    def test_legacy_model_loads_with_the_imports_system(self):
        script = ("imports.searchPath.unshift(ARGV[0]);\n"
                  "const M = imports.model;\n"
                  "const F = imports.format;\n"
                  "print(typeof M.ShiftdModel, M.BUS_NAME, F.formatDuration(90 * 1000000));\n")
        p = subprocess.run(["gjs", "-c", script, LEGACY], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "function org.shiftd.Shift1 1 min")

    def test_esm_flavour_links_with_shell_45_module_names(self):
        """The ES modules link: every import names a module and an export
        that exist. The Shell's own modules are stand-ins here, under their
        GNOME Shell 45 resource paths, with the names the extension imports
        (this machine's Shell is older); St, Clutter and the rest are the
        real libraries."""
        if shutil.which("glib-compile-resources") is None:
            self.skipTest("glib-compile-resources is not installed")
        stubs = {
            "ui/main.js": "export const panel = {statusArea: {}, addToStatusArea() {}};\n"
                          "export function notifyError() {}\n",
            "ui/panelMenu.js": "import GObject from 'gi://GObject';\nimport St from 'gi://St';\n"
                               "export const Button = GObject.registerClass(class PanelMenuButton extends St.Widget {});\n",
            "ui/popupMenu.js": "".join("export class %s {}\n" % c for c in (
                "PopupBaseMenuItem", "PopupMenuItem", "PopupSeparatorMenuItem", "PopupSwitchMenuItem",
                "PopupMenuSection")),
            "extensions/extension.js": "export class Extension {\n"
                                       "    constructor(metadata) { this.metadata = metadata; }\n}\n",
        }
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in stubs.items():
                os.makedirs(os.path.join(tmp, os.path.dirname(name)), exist_ok=True)
                with open(os.path.join(tmp, name), "w") as f:
                    f.write(text)
            with open(os.path.join(tmp, "stubs.gresource.xml"), "w") as f:
                f.write('<?xml version="1.0"?>\n<gresources><gresource prefix="/org/gnome/shell">%s'
                        '</gresource></gresources>\n' % "".join("<file>%s</file>" % n for n in stubs))
            subprocess.run(["glib-compile-resources", "--sourcedir=" + tmp, "--target=" + tmp + "/stubs.gresource",
                            tmp + "/stubs.gresource.xml"], check=True, timeout=30)
            script = os.path.join(tmp, "link.js")
            with open(script, "w") as f:
                f.write("import Gio from 'gi://Gio';\n"
                        "Gio.Resource.load(ARGV[0])._register();\n"
                        "const m = await import(`file://${ARGV[1]}/extension.js`);\n"
                        "const proto = m.default.prototype;\n"
                        "print(typeof m.default, typeof proto.enable, typeof proto.disable);\n"
                        "const i = await import(`file://${ARGV[1]}/indicator.js`);\n"
                        "print(typeof i.ShiftdIndicator, typeof i.panelIcon);\n")
            shell_libs = ["/usr/lib/gnome-shell", "/usr/lib/x86_64-linux-gnu/mutter-11",
                          "/usr/lib/x86_64-linux-gnu/mutter-12", "/usr/lib64/gnome-shell"]
            libs = ":".join(d for d in shell_libs if os.path.isdir(d))
            if not libs:
                self.skipTest("GNOME Shell's St and Clutter are not installed")
            env = dict(os.environ, GI_TYPELIB_PATH=libs, LD_LIBRARY_PATH=libs)
            p = subprocess.run(["gjs", "-m", script, tmp + "/stubs.gresource", ESM], capture_output=True,
                               text=True, timeout=60, env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout.split("\n")[:2], ["function function function", "function function"],
                             p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
