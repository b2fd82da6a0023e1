"""ACL per AMI user, the failed-login delay, and per-address lockout."""

from __future__ import annotations

import threading
import time

from amiwire import AMIConn, BANNER, build, failed_login, login_conn, ok_login
from conftest import SECRETS


def attempt(port: int, username: str, secret: str, source: str | None = None,
            action_id: str = "login", timeout: float = 5.0) -> tuple[bytes, bool, float]:
    """One Login on a fresh connection: (response, server closed after it, seconds to response)."""
    conn = AMIConn(port, source=source)
    try:
        assert conn.banner == BANNER
        t0 = time.monotonic()
        conn.send(build([("Action", "Login"), ("Username", username), ("Secret", secret),
                         ("ActionID", action_id)]))
        resp = conn.read_message(timeout)
        elapsed = time.monotonic() - t0
        closed = False
        if resp.startswith(b"Response: Error"):
            try:
                conn.expect_eof(timeout=3.0)
                closed = True
            except AssertionError:
                closed = False
        return resp, closed, elapsed
    finally:
        conn.close()


# -- ACL ----------------------------------------------------------------------

def test_acl_denies_crm_from_other_loopback_address(server):
    resp, closed, _ = attempt(server.port, "crm", SECRETS["crm"], source="127.0.0.2", action_id="acl-1")
    assert resp == failed_login("acl-1")
    assert closed, "server must close the connection after Authentication failed"


def test_acl_permits_monitor_from_other_loopback_address(server):
    conn = login_conn(server.port, "monitor", SECRETS["monitor"], events="off", source="127.0.0.2")
    try:
        conn.send(build([("Action", "Ping"), ("ActionID", "acl-ping")]))
        assert conn.read_message().startswith(b"Response: Success\r\nActionID: acl-ping\r\nPing: Pong\r\n")
    finally:
        conn.close()


def test_acl_md5_login_denied_too(server):
    import hashlib
    conn = AMIConn(server.port, source="127.0.0.2")
    try:
        conn.send(build([("Action", "Challenge"), ("AuthType", "MD5"), ("ActionID", "c")]))
        chal = conn.read_message()
        assert chal.startswith(b"Response: Success\r\nActionID: c\r\nChallenge: "), chal
        challenge = chal.split(b"Challenge: ")[1].split(b"\r\n")[0]
        key = hashlib.md5(challenge + b"s3cret").hexdigest()
        conn.send(build([("Action", "Login"), ("AuthType", "MD5"), ("Username", "crm"),
                         ("Key", key), ("ActionID", "md5-acl")]))
        assert conn.read_message() == failed_login("md5-acl")
        conn.expect_eof(3.0)
    finally:
        conn.close()


# -- failed-login delay -----------------------------------------------------------

def test_default_auth_delay_about_one_second(start_server):
    srv = start_server(name="default-delay")  # no --ami-auth-delay-ms: default 1000 ms
    resp, closed, elapsed = attempt(srv.port, "crm", "wrong", action_id="slow")
    assert resp == failed_login("slow")
    assert closed
    assert 0.9 <= elapsed <= 2.0, "Authentication failed came after %.3f s (Asterisk: ~1.0 s)" % elapsed

    # a successful login is not delayed
    conn = AMIConn(srv.port)
    try:
        t0 = time.monotonic()
        assert conn.login("crm", SECRETS["crm"], events="off") == ok_login("crm")
        assert time.monotonic() - t0 < 0.9  # well under the 1 s delay of a failed login
    finally:
        conn.close()

    # the delay of one session does not stall the others
    results = {}

    def failing():
        results["fail"] = attempt(srv.port, "monitor", "wrong", action_id="bg")

    t = threading.Thread(target=failing)
    t.start()
    try:
        time.sleep(0.1)  # let the failing Login reach the server first
        t0 = time.monotonic()  # a login and a Ping stalled by the delay would take at least ~0.9 s from here
        conn = login_conn(srv.port, "crm", SECRETS["crm"], events="off")
        try:
            conn.send(build([("Action", "Ping"), ("ActionID", "during-delay")]))
            assert conn.read_message().startswith(b"Response: Success\r\nActionID: during-delay\r\n")
            assert time.monotonic() - t0 < 0.85, "login or Ping stalled while another session was in its auth delay"
        finally:
            conn.close()
    finally:
        t.join(10)
    assert results["fail"][0] == failed_login("bg")


# -- lockout ------------------------------------------------------------------------

LOCKOUT_ARGS = ["--ami-auth-delay-ms", "20", "--ami-lockout-failures", "5",
                "--ami-lockout-window", "60", "--ami-lockout-duration", "300"]


def test_lockout_after_five_failures(start_server):
    srv = start_server(LOCKOUT_ARGS, name="lockout")
    for i in range(5):
        resp, closed, _ = attempt(srv.port, "monitor", "wrong-%d" % i, source="127.0.0.3",
                                  action_id="bad-%d" % i)
        assert resp == failed_login("bad-%d" % i), "attempt %d" % i
        assert closed, "attempt %d: connection not closed" % i

    # now even the right password fails from 127.0.0.3, for any user
    for user in ("monitor", "other"):
        resp, closed, _ = attempt(srv.port, user, SECRETS[user], source="127.0.0.3", action_id="locked")
        assert resp == failed_login("locked"), "%s from a locked-out address: %r" % (user, resp)
        assert closed

    # other addresses are unaffected
    for source in ("127.0.0.1", "127.0.0.4"):
        conn = login_conn(srv.port, "monitor", SECRETS["monitor"], events="off", source=source)
        conn.close()
    conn = login_conn(srv.port, "crm", SECRETS["crm"], events="off")
    conn.close()

    # and the locked address stays locked
    resp, closed, _ = attempt(srv.port, "monitor", SECRETS["monitor"], source="127.0.0.3",
                              action_id="still")
    assert resp == failed_login("still")


def test_lockout_below_threshold_does_not_lock(start_server):
    srv = start_server(LOCKOUT_ARGS, name="lockout-below")
    for i in range(4):
        resp, _, _ = attempt(srv.port, "monitor", "wrong", source="127.0.0.5", action_id="b%d" % i)
        assert resp == failed_login("b%d" % i)
    conn = login_conn(srv.port, "monitor", SECRETS["monitor"], events="off", source="127.0.0.5")
    conn.close()


def test_lockout_expires(start_server):
    srv = start_server(["--ami-auth-delay-ms", "20", "--ami-lockout-failures", "2",
                        "--ami-lockout-window", "60", "--ami-lockout-duration", "1"],
                       name="lockout-expiry")
    for i in range(2):
        resp, _, _ = attempt(srv.port, "monitor", "wrong", source="127.0.0.6", action_id="e%d" % i)
        assert resp == failed_login("e%d" % i)
    resp, _, _ = attempt(srv.port, "monitor", SECRETS["monitor"], source="127.0.0.6", action_id="locked")
    assert resp == failed_login("locked")
    last = time.monotonic()
    # the lockout lasts 1 s (whether measured from the lock or from the last
    # attempt); wait it out once, then the right password must work again
    time.sleep(max(0.0, last + 1.5 - time.monotonic()))
    conn = login_conn(srv.port, "monitor", SECRETS["monitor"], events="off", source="127.0.0.6")
    conn.close()
