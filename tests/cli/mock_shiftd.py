#!/usr/bin/python3
"""A scripted stand-in for shiftd on a private bus, for testing shiftctl.

Usage: mock_shiftd.py CONFIG_JSON   (the bus is $DBUS_SESSION_BUS_ADDRESS)

Prints READY once it owns org.shiftd.Shift1. Every method call is recorded and
can be read back with org.shiftd.Test.Control.GetCalls at /org/shiftd/Test.

CONFIG_JSON: {"runs": [RUN...], "receipt": "run name StartRun/TriggerAgent hand out",
              "reload_error": "the message of Reload's InvalidArgument" (optional)}
RUN keys:
  name, state, total (events 1..total exist in the end), history (how many exist
  at the start), page_cap (GetEvents returns at most this many),
  final_state (the state once all events are appended; a "waiting" run ends
  with an "asked" event and a question),
  early: seqs appended and signalled *before* the reply to the first GetEvents
    (whose answer is the history as it was before them),
  drop: seqs whose Event signal is never sent (a gap the client must fetch),
  resend: seqs whose Event signal is sent a second time, after the rest,
  strict: GetEvents never serves past `history` (only signals carry the rest),
  state_first: announce the final State before the last event's signal,
  vanish: release the bus name once a GetEvents call finds nothing new,
  live_on: "first" (default) or "caught_up": start appending after the first
    GetEvents, or after the first one that finds nothing new (the client has
    read all history, so what follows reaches it only as signals),
  agent, summary, props: the run's Agent, Summary and other properties.
Control (org.shiftd.Test.Control): GetCalls; SetState(name, state), which
changes a run's State (to waiting: with a question) and announces it as shiftd
does (PropertiesChanged, then DecisionRequested or RunFinished).
The events after `history` (and not `early`) are appended one per main-loop
turn after the first GetEvents reply: by then the client has subscribed, as
the contract says it must before reading history.
"""

import json
import sys

import gi

