#!/usr/bin/python3
"""The daemon speaks sd_notify: READY=1 once the name is owned, WATCHDOG=1
while the service manager asks for it, STOPPING=1 on SIGTERM."""

import os
import socket

from harness import ShiftdTestCase, main, wait_for


class Notify(ShiftdTestCase):
    start_daemon = False

    def test_ready_watchdog_stopping(self):
        path = os.path.join(self.tmp, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(0.1)
        self.addCleanup(sock.close)
        messages = []

        def drain():
            try:
                while True:
                    messages.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
            return messages

        self.daemon = self.new_daemon(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"})
        self.daemon.start(wait=False)
        wait_for(lambda: any("READY=1" in m for m in drain()), 10, "READY=1")
        self.assertTrue(self.bus.has_owner(), "READY=1 came before the name was owned")
        wait_for(lambda: sum("WATCHDOG=1" in m for m in drain()) >= 3, 5, "three WATCHDOG=1 pings")
        self.assertEqual(self.daemon.stop(), 0)
        drain()
        self.assertTrue(any("STOPPING=1" in m for m in messages), messages)


if __name__ == "__main__":
    main()
