"""The other actions of the AMI surface (CoreSettings, CoreStatus, WaitEvent,
Challenge, Events on Login), checked against Asterisk 20's wire format."""

from __future__ import annotations

import hashlib
import re
import time

from amiwire import AMIConn, build, first, login_conn, ok_login, parse
from conftest import SECRETS

CORESETTINGS_KEYS = ["Response", "ActionID", "AMIversion", "AsteriskVersion", "SystemName",
                     "CoreMaxCalls", "CoreMaxLoadAvg", "CoreRunUser", "CoreRunGroup",
                     "CoreMaxFilehandles", "CoreRealTimeEnabled", "CoreCDRenabled",
                     "CoreHTTPenabled", "SoundsSearchCustomDir"]
CORESTATUS_KEYS = ["Response", "ActionID", "CoreStartupDate", "CoreStartupTime", "CoreReloadDate",
                   "CoreReloadTime", "CoreCurrentCalls", "CoreProcessedCalls"]


def test_coresettings(server):
    conn = login_conn(server.port, "monitor", SECRETS["monitor"], events="off")
    try:
        pairs = parse(conn.action([("Action", "CoreSettings"), ("ActionID", "cs")]))
        assert [k for k, _ in pairs] == CORESETTINGS_KEYS, pairs
        assert first(pairs, "Response") == "Success"
        assert first(pairs, "AMIversion") == "9.0.0"
        for key in ("CoreRealTimeEnabled", "CoreHTTPenabled", "SoundsSearchCustomDir"):
            assert first(pairs, key) in ("Yes", "No"), (key, first(pairs, key))
        assert first(pairs, "CoreCDRenabled") == "Yes", "the node writes call detail records"
    finally:
        conn.close()


def test_corestatus(server):
    conn = login_conn(server.port, "monitor", SECRETS["monitor"], events="off")
    try:
        pairs = parse(conn.action([("Action", "CoreStatus"), ("ActionID", "cst")]))
        assert [k for k, _ in pairs] == CORESTATUS_KEYS, pairs
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", first(pairs, "CoreStartupDate"))
        assert re.fullmatch(r"\d\d:\d\d:\d\d", first(pairs, "CoreStartupTime"))
        assert re.fullmatch(r"\d+", first(pairs, "CoreCurrentCalls"))
    finally:
        conn.close()


def test_waitevent_timeout(server):
    conn = login_conn(server.port, "crm", SECRETS["crm"], events="off")
    try:
        t0 = time.monotonic()
        conn.send(build([("Action", "WaitEvent"), ("Timeout", "1"), ("ActionID", "we")]))
        assert conn.read_message(5) == (b"Response: Success\r\nActionID: we\r\n"
                                        b"Message: Waiting for Event completed.\r\n\r\n")
        assert conn.read_message(5) == b"Event: WaitEventComplete\r\nActionID: we\r\n\r\n"
        elapsed = time.monotonic() - t0
        assert 0.8 <= elapsed <= 3.0, "WaitEvent Timeout: 1 returned after %.2f s" % elapsed
    finally:
        conn.close()


def test_challenge_is_stable_within_a_session(server):
    conn = AMIConn(server.port)
    try:
        a = parse(conn.action([("Action", "Challenge"), ("AuthType", "md5"), ("ActionID", "c1")]))
        b = parse(conn.action([("Action", "Challenge"), ("AuthType", "MD5"), ("ActionID", "c2")]))
        assert [k for k, _ in a] == ["Response", "ActionID", "Challenge"], a
        chal = first(a, "Challenge")
        assert re.fullmatch(r"\d{1,9}", chal), chal
        assert first(b, "Challenge") == chal, "a second Challenge must return the same value"
        key = hashlib.md5((chal + SECRETS["crm"]).encode()).hexdigest()
        assert conn.action([("Action", "Login"), ("AuthType", "MD5"), ("Username", "crm"),
                            ("Key", key), ("ActionID", "login")]) == ok_login("crm")
    finally:
        conn.close()


def test_username_is_case_insensitive(server):
    conn = AMIConn(server.port)
    try:
        assert conn.login("CRM", SECRETS["crm"], events="off") == ok_login("crm")
    finally:
        conn.close()


def test_login_events_off_gets_no_events(server):
    quiet = login_conn(server.port, "monitor", SECRETS["monitor"], events="off")
    loud = login_conn(server.port, "monitor", SECRETS["monitor"], events="user")
    try:
        loud.action([("Action", "UserEvent"), ("UserEvent", "Quiet"), ("ActionID", "q")])
        loud.read_event("UserEvent", predicate=lambda p: first(p, "UserEvent") == "Quiet")
        # a Ping round trip on the quiet session flushes anything queued for it
        resp = quiet.action([("Action", "Ping"), ("ActionID", "qp")])
        assert resp.startswith(b"Response: Success\r\nActionID: qp\r\n")
        assert b"Event:" not in quiet.raw, quiet.raw
    finally:
        quiet.close()
        loud.close()