gi.require_version("Gio", "2.0")
gi.require_version("GLib", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

BUS_NAME = "org.shiftd.Shift1"
MANAGER_PATH = "/org/shiftd/Shift1"
ERR = "org.shiftd.Shift1.Error."
T0 = 1_700_000_000_000_000  # µs: a fixed epoch so outputs are predictable

XML = """
<node>
 <interface name="org.shiftd.Shift1.Manager">
  <method name="StartRun"><arg type="s" direction="in"/><arg type="s" direction="in"/>
   <arg type="a{sv}" direction="in"/><arg type="s" direction="out"/><arg type="o" direction="out"/></method>
  <method name="GetRun"><arg type="s" direction="in"/><arg type="o" direction="out"/></method>
  <method name="ListRuns"><arg type="a{sv}" direction="in"/><arg type="a(ssssto)" direction="out"/></method>
  <method name="ListAgents"><arg type="a(sssto)" direction="out"/></method>
  <method name="TriggerAgent"><arg type="s" direction="in"/><arg type="s" direction="out"/>
   <arg type="o" direction="out"/></method>
  <method name="Reload"/>
  <property name="Version" type="s" access="read"/>
  <property name="ActiveRuns" type="u" access="read"/>
  <property name="ModelSlots" type="u" access="read"/>
  <property name="ModelSlotsInUse" type="u" access="read"/>
  <property name="ModelQueueLength" type="u" access="read"/>
  <signal name="RunFinished"><arg type="s"/><arg type="o"/><arg type="s"/></signal>
  <signal name="DecisionRequested"><arg type="s"/><arg type="o"/><arg type="s"/><arg type="as"/></signal>
 </interface>
 <interface name="org.shiftd.Shift1.Run">
  <method name="GetEvents"><arg type="u" direction="in"/><arg type="u" direction="in"/>
   <arg type="a(utss)" direction="out"/></method>
  <method name="Answer"><arg type="s" direction="in"/></method>
  <method name="Cancel"/>
  <signal name="Event"><arg type="u"/><arg type="t"/><arg type="s"/><arg type="s"/></signal>
  <property name="Name" type="s" access="read"/>
  <property name="Agent" type="s" access="read"/>
  <property name="Task" type="s" access="read"/>
  <property name="Trigger" type="s" access="read"/>
  <property name="State" type="s" access="read"/>
  <property name="Summary" type="s" access="read"/>
  <property name="Result" type="s" access="read"/>
  <property name="Error" type="s" access="read"/>
  <property name="Question" type="s" access="read"/>
  <property name="Choices" type="as" access="read"/>
  <property name="DecisionDeadline" type="t" access="read"/>
  <property name="Step" type="u" access="read"/>
  <property name="Attempt" type="u" access="read"/>
  <property name="EventCount" type="u" access="read"/>
  <property name="CreatedAt" type="t" access="read"/>
  <property name="StartedAt" type="t" access="read"/>
  <property name="UpdatedAt" type="t" access="read"/>
  <property name="FinishedAt" type="t" access="read"/>
  <property name="Unit" type="s" access="read"/>
  <property name="Owner" type="u" access="read"/>
  <property name="TokensIn" type="t" access="read"/>
  <property name="TokensOut" type="t" access="read"/>
 </interface>
 <interface name="org.shiftd.Shift1.Agent">
  <method name="SetEnabled"><arg type="b" direction="in"/></method>
  <property name="Name" type="s" access="read"/>
  <property name="Enabled" type="b" access="read"/>
  <property name="NextWakeAt" type="t" access="read"/>
  <property name="CurrentInterval" type="t" access="read"/>
  <property name="IdleStreak" type="u" access="read"/>
  <property name="LastRun" type="o" access="read"/>
  <property name="TokensToday" type="t" access="read"/>
  <property name="TokensTotal" type="t" access="read"/>
 </interface>
 <interface name="org.shiftd.Test.Control">
  <method name="GetCalls"><arg type="s" direction="out"/></method>
  <method name="SetState"><arg type="s" direction="in"/><arg type="s" direction="in"/></method>
 </interface>
</node>
"""
NODE = Gio.DBusNodeInfo.new_for_xml(XML)
IFACE = {i.name: i for i in NODE.interfaces}
RUN_PROP_TYPES = {p.name: p.signature for p in IFACE["org.shiftd.Shift1.Run"].properties}


class DBusError(Exception):
    """Raised by a handler: args are (error name, message)."""


def path_encode(name):
    """sd_bus_path_encode for one element."""
    return "".join(c if c.isalnum() and c.isascii() else "_%02x" % ord(c) for c in name)


def event_for(seq, total, final_state):
    """The seq-th event of a run with `total` events."""
    if seq == 1:
        return "created", {"task": "Tidy the build log", "trigger": "manual", "max_steps": 20,
                           "timeout_usec": 3_600_000_000}
    if seq == 2:
        return "started", {"attempt": 1}
    if seq == total:
        return {
            "done": ("done", {"result": "All tidy."}),
            "failed": ("failed", {"error": "model server unreachable"}),
            "cancelled": ("cancelled", {"reason": "cancelled by uid 0"}),
            "idle": ("no_work", {"reason": "nothing new"}),
            "waiting": ("asked", {"question": "Deploy now?", "choices": ["yes", "no"]}),
        }.get(final_state, ("note", {"text": "last"}))
    step = (seq - 3) // 4 + 1
    return [
        ("model_call", {"step": step, "model": "mock-1", "messages": seq}),
        ("model_reply", {"step": step, "content": "Looking at it", "tool_calls": ["shell"]}),
        ("tool_call", {"step": step, "tool": "shell", "id": "c%d" % seq, "arguments": {"command": "ls"}}),
        ("tool_result", {"step": step, "tool": "shell", "id": "c%d" % seq, "ok": True, "result": "a b"}),
    ][(seq - 3) % 4]


class Run:
    def __init__(self, mock, cfg):
        self.mock = mock
        self.name = cfg["name"]
        self.path = "/org/shiftd/Shift1/run/" + path_encode(self.name)
        self.total = cfg.get("total", 0)
        self.history = cfg.get("history", self.total)
        self.appended = self.history
        self.page_cap = cfg.get("page_cap", 1000)
        self.final_state = cfg.get("final_state", "done")
        self.early = cfg.get("early", [])
        self.drop = set(cfg.get("drop", []))
        self.resend = cfg.get("resend", [])
        self.strict = cfg.get("strict", False)
        self.state_first = cfg.get("state_first", False)
        self.vanish = cfg.get("vanish", False)
        self.live_on = cfg.get("live_on", "first")
        self.serve_limit = self.appended if self.strict else None
        self.live_started = False
        self.events = [(s, T0 + s * 1_000_000) + event_for(s, self.total, self.final_state)
                       for s in range(1, self.total + 1)]
        self.props = {
            "Name": self.name, "Agent": cfg.get("agent", "default"),
            "Task": "Tidy the build log\nand say what you did", "Trigger": "manual",
            "State": cfg.get("state", "running"), "Summary": cfg.get("summary", "working on it"),
            "Result": "", "Error": "", "Question": "", "Choices": [], "DecisionDeadline": 0,
            "Step": 2, "Attempt": 1, "EventCount": self.appended,
            "CreatedAt": T0, "StartedAt": T0 + 1_000_000, "UpdatedAt": T0 + 2_000_000,
            "FinishedAt": 0, "Unit": "", "Owner": 1000, "TokensIn": 1520, "TokensOut": 230,
        }
        self.props.update(cfg.get("props", {}))
        if self.props["State"] == "waiting" and not self.props["Question"]:
            self.set_waiting_props()

    def set_waiting_props(self):
        self.props.update(Question="Deploy now?", Choices=["yes", "no"],
                          DecisionDeadline=T0 + 3600 * 1_000_000)

    def variant(self, prop):
        return GLib.Variant(RUN_PROP_TYPES[prop], self.props[prop])

    def emit_event(self, seq):
        s, t, kind, data = self.events[seq - 1]
        self.mock.conn.emit_signal(None, self.path, "org.shiftd.Shift1.Run", "Event",
                                   GLib.Variant("(utss)", (s, t, kind, json.dumps(data))))

    def emit_changed(self, names):
        changed = {n: self.variant(n) for n in names}
        self.mock.conn.emit_signal(None, self.path, "org.freedesktop.DBus.Properties",
                                   "PropertiesChanged",
                                   GLib.Variant("(sa{sv}as)", ("org.shiftd.Shift1.Run", changed, [])))

    def append(self, seq):
        self.appended = max(self.appended, seq)
        self.props["EventCount"] = self.appended
        if seq not in self.drop:
            self.emit_event(seq)

    def finish(self):
        state = self.final_state
        # as shiftd words them (docs/dbus-api.md)
        summary = {"failed": "failed: model server unreachable", "done": "All tidy.",
                   "cancelled": "cancelled by uid 0", "idle": "no work: nothing new"}.get(state, "finished: " + state)
        self.props.update(State=state, Summary=summary,
                          FinishedAt=0 if state == "waiting" else T0 + 60_000_000)
        if state == "done":
            self.props["Result"] = "All tidy."
        elif state == "failed":
            self.props["Error"] = "model server unreachable"
        elif state == "waiting":
            self.set_waiting_props()
        self.emit_changed(["State", "Summary", "EventCount"])

    def live_steps(self):
        """Appends the remaining events one per main-loop turn, then finishes.
        Yields True while there is more to do (an idle callback's "call again")."""
        for seq in range(self.history + 1, self.total + 1):
            if seq in self.early:
                continue
            if seq == self.total and self.state_first:
                self.appended = seq
                self.props["EventCount"] = seq
                self.finish()
                if seq not in self.drop:
                    self.emit_event(seq)
                return
            self.append(seq)
            yield True
        for seq in self.resend:
            self.emit_event(seq)
        self.finish()

    def get_events(self, start, count):
        last = self.appended if self.serve_limit is None else self.serve_limit
        end = min(last, start + min(count, self.page_cap) - 1)
        out = [(s, t, k, json.dumps(d)) for (s, t, k, d) in self.events[start - 1:end]] if start >= 1 else []
        return out

    def on_get_events(self, start, count):
        reply = self.get_events(start, count)
        due = self.live_on == "first" or not reply
        if due and not self.live_started and self.props["State"] not in ("done", "failed", "cancelled", "idle"):
            self.live_started = True
            for seq in self.early:  # signalled before the reply, missing from it
                self.append(seq)
            if self.early and max(self.early) == self.total:
                self.finish()
            elif self.appended < self.total:
                steps = self.live_steps()
                GLib.idle_add(lambda: next(steps, False))
        if self.vanish and not reply:
            GLib.idle_add(self.mock.vanish)
        return reply


class Mock:
    def __init__(self, cfg):
        self.cfg = cfg
        self.calls = []
        self.runs = {}
        self.loop = GLib.MainLoop()
        self.conn = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        for rc in cfg.get("runs", []):
            run = Run(self, rc)
            self.runs[run.name] = run
        self.by_path = {r.path: r for r in self.runs.values()}
        self.agents = [
            ("triage", "Sorts the inbox", "every 15min", T0 + 900_000_000,
             "/org/shiftd/Shift1/agent/triage"),
            ("bare", "Has no object to ask", "", 0, "/org/shiftd/Shift1/agent/bare"),
        ]
        self.triage_enabled = True
        self.register(MANAGER_PATH, "org.shiftd.Shift1.Manager")
        self.register("/org/shiftd/Test", "org.shiftd.Test.Control")
        self.register("/org/shiftd/Shift1/agent/triage", "org.shiftd.Shift1.Agent")
        for path in self.by_path:
            self.register(path, "org.shiftd.Shift1.Run")
        self.owner_id = Gio.bus_own_name_on_connection(self.conn, BUS_NAME, Gio.BusNameOwnerFlags.NONE,
                                                       self.on_acquired, self.on_lost)

    def register(self, path, iface):
        self.conn.register_object(path, IFACE[iface], self.on_call, self.on_get_property, None)

    def on_acquired(self, conn, name):
        print("READY", flush=True)

    def on_lost(self, conn, name):
        if self.owner_id:
            sys.exit("lost the bus name")

    def vanish(self):
        owner, self.owner_id = self.owner_id, 0
        Gio.bus_unown_name(owner)
        return False

    def receipt(self):
        run = self.runs[self.cfg["receipt"]]
        return GLib.Variant("(so)", (run.name, run.path))

    def on_get_property(self, conn, sender, path, iface, prop):
        if iface == "org.shiftd.Shift1.Run":
            return self.by_path[path].variant(prop)
        if iface == "org.shiftd.Shift1.Agent":
            last = next(iter(self.by_path), "/")
            return {"Name": GLib.Variant("s", "triage"), "CurrentInterval": GLib.Variant("t", 1_800_000_000),
                    "IdleStreak": GLib.Variant("u", 1), "LastRun": GLib.Variant("o", last),
                    "Enabled": GLib.Variant("b", self.triage_enabled),
                    "TokensToday": GLib.Variant("t", 1250), "TokensTotal": GLib.Variant("t", 345678),
                    "NextWakeAt": GLib.Variant("t", T0 + 900_000_000 if self.triage_enabled else 0)}[prop]
        if prop == "Version":
            return GLib.Variant("s", "mock")
        if prop == "ActiveRuns":
            return GLib.Variant("u", sum(r.props["State"] in ("queued", "running", "waiting")
                                         for r in self.runs.values()))
        if prop in ("ModelSlots", "ModelSlotsInUse", "ModelQueueLength"):
            return GLib.Variant("u", {"ModelSlots": 2, "ModelSlotsInUse": 1, "ModelQueueLength": 0}[prop])
        return None

    def on_call(self, conn, sender, path, iface, method, params, invocation):
        if iface != "org.shiftd.Test.Control":
            self.calls.append([path, method, params.print_(True)])
        handler = getattr(self, "do_" + method)
        try:
            reply = handler(path, *params.unpack())
        except DBusError as e:
            invocation.return_dbus_error(*e.args)
            return
        invocation.return_value(reply)

    # Manager
    def do_StartRun(self, path, agent, task, options):
        if agent not in ("", "default", "triage"):
            raise DBusError(ERR + "NoSuchAgent", 'no agent named "%s"' % agent)
        return self.receipt()

    def do_GetRun(self, path, name):
        if name not in self.runs:
            raise DBusError(ERR + "NoSuchRun", 'no run named "%s"' % name)
        return GLib.Variant("(o)", (self.runs[name].path,))

    def do_ListRuns(self, path, filt):
        rows = [(r.name, r.props["Agent"], r.props["State"], r.props["Summary"], r.props["CreatedAt"], r.path)
                for r in self.runs.values() if filt.get("state", r.props["State"]) == r.props["State"]
                and filt.get("agent", r.props["Agent"]) == r.props["Agent"]]
        if filt.get("limit"):
            rows = rows[-filt["limit"]:]
        return GLib.Variant("(a(ssssto))", (rows,))

    def do_ListAgents(self, path):
        return GLib.Variant("(a(sssto))", (self.agents,))

    def do_TriggerAgent(self, path, agent):
        if agent != "triage":
            raise DBusError(ERR + "NoSuchAgent", 'no agent named "%s"' % agent)
        return self.receipt()

    def do_Reload(self, path):
        if self.cfg.get("reload_error"):
            raise DBusError(ERR + "InvalidArgument", self.cfg["reload_error"])
        return None

    # Agent
    def do_SetEnabled(self, path, enabled):
        self.triage_enabled = enabled
        return None

    # Run
    def do_GetEvents(self, path, start, count):
        return GLib.Variant("(a(utss))", (self.by_path[path].on_get_events(start, count),))

    def do_Cancel(self, path):
        run = self.by_path[path]
        if run.props["State"] in ("done", "failed", "cancelled", "idle"):
            raise DBusError(ERR + "AlreadyFinished", "run %s has already finished" % run.name)
        run.props["State"] = "cancelled"
        return None

    def do_Answer(self, path, choice):
        run = self.by_path[path]
        if run.props["State"] != "waiting":
            raise DBusError(ERR + "NotWaiting", "run %s is not waiting for an answer" % run.name)
        if choice not in run.props["Choices"]:
            raise DBusError(ERR + "InvalidArgument", '"%s" is not one of the choices' % choice)
        run.props["State"] = "running"
        return None

    # Control
    def do_GetCalls(self, path):
        return GLib.Variant("(s)", (json.dumps(self.calls),))

    def do_SetState(self, path, name, state):
        run = self.runs[name]
        run.props["State"] = state
        if state == "waiting":
            run.set_waiting_props()
        run.emit_changed(["State"])
        if state == "waiting":
            self.conn.emit_signal(None, MANAGER_PATH, "org.shiftd.Shift1.Manager", "DecisionRequested",
                                  GLib.Variant("(sosas)", (name, run.path, run.props["Question"],
                                                           run.props["Choices"])))
        elif state in ("done", "failed", "cancelled", "idle"):
            self.conn.emit_signal(None, MANAGER_PATH, "org.shiftd.Shift1.Manager", "RunFinished",
                                  GLib.Variant("(sos)", (name, run.path, state)))
        return None


def main():
    mock = Mock(json.loads(sys.argv[1]))
    mock.loop.run()


if __name__ == "__main__":
    main()
