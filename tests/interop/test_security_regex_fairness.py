"""AMI regex work takes no shared resource from other tenants (security review, HIGH).

Any logged-in AMI user may add 32 regex event filters. Tenant A's two sessions each add 32 costly
ones (every filter runs over the whole ~15 KB event, and none matches, so all 32 run) and A floods
~15 KB UserEvents. Meanwhile tenant B's session, with one regex filter of its own, must still get its
events promptly, an admin login (bcrypt, on the process-wide blocking pool) must complete, and the
server must live on. The regexes run on the AMI pattern worker, sessions in turns of a few
milliseconds; before it they ran on the blocking pool (2 threads here) in whole batches, and B, the
admin login and the SIP DNS lookups waited for A's batches (tens of seconds).

The flood is sized from a measured event, so the test holds in debug and release builds alike.
"""

from __future__ import annotations

import math
import threading
import time

from amiwire import first, login_conn, parse
from conftest import SECRETS
from test_security_admin_login import ADMIN_PASSWORD, admin_login

# 4 x `[^Q]*`, then a Q the events never hold: the Pike VM keeps every state alive over the whole event.
HOSTILE_PATTERN = "!" + "[^Q]*" * 4 + "Q"
HOSTILE_FILTERS = 32
# What A's queued batch should cost on the old blocking pool, seconds: far above the bounds below.
FLOOD_SECONDS = 20.0
B_EVENT_BOUND = 2.0
ADMIN_LOGIN_EXTRA = 4.0


def big_user_event(name: str, action_id: str) -> bytes:
    headers = [("Action", "UserEvent"), ("UserEvent", name)]
    headers += [("H%d" % i, "abcdefghij" * 90) for i in range(16)]  # 16 x 900 bytes: ~15 KB of event
    headers.append(("ActionID", action_id))
    return b"".join(("%s: %s\r\n" % kv).encode() for kv in headers) + b"\r\n"


def add_filter(conn, pattern: str, action_id: str) -> None:
    resp = parse(conn.action([("Action", "Filter"), ("Operation", "Add"), ("Filter", pattern), ("ActionID", action_id)]))
    assert first(resp, "Response") == "Success", resp


def wait_user_event(conn, name: str, timeout: float) -> None:
    conn.read_event("UserEvent", timeout=timeout, predicate=lambda pairs: first(pairs, "UserEvent") == name)


def test_hostile_regex_filters_do_not_stall_other_tenants_or_admin_logins(start_server):
    srv = start_server(["--admin-password", ADMIN_PASSWORD, "--ami-auth-delay-ms", "100"], name="regex-fair")
    started = time.monotonic()
    assert admin_login(srv.http_port, ADMIN_PASSWORD, "127.0.0.31") == 303
    admin_baseline = time.monotonic() - started

    hostile = [login_conn(srv.port, "monitor", SECRETS["monitor"]) for _ in range(2)]
    for index, conn in enumerate(hostile):
        for n in range(HOSTILE_FILTERS):
            add_filter(conn, HOSTILE_PATTERN, "h%d-%d" % (index, n))
    sender = login_conn(srv.port, "monitor", SECRETS["monitor"], events="off")
    listener_b = login_conn(srv.port, "other", SECRETS["other"])
    add_filter(listener_b, "UserEvent: Ping[0-9]+", "b")
    sender_b = login_conn(srv.port, "other", SECRETS["other"], events="off")

    # One event through both hostile sessions' filters: what an event costs here.
    started = time.monotonic()
    sender.send(big_user_event("Calibrate", "cal"))
    for conn in hostile:
        wait_user_event(conn, "Calibrate", timeout=60)
    per_event = time.monotonic() - started
    count = max(4, min(2000, math.ceil(FLOOD_SECONDS / per_event)))

    # The flood: the first event wakes each hostile session alone, the rest queue behind it as one batch.
    sender.send(b"".join(big_user_event("Flood", "f%d" % i) for i in range(count)))
    time.sleep(min(3.0, 2 * per_event + 0.5))

    login_result = {}

    def login_admin():
        begin = time.monotonic()
        login_result["status"] = admin_login(srv.http_port, ADMIN_PASSWORD, "127.0.0.32")
        login_result["seconds"] = time.monotonic() - begin

    admin = threading.Thread(target=login_admin, daemon=True)
    admin.start()
    started = time.monotonic()
    resp = parse(sender_b.action([("Action", "UserEvent"), ("UserEvent", "Ping1"), ("ActionID", "p1")]))
    assert first(resp, "Response") == "Success", resp
    try:
        wait_user_event(listener_b, "Ping1", timeout=B_EVENT_BOUND)
    except AssertionError as error:
        raise AssertionError(
            "tenant B's event waited over %.1f s behind tenant A's regex filters (%d events of %.2f s queued)"
            % (B_EVENT_BOUND, count, per_event)) from error
    b_delay = time.monotonic() - started
    admin_bound = admin_baseline + ADMIN_LOGIN_EXTRA
    admin.join(timeout=admin_bound)
    assert "seconds" in login_result, "an admin login took over %.1f s behind tenant A's regex filters" % admin_bound
    assert login_result["status"] == 303, login_result

    # A's sessions still get their flood (in order, each event once), B's session its next event.
    for conn in hostile:
        wait_user_event(conn, "Flood", timeout=30)
    resp = parse(sender_b.action([("Action", "UserEvent"), ("UserEvent", "Ping2"), ("ActionID", "p2")]))
    assert first(resp, "Response") == "Success", resp
    wait_user_event(listener_b, "Ping2", timeout=B_EVENT_BOUND)

    # Hostile sessions leaving drop their queued work; the server lives on.
    for conn in hostile + [sender]:
        conn.close()
    with login_conn(srv.port, "crm", SECRETS["crm"]) as crm:
        resp = parse(crm.action([("Action", "Ping"), ("ActionID", "alive")]))
        assert first(resp, "Response") == "Success", resp
    resp = parse(sender_b.action([("Action", "UserEvent"), ("UserEvent", "Ping3"), ("ActionID", "p3")]))
    wait_user_event(listener_b, "Ping3", timeout=B_EVENT_BOUND)
    print("per event %.3f s, flood %d events, B's event after %.3f s, admin login %.3f s (baseline %.3f s)"
          % (per_event, count, b_delay, login_result["seconds"], admin_baseline))
    listener_b.close()
    sender_b.close()
