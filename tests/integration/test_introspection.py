#!/usr/bin/python3
"""data/org.shiftd.Shift1.xml describes the live daemon exactly: every
org.shiftd.* interface the daemon exposes (on the manager, a run and an agent,
and anywhere else in its object tree) is in the file and vice versa, with the
same methods (argument names, types, directions, in order), properties (type,
access, EmitsChangedSignal) and signals (argument names and types)."""

import copy
import os
import xml.etree.ElementTree as ET

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio  # noqa: E402

from harness import MANAGER_PATH, SOURCE, ShiftdTestCase, main  # noqa: E402

XML_PATH = os.path.join(SOURCE, "data", "org.shiftd.Shift1.xml")
DOC_NS = "{http://www.freedesktop.org/dbus/1.0/doc.dtd}"
EMITS = "org.freedesktop.DBus.Property.EmitsChangedSignal"
OURS = "org.shiftd."


def describe(iface):
    """An <interface> element as plain data that compares equal exactly when
    two descriptions agree on every member."""
    methods, properties, signals = {}, {}, {}
    for m in iface.findall("method"):
        methods[m.get("name")] = [(a.get("direction", "in"), a.get("type"), a.get("name")) for a in m.findall("arg")]
    for p in iface.findall("property"):
        emits = "true"
        for ann in p.findall("annotation"):
            if ann.get("name") == EMITS:
                emits = ann.get("value")
        properties[p.get("name")] = (p.get("type"), p.get("access"), emits)
    for s in iface.findall("signal"):
        signals[s.get("name")] = [(a.get("type"), a.get("name")) for a in s.findall("arg")]
    return {"methods": methods, "properties": properties, "signals": signals}


def interfaces_of(node):
    return {i.get("name"): describe(i) for i in node.findall("interface") if i.get("name").startswith(OURS)}


def differences(live, documented):
    """Human-readable differences between {iface: description} maps."""
    out = []
    for name in sorted(set(live) | set(documented)):
        if name not in documented:
            out.append("interface %s is live but not in the XML" % name)
            continue
        if name not in live:
            out.append("interface %s is in the XML but not live" % name)
            continue
        for kind in ("methods", "properties", "signals"):
            a, b = live[name][kind], documented[name][kind]
            for member in sorted(set(a) | set(b)):
                if member not in b:
                    out.append("%s.%s (%s) is live but not in the XML: %s" % (name, member, kind[:-1], a[member]))
                elif member not in a:
                    out.append("%s.%s (%s) is in the XML but not live: %s" % (name, member, kind[:-1], b[member]))
                elif a[member] != b[member]:
                    out.append("%s.%s (%s) differs: live %s, XML %s" % (name, member, kind[:-1], a[member], b[member]))
    return out


# On the session bus (user mode) these carry their values in PropertiesChanged;
# the XML describes the system bus, where they are announced by name only.
CONTENT = ("Summary", "Result", "Error", "Question", "Choices")


class LiveDaemon(ShiftdTestCase):
    start_daemon = False
    system = True

    def introspect(self, path):
        xml = self.client.call(path, "org.freedesktop.DBus.Introspectable", "Introspect")[0]
        return ET.fromstring(xml)

    def live_interfaces(self):
        """Walks the daemon's whole object tree from "/"; returns
        {interface: description} and {interface: [paths]}."""
        found, where = {}, {}
        todo, seen = ["/"], set()
        while todo:
            path = todo.pop()
            if path in seen:
                continue
            seen.add(path)
            self.assertLess(len(seen), 200, "the object tree is unexpectedly large")
            node = self.introspect(path)
            for name, desc in interfaces_of(node).items():
                if name in found:
                    self.assertEqual(desc, found[name], "%s differs between %s and %s" % (name, where[name][0], path))
                found[name] = desc
                where.setdefault(name, []).append(path)
            for child in node.findall("node"):
                todo.append(path.rstrip("/") + "/" + child.get("name"))
        return found, where

    def documented(self):
        return interfaces_of(ET.parse(XML_PATH).getroot())

    def setUp(self):
        super().setUp()
        self.daemon = self.new_daemon(system=self.system)
        self.daemon.start()
        self.run_name, self.run_path = self.client.start_run("say hello")


