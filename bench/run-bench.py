#!/usr/bin/python3
"""shiftd's benchmark: ratios against baselines measured side by side in the same
run (these machines are shared and noisy, so absolute numbers mean little).

1. StartRun (the receipt) against its floor: a Peer.Ping round trip on the same
   connection plus one fdatasync of a small write in the state dir — a receipt
   is synced before it is given. Target: median <= 1.5 x the floor.
2. GetAll on a Run while 8 runs are busy (workers calling the model stand-in
   and appending events) against Ping alone. Target: p99 <= 5 x.

Usage: bench/run-bench.py [--calls N]   (from the source tree, after meson compile)
Exit status: 0 when both targets are met, 3 when one is missed, 1 on error.
"""

import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("SHIFTD_SOURCE_ROOT", os.path.abspath(os.path.join(HERE, "..")))

import harness  # noqa: E402
from harness import Client, PrivateBus, Shiftd, Standin  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=400, help="timed calls per measurement")
    ap.add_argument("--client", default=os.path.join(harness.BUILD, "bench", "bench-client"))
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="shiftd-bench-")
    procs = []
    status = 0
    try:
        os.makedirs(os.path.join(tmp, "bus"))
        bus = PrivateBus(os.path.join(tmp, "bus"))
        procs.append(bus)
        standin = Standin(os.path.join(tmp))
        procs.append(standin)
        client = Client(bus)
        standin.scenario("queued", [{"hang": True}])
        standin.scenario("busy", [{"tool": "not_a_tool", "arguments": {}, "delay": 0.02}])

        # 1. receipts: one worker hangs, every later run stays queued, so only
        #    the receipt path is measured.
        os.makedirs(os.path.join(tmp, "d1"))
        d1 = Shiftd(os.path.join(tmp, "d1"), bus, standin,
                    conf={"Limits": {"MaxActiveRuns": "1"}}).start()
        procs.append(d1)
        rc = os.spawnv(os.P_WAIT, args.client, [args.client, "receipt", bus.address, d1.state_dir, str(args.calls)])
        if rc not in (0, 3):
            return 1
        status = max(status, rc)
        d1.stop()
        procs.remove(d1)

        # 2. reads while 8 runs are busy
        os.makedirs(os.path.join(tmp, "d2"))
        d2 = Shiftd(os.path.join(tmp, "d2"), bus, standin,
                    conf={"Limits": {"MaxActiveRuns": "16", "ModelSlots": "2", "MaxSteps": "100000"}}).start()
        procs.append(d2)
        paths = [client.start_run("busy %d scenario:busy" % i,
                                  options={"max_steps": 10000})[1] for i in range(8)]
        client.wait(lambda: all(client.get(p, "Step") >= 2 for p in paths), 20, "8 busy runs")
        rc = os.spawnv(os.P_WAIT, args.client, [args.client, "reads", bus.address, paths[0], str(args.calls * 5)])
        if rc not in (0, 3):
            return 1
        status = max(status, rc)
        busy = [client.get(p, "State") for p in paths]
        if busy != ["running"] * 8:
            print("warning: not all runs stayed busy during the measurement: %s" % busy)
        return status
    finally:
        for p in reversed(procs):
            p.stop()


if __name__ == "__main__":
    sys.exit(main())
