"""Tenant isolation: events of tenant A never reach sessions of tenant B."""

from __future__ import annotations

import time

from amiwire import AMIError, build, first, login_conn
from conftest import SECRETS


def drain_for(conn, seconds: float) -> list[bytes]:
    """Every message conn receives within `seconds` (returns early on EOF)."""
    msgs = []
    deadline = time.monotonic() + seconds
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return msgs
        try:
            msgs.append(conn.read_message(timeout=remaining))
        except AMIError:
            if conn.eof:
                raise AssertionError("session was closed by the server")
            return msgs


def test_userevent_stays_in_its_tenant(server):
    port = server.port
    b_other = login_conn(port, "other", SECRETS["other"], events="on")       # tenant B, read=all
    a_listener = login_conn(port, "monitor", SECRETS["monitor"], events="on")  # tenant A
    a_sender = login_conn(port, "monitor", SECRETS["monitor"], events="off")   # tenant A
    try:
        resp = a_sender.action([("Action", "UserEvent"), ("UserEvent", "TenantProbe"),
                                ("Secret-Data", "acme-only"), ("ActionID", "probe-1")])
        assert resp == b"Response: Success\r\nActionID: probe-1\r\nMessage: Event Sent\r\n\r\n"
        # marker: tenant A's other session got it ...
        ev = a_listener.read_event("UserEvent", timeout=3.0,
                                   predicate=lambda p: first(p, "UserEvent") == "TenantProbe")
        # headers other than Action/UserEvent are copied in order, ActionID included
        assert ev == [("Event", "UserEvent"), ("Privilege", "user,all"), ("UserEvent", "TenantProbe"),
                      ("Secret-Data", "acme-only"), ("ActionID", "probe-1")], ev

        # ... while tenant B sees nothing of tenant A within a short window:
        # not the UserEvent, not the security events of A's logins.
        drain_for(b_other, 0.5)
        # tenant B's own UserEvent still reaches B (proves B is listening, and
        # anything queued for B before it has been flushed)
        resp = b_other.action([("Action", "UserEvent"), ("UserEvent", "BMarker"), ("ActionID", "b-1")])
        assert resp == b"Response: Success\r\nActionID: b-1\r\nMessage: Event Sent\r\n\r\n"
        b_ev = b_other.read_event("UserEvent", timeout=3.0,
                                  predicate=lambda p: first(p, "UserEvent") == "BMarker")
        assert first(b_ev, "ActionID") == "b-1"
        leaked = [m for m in b_other.raw.split(b"\r\n\r\n")
                  if b"TenantProbe" in m or b"acme-only" in m or b"AccountID: monitor" in m]
        assert not leaked, "tenant B session received tenant A traffic: %r" % leaked[:3]

        # and A does not see B's marker
        a_leak = [m for m in drain_for(a_listener, 0.3) if b"BMarker" in m]
        assert not a_leak, "tenant A session received tenant B's UserEvent: %r" % a_leak
    finally:
        for c in (b_other, a_listener, a_sender):
            c.close()


def test_read_call_user_does_not_get_user_events(server):
    """crm reads only `call`: a UserEvent (class user) is not delivered to it."""
    crm = login_conn(server.port, "crm", SECRETS["crm"], events="on")
    mon = login_conn(server.port, "monitor", SECRETS["monitor"], events="on")
    sender = login_conn(server.port, "monitor", SECRETS["monitor"], events="off")
    try:
        sender.action([("Action", "UserEvent"), ("UserEvent", "NotForCrm"), ("ActionID", "nfc")])
        mon.read_event("UserEvent", timeout=3.0, predicate=lambda p: first(p, "UserEvent") == "NotForCrm")
        got = drain_for(crm, 0.3)
        assert not got, "crm (read=call) received: %r" % got[:3]
    finally:
        for c in (crm, mon, sender):
            c.close()
