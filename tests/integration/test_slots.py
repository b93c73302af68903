#!/usr/bin/python3
"""The model-slot limiter and MaxActiveRuns."""

from harness import MANAGER, MANAGER_PATH, ShiftdTestCase, main


class Slots(ShiftdTestCase):
    conf = {"Limits": {"ModelSlots": "2", "MaxActiveRuns": "8"}}

    def test_never_more_than_model_slots_and_exactly_that_under_load(self):
        # two model calls per run: an unknown tool (the loop goes on), then finish
        self.standin.scenario("two", [
            {"tool": "not_a_tool", "arguments": {}, "delay": 0.4},
            {"tool": "finish", "arguments": {"result": "ok"}, "delay": 0.4},
        ])
        in_use, queue = [], []

        def on_changed(path, iface, member, args):
            if args[0] == MANAGER:
                if "ModelSlotsInUse" in args[1]:
                    in_use.append(args[1]["ModelSlotsInUse"])
                if "ModelQueueLength" in args[1]:
                    queue.append(args[1]["ModelQueueLength"])

        self.client.subscribe(on_changed, path=MANAGER_PATH, member="PropertiesChanged")
        paths = [self.client.start_run("job %d scenario:two" % i)[1] for i in range(6)]
        for p in paths:
            self.assertEqual(self.client.wait_final(p, 60), "done")
        stats = self.standin.stats()
        self.assertEqual(stats["requests"], 12)
        self.assertEqual(stats["max_inflight"], 2)
        self.client.pump(0.2)
        self.assertEqual(max(in_use), 2)
        self.assertGreater(max(queue), 0)
        self.assertEqual(self.client.get(MANAGER_PATH, "ModelSlotsInUse", MANAGER), 0)
        self.assertEqual(self.client.get(MANAGER_PATH, "ModelQueueLength", MANAGER), 0)


class ActiveRunCap(ShiftdTestCase):
    conf = {"Limits": {"ModelSlots": "4", "MaxActiveRuns": "2"}}

    def test_runs_beyond_the_cap_wait_queued(self):
        self.standin.scenario("slow", [{"tool": "finish", "arguments": {"result": "ok"}, "delay": 0.5}])
        paths = [self.client.start_run("scenario:slow")[1] for _ in range(4)]
        self.client.wait(lambda: sum(1 for p in paths if self.client.get(p, "State") == "queued") == 2,
                         5, "two runs queued behind MaxActiveRuns=2")
        for p in paths:
            self.assertEqual(self.client.wait_final(p, 30), "done")
        self.assertLessEqual(self.standin.stats()["max_inflight"], 2)
        self.assertTrue(all(self.kinds(p)[:2] == ["created", "started"] for p in paths))


if __name__ == "__main__":
    main()
