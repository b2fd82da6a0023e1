"""HTTP connection caps (issue 9, defect 4 "the same discipline for HTTP"): idle connections from one
address are capped (the excess is closed on accept), /healthz keeps answering other clients, and idle
connections are closed after the (test-shortened) idle timeout."""

from __future__ import annotations

import http.client
import socket
import time

from connections import is_closed, wait_until

IDLE = 2
PER_ADDRESS = 4


def healthz(port: int, source: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5, source_address=(source, 0))
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status
    finally:
        conn.close()


def test_idle_http_connections_are_capped_per_address_and_closed(start_server):
    srv = start_server(["--http-idle-timeout", str(IDLE), "--http-max-connections-per-address", str(PER_ADDRESS)],
                       name="http-caps")
    flood = []
    for _ in range(30):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.21", 0))
        s.connect(("127.0.0.1", srv.http_port))
        s.setblocking(False)
        flood.append(s)
    try:
        # the server closes the ones over the limit as it accepts them; poll for at most half the idle
        # timeout, which would close them all whatever the cap
        wait_until(lambda: sum(1 for s in flood if not is_closed(s)) <= PER_ADDRESS, IDLE / 2)
        still_open = sum(1 for s in flood if not is_closed(s))
        assert still_open <= PER_ADDRESS, "idle HTTP connections from one address left open: %d of 30" % still_open
        assert healthz(srv.http_port, "127.0.0.22") == 200, "/healthz must answer another client meanwhile"
        deadline = time.monotonic() + IDLE + 8
        while time.monotonic() < deadline and any(not is_closed(s) for s in flood):
            time.sleep(0.2)
        assert all(is_closed(s) for s in flood), "idle HTTP connections must be closed after %d s" % IDLE
        assert healthz(srv.http_port, "127.0.0.21") == 200, "the address is served again once its idle connections are gone"
    finally:
        for s in flood:
            s.close()
