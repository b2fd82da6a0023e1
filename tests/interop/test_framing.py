"""Framing, limits and permission errors, checked byte for byte against the
behaviour recorded from Asterisk 20 (see docs/ami-reference.md 1.2, 1.3, 2.3)."""

from __future__ import annotations

import re

import pytest

from amiwire import AMIConn, BANNER, build, login_conn
from conftest import SECRETS

PONG_RE = re.compile(rb"^Response: Success\r\nActionID: (.*)\r\nPing: Pong\r\nTimestamp: \d+\.\d{6}\r\n\r\n$")


def error(message: str, action_id: str | None = None) -> bytes:
    out = b"Response: Error\r\n"
    if action_id is not None:
        out += b"ActionID: " + action_id.encode() + b"\r\n"
    return out + b"Message: " + message.encode() + b"\r\n\r\n"


def assert_pong(msg: bytes, action_id: str):
    m = PONG_RE.match(msg)
    assert m, "not a Ping response: %r" % msg
    assert m.group(1) == action_id.encode(), "ActionID echoed as %r, sent %r" % (m.group(1), action_id)


@pytest.fixture
def crm(server):
    conn = login_conn(server.port, "crm", SECRETS["crm"], events="off")
    yield conn
    conn.close()


def test_lf_only_input(server):
    conn = AMIConn(server.port)
    try:
        assert conn.banner == BANNER
        conn.send(b"Action: Login\nUsername: crm\nSecret: s3cret\nEvents: off\nActionID: lf-login\n\n")
        assert conn.read_message() == (b"Response: Success\r\nActionID: lf-login\r\n"
                                       b"Message: Authentication accepted\r\n\r\n")
        conn.send(b"Action: Ping\nActionID: lf-ping\n\n")
        assert_pong(conn.read_message(), "lf-ping")
    finally:
        conn.close()


def test_key_variants(crm):
    """Keys and action names are case-insensitive; the space after ':' is optional."""
    crm.send(b"action: ping\r\nactionid: lower\r\n\r\n")
    assert_pong(crm.read_message(), "lower")
    crm.send(b"ACTION: PING\r\nACTIONID: upper\r\n\r\n")
    assert_pong(crm.read_message(), "upper")
    crm.send(b"Action:Ping\r\nActionID:nospace\r\n\r\n")
    assert_pong(crm.read_message(), "nospace")


def test_space_before_colon_is_missing_action(crm):
    crm.send(b"Action : Ping\r\nActionID: sp-1\r\n\r\n")
    assert crm.read_message() == error("Missing action in request", "sp-1")
    crm.send(build([("Action", "Ping"), ("ActionID", "after-sp")]))
    assert_pong(crm.read_message(), "after-sp")


def test_line_of_1022_chars_accepted(crm):
    action_id = "L" * (1022 - len("ActionID: "))
    line = ("ActionID: " + action_id).encode()
    assert len(line) == 1022
    crm.send(b"Action: Ping\r\n" + line + b"\r\n\r\n")
    assert_pong(crm.read_message(), action_id)


def test_line_too_long_then_session_lives_on(crm):
    long_line = b"X-Padding: " + b"p" * (1500 - len(b"X-Padding: ") - 2) + b"\r\n"
    assert len(long_line) == 1500
    crm.send(b"Action: Ping\r\nActionID: toolong-1\r\n" + long_line + b"\r\n")
    assert crm.read_message() == error("Failed to parse message: line too long", "toolong-1")
    crm.send(build([("Action", "Ping"), ("ActionID", "after-long")]))
    assert_pong(crm.read_message(), "after-long")


def test_128_headers_accepted(crm):
    lines = [("Action", "Ping"), ("ActionID", "h128")] + [("X-H%d" % i, "v") for i in range(126)]
    assert len(lines) == 128
    crm.send(build(lines))
    assert_pong(crm.read_message(), "h128")


def test_130_headers_too_many_lines(crm):
    lines = [("Action", "Ping"), ("ActionID", "h130")] + [("X-H%d" % i, "v") for i in range(128)]
    assert len(lines) == 130
    crm.send(build(lines))
    assert crm.read_message() == error("Too many lines in message or allocation failure", "h130")
    crm.send(build([("Action", "Ping"), ("ActionID", "after-many")]))
    assert_pong(crm.read_message(), "after-many")


def test_first_actionid_wins(crm):
    crm.send(b"Action: Ping\r\nActionID: first\r\nActionID: second\r\n\r\n")
    assert_pong(crm.read_message(), "first")


def test_trailing_whitespace_in_actionid_echoed(crm):
    crm.send(b"Action: Ping\r\nActionID: trailing   \r\n\r\n")
    assert_pong(crm.read_message(), "trailing   ")


def test_unknown_action_after_login(crm):
    crm.send(build([("Action", "FooBar"), ("ActionID", "unk")]))
    assert crm.read_message() == error(
        "Invalid/unknown command: FooBar. Use Action: ListCommands to show available commands.", "unk")


@pytest.mark.parametrize("action", ["Ping", "Originate", "FooBar", "ListCommands", "UserEvent"])
def test_actions_before_login_permission_denied(server, action):
    conn = AMIConn(server.port)
    try:
        conn.send(build([("Action", action), ("ActionID", "pre-" + action)]))
        assert conn.read_message() == error("Permission denied", "pre-" + action)
        # the connection is kept: a Login afterwards works
        assert conn.login("crm", SECRETS["crm"], events="off") == (
            b"Response: Success\r\nActionID: login\r\nMessage: Authentication accepted\r\n\r\n")
    finally:
        conn.close()


def test_noorig_originate_permission_denied(server):
    conn = login_conn(server.port, "noorig", SECRETS["noorig"], events="off")
    try:
        conn.send(build([
            ("Action", "Originate"), ("Async", "true"), ("Channel", "Local/100@c2c"),
            ("Context", "from_c2c"), ("Exten", "0391234567"),
            ("CallerId", '"c2c: 0391234567" <0391234567>'), ("Timeout", "10000"),
            ("Priority", "1"), ("Variable", "C2C_SRC=100"), ("ActionID", "c2c-6")]))
        assert conn.read_message() == error("Permission denied", "c2c-6")
        conn.send(build([("Action", "Ping"), ("ActionID", "still-alive")]))
        assert_pong(conn.read_message(), "still-alive")
    finally:
        conn.close()


def test_crm_userevent_permission_denied(crm):
    crm.send(build([("Action", "UserEvent"), ("UserEvent", "CrmPing"), ("ActionID", "ue-crm")]))
    assert crm.read_message() == error("Permission denied", "ue-crm")


def test_crm_coresettings_permission_denied(crm):
    """CoreSettings needs system or reporting; crm has write=call,originate."""
    crm.send(build([("Action", "CoreSettings"), ("ActionID", "cs-crm")]))
    assert crm.read_message() == error("Permission denied", "cs-crm")


def test_login_when_already_authenticated(crm):
    crm.send(build([("Action", "Login"), ("Username", "crm"), ("Secret", "s3cret"),
                    ("ActionID", "again")]))
    assert crm.read_message() == (b"Response: Success\r\nActionID: again\r\n"
                                  b"Message: Already authenticated\r\n\r\n")
