#!/usr/bin/python3
"""D-Bus calls, for tests that must call as another uid (run under setpriv).
Usage: bus-call.py ADDRESS PATH INTERFACE METHOD [SIGNATURE JSON-ARGS]
Prints {"result": [...]} or {"error": "org.x.Error.Name", "message": "..."}.
Or:    bus-call.py ADDRESS - < [[PATH, INTERFACE, METHOD, SIGNATURE, ARGS], ...]
prints one such object per call, as a JSON list, over one connection."""

import json
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402


def to_variant_args(signature, args):
    # a{sv} arrives as {"key": ["sig", value]}
    out = []
    for sig, value in zip(_split(signature), args):
        if sig == "a{sv}":
            value = {k: GLib.Variant(v[0], v[1]) for k, v in value.items()}
        out.append(value)
    return tuple(out)


def _split(signature):
    parts, i = [], 0
    while i < len(signature):
        j = i
        depth = 0
        while True:
            c = signature[j]
            if c in "a":
                j += 1
                continue
            if c in "({":
                depth += 1
            elif c in ")}":
                depth -= 1
            j += 1
            if depth == 0:
                break
        parts.append(signature[i:j])
        i = j
    return parts


def call(conn, path, iface, method, signature, args):
    params = GLib.Variant("(%s)" % signature, to_variant_args(signature, args)) if signature else None
    try:
        r = conn.call_sync("org.shiftd.Shift1", path, iface, method, params, None, Gio.DBusCallFlags.NONE, 10000,
                           None)
        return {"result": list(r.unpack()) if r is not None else []}
    except GLib.Error as e:
        name = Gio.DBusError.get_remote_error(e) if Gio.DBusError.is_remote_error(e) else str(e.domain)
        Gio.DBusError.strip_remote_error(e)
        return {"error": name, "message": e.message}


def main():
    address = sys.argv[1]
    conn = Gio.DBusConnection.new_for_address_sync(
        address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
        None, None)
    if sys.argv[2] == "-":
        print(json.dumps([call(conn, *c) for c in json.load(sys.stdin)]))
        return
    path, iface, method = sys.argv[2:5]
    signature = sys.argv[5] if len(sys.argv) > 5 else ""
    args = json.loads(sys.argv[6]) if len(sys.argv) > 6 else []
    print(json.dumps(call(conn, path, iface, method, signature, args)))


if __name__ == "__main__":
    main()