class Introspection(LiveDaemon):
    """The XML against a daemon in system mode, whose bus other uids share."""

    def test_xml_matches_the_live_daemon(self):
        live, where = self.live_interfaces()
        # The walk reached the three kinds of object, so an interface missing
        # from the XML cannot hide on an object that was never looked at.
        self.assertIn(MANAGER_PATH, where.get("org.shiftd.Shift1.Manager", []))
        self.assertIn(self.run_path, where.get("org.shiftd.Shift1.Run", []))
        self.assertIn("/org/shiftd/Shift1/agent/default", where.get("org.shiftd.Shift1.Agent", []))
        diff = differences(live, self.documented())
        self.assertEqual(diff, [], "data/org.shiftd.Shift1.xml disagrees with the daemon:\n  " + "\n  ".join(diff))

    def test_the_three_paths_carry_their_interfaces(self):
        expected = {MANAGER_PATH: "org.shiftd.Shift1.Manager", self.run_path: "org.shiftd.Shift1.Run",
                    "/org/shiftd/Shift1/agent/default": "org.shiftd.Shift1.Agent"}
        for path, iface in expected.items():
            self.assertIn(iface, interfaces_of(self.introspect(path)), path)
        names = [i.get("name") for i in self.introspect(MANAGER_PATH).findall("interface")]
        self.assertIn("org.freedesktop.DBus.ObjectManager", names)

    def test_the_comparison_sees_every_kind_of_change(self):
        """Positive controls: the comparison is not vacuous. Each edit of the
        documented side, and the same edit seen from the live side, is caught."""
        base = self.documented()
        self.assertEqual(differences(base, copy.deepcopy(base)), [])
        edits = {
            "method removed": lambda d: d["org.shiftd.Shift1.Manager"]["methods"].pop("Reload"),
            "method added": lambda d: d["org.shiftd.Shift1.Run"]["methods"].__setitem__("Pause", []),
            "arg renamed": lambda d: d["org.shiftd.Shift1.Run"]["methods"].__setitem__(
                "Answer", [("in", "s", "answer")]),
            "arg type changed": lambda d: d["org.shiftd.Shift1.Run"]["methods"].__setitem__(
                "GetEvents", [("in", "u", "from"), ("in", "t", "max"), ("out", "a(utss)", "events")]),
            "args reordered": lambda d: d["org.shiftd.Shift1.Manager"]["methods"]["StartRun"].reverse(),
            "property removed": lambda d: d["org.shiftd.Shift1.Agent"]["properties"].pop("Timer"),
            "property added": lambda d: d["org.shiftd.Shift1.Agent"]["properties"].__setitem__(
                "Owner", ("u", "read", "const")),
            "property access": lambda d: d["org.shiftd.Shift1.Agent"]["properties"].__setitem__(
                "Enabled", ("b", "readwrite", "true")),
            "property emits": lambda d: d["org.shiftd.Shift1.Run"]["properties"].__setitem__(
                "Summary", ("s", "read", "true")),
            "signal removed": lambda d: d["org.shiftd.Shift1.Run"]["signals"].pop("Event"),
            "signal arg": lambda d: d["org.shiftd.Shift1.Manager"]["signals"]["RunFinished"].pop(),
            "interface removed": lambda d: d.pop("org.shiftd.Shift1.Agent"),
            "interface added": lambda d: d.__setitem__("org.shiftd.Shift1.Extra",
                                                       {"methods": {}, "properties": {}, "signals": {}}),
        }
        for what, edit in edits.items():
            changed = copy.deepcopy(base)
            edit(changed)
            self.assertNotEqual(differences(base, changed), [], "not caught (XML side): " + what)
            self.assertNotEqual(differences(changed, base), [], "not caught (live side): " + what)

    def test_the_comparison_reads_a_mutated_file(self):
        """The same, end to end from XML text: a method dropped from the file
        and a signal added to it both show up against the live daemon."""
        live, _ = self.live_interfaces()
        root = ET.parse(XML_PATH).getroot()
        manager = [i for i in root.findall("interface") if i.get("name") == "org.shiftd.Shift1.Manager"][0]
        manager.remove(manager.find("method[@name='GetRun']"))
        ET.SubElement(manager, "signal", name="Bogus")
        diff = differences(live, interfaces_of(root))
        self.assertEqual(len(diff), 2, diff)
        self.assertTrue(any("GetRun" in d and "live but not in the XML" in d for d in diff), diff)
        self.assertTrue(any("Bogus" in d and "in the XML but not live" in d for d in diff), diff)

    def test_the_file_is_documented_and_gio_reads_it(self):
        with open(XML_PATH) as f:
            text = f.read()
        info = Gio.DBusNodeInfo.new_for_xml(text)
        self.assertEqual(sorted(i.name for i in info.interfaces), sorted(self.documented()))
        root = ET.fromstring(text)
        undocumented = []
        for iface in root.findall("interface"):
            for el in [iface] + iface.findall("method") + iface.findall("property") + iface.findall("signal"):
                summary = el.find(DOC_NS + "doc/" + DOC_NS + "summary")
                if summary is None or not (summary.text or "").strip():
                    undocumented.append("%s %s" % (el.tag, el.get("name")))
        self.assertEqual(undocumented, [], "members without a <doc:summary>")


class SessionIntrospection(LiveDaemon):
    """In user mode the same, but for the content properties, which there
    emit their values (the session bus is one user's)."""
    system = False

    def test_xml_matches_the_live_daemon(self):
        live, _ = self.live_interfaces()
        diff = differences(live, self.documented())
        expected = ["org.shiftd.Shift1.Run.%s (propertie) differs: live (%r, 'read', 'true'), XML (%r, 'read', "
                    "'invalidates')" % (p, "as" if p == "Choices" else "s", "as" if p == "Choices" else "s")
                    for p in sorted(CONTENT)]
        self.assertEqual(diff, expected)


if __name__ == "__main__":
    main()
