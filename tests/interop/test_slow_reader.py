"""Slow readers are cut off without hurting other sessions; a client that
pipelines actions without reading gets backpressure, not a disconnect."""

from __future__ import annotations

import re
import threading
import time

from amiwire import AMIError, build, first, login_conn
from conftest import SECRETS

N_EVENTS = 2000
PAYLOAD = "x" * 1000
N_PAYLOADS = 4                # ~4 KB per event, ~8 MB per reader: more than the kernel can
                              # buffer for a reader that never reads (tcp_wmem max is 4 MB)
BATCH = 50
DELIVERY_BOUND = 10.0         # seconds for R to get all events (correctness, not a benchmark)


def userevent(i: int) -> bytes:
    return build([("Action", "UserEvent"), ("UserEvent", "Flood"), ("ActionID", "f%d" % i),
                  ("Seq", str(i))] + [("Payload%d" % k, PAYLOAD) for k in range(1, N_PAYLOADS + 1)])


def test_slow_reader_is_disconnected_and_others_stay_prompt(start_server):
    # a queue limit well above what a reader that keeps up ever has pending
    # (BATCH), well below the flood; --ami-write-timeout-ms 1000 instead of the
    # default 100 ms, so a loaded test machine that stalls the fast reader's
    # Python thread for 100 ms does not make it a "slow reader" (S never reads:
    # it is cut off either way)
    srv = start_server(["--ami-auth-delay-ms", "200", "--ami-event-queue-limit", "256",
                        "--ami-write-timeout-ms", "1000"],
                       name="slow-reader")
    port = srv.port
    # S: logs in with events on, then never reads; a small receive buffer so
    # the kernel cannot absorb the flood for it.
    slow = login_conn(port, "monitor", SECRETS["monitor"], events="on", rcvbuf=4096)
    reader = login_conn(port, "monitor", SECRETS["monitor"], events="on")
    producer = login_conn(port, "monitor", SECRETS["monitor"], events="off")

    seqs: list[int] = []
    reader_error: list[BaseException] = []
    reader_done = threading.Event()

    def read_events():
        try:
            deadline = time.monotonic() + DELIVERY_BOUND + 5
            while len(seqs) < N_EVENTS:
                pairs = reader.read_event("UserEvent", timeout=max(0.0, deadline - time.monotonic()),
                                          predicate=lambda p: first(p, "UserEvent") == "Flood")
                assert first(pairs, "Privilege") == "user,all", pairs[:3]
                assert first(pairs, "Payload%d" % N_PAYLOADS) == PAYLOAD
                seqs.append(int(first(pairs, "Seq")))
        except BaseException as exc:  # reported by the main thread
            reader_error.append(exc)
        finally:
            reader_done.set()

    rt = threading.Thread(target=read_events, daemon=True)
    rt.start()
    t0 = time.monotonic()
    responses: list[bytes] = []
    try:
        # bursts of BATCH events; before each burst the producer waits until R
        # has read the previous ones, so a reader that keeps up never has more
        # than BATCH events pending (on a loaded machine R's Python thread can
        # lag behind the producer; without the wait it would look slow)
        for start in range(0, N_EVENTS, BATCH):
            ids = range(start, min(N_EVENTS, start + BATCH))
            while len(seqs) < start and not reader_done.is_set() and time.monotonic() < t0 + DELIVERY_BOUND:
                time.sleep(0.002)
            producer.send(b"".join(userevent(i) for i in ids))
            for _ in ids:
                responses.append(producer.read_message(timeout=DELIVERY_BOUND))
        reader_done.wait(max(0.0, t0 + DELIVERY_BOUND + 1 - time.monotonic()))
        elapsed = time.monotonic() - t0

        assert not reader_error, "reader session R failed after %d events: %r" % (len(seqs), reader_error[0])
        assert len(seqs) == N_EVENTS, "R got %d of %d events" % (len(seqs), N_EVENTS)
        assert elapsed <= DELIVERY_BOUND, "R needed %.1f s for %d events" % (elapsed, N_EVENTS)
        assert seqs == list(range(N_EVENTS)), "R got the events out of order"
        bad = [r for r in responses if not re.match(
            rb"^Response: Success\r\nActionID: f\d+\r\nMessage: Event Sent\r\n\r\n$", r)]
        assert len(responses) == N_EVENTS and not bad, bad[:3]

        # R still gets new events after the flood (within a wide liveness bound: the slow session is being
        # cut off meanwhile, on a loaded machine)
        assert producer.action([("Action", "UserEvent"), ("UserEvent", "AfterFlood"),
                                ("ActionID", "after")]).startswith(b"Response: Success")
        reader.read_event("UserEvent", timeout=5.0, predicate=lambda p: first(p, "UserEvent") == "AfterFlood")

        # S was cut off: draining its socket ends in EOF/reset, short of the full flood
        try:
            slow.read_until_eof(timeout=10.0)
        except AMIError:
            raise AssertionError("slow session S was never disconnected (it got %d bytes so far)"
                                 % len(slow.raw))
        got = slow.raw.count(b"UserEvent: Flood\r\n")
        assert got < N_EVENTS, "S received all %d events: it was not treated as a slow reader" % got
    finally:
        for c in (slow, reader, producer):
            c.close()


def test_pipelined_pings_get_backpressure_not_disconnect(server):
    n = 20000
    conn = login_conn(server.port, "crm", SECRETS["crm"], events="off", rcvbuf=16384)
    try:
        payload = b"".join(b"Action: Ping\r\nActionID: p%d\r\n\r\n" % i for i in range(n))
        send_error: list[BaseException] = []

        def send_all():
            try:
                conn.send(payload)
            except BaseException as exc:
                send_error.append(exc)

        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        # do not read for a while: the ~1.6 MB of responses back up well past
        # the 100 ms write timeout (the client's receive buffer is 16 KB)
        time.sleep(1.0)

        deadline = time.monotonic() + 60.0
        rx = re.compile(rb"^Response: Success\r\nActionID: p(\d+)\r\nPing: Pong\r\nTimestamp: \d+\.\d{6}\r\n\r\n$")
        for i in range(n):
            try:
                msg = conn.read_message(timeout=max(0.0, deadline - time.monotonic()))
            except AMIError as exc:
                raise AssertionError("after %d of %d Ping responses: %s" % (i, n, exc))
            m = rx.match(msg)
            assert m and int(m.group(1)) == i, "response #%d: %r" % (i, msg)
        sender.join(10)
        assert not send_error, "sending the pipelined Pings failed: %r" % send_error[0]
        # and the session is still usable
        conn.send(b"Action: Ping\r\nActionID: final\r\n\r\n")
        final = conn.read_message()
        assert final.startswith(b"Response: Success\r\nActionID: final\r\nPing: Pong\r\n"), final
    finally:
        conn.close()
