"""AMI-side security hardening (issue 9): regex refusal, variable bomb and pipelining backpressure,
connection caps (per address, outside every ACL, global, auth timeout), tenant-scoped CoreStatus,
sessions ended when their credentials change, CR/LF never reaching the AMI output or the log, and
Redirect/BlindTransfer refusals naming their own action.

Every test drives the real binary over raw sockets (amiwire). Time bounds are wide liveness bounds,
never performance figures.
"""

from __future__ import annotations

import socket
import threading
import time

from amiwire import AMIConn, AMIError, BANNER, build, first, login_conn, parse
from conftest import SECRETS, TENANT_A_UUID, TENANT_B_UUID, provisioning_yaml
from connections import retry

LIVE = 5.0            # a concurrent action must be answered within this (a liveness bound)


def connect_raw(port: int, source: str | None = None, timeout: float = 5.0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if source is not None:
        sock.bind((source, 0))
    sock.settimeout(timeout)
    sock.connect(("127.0.0.1", port))
    return sock


def first_bytes(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """What the server sends first: the banner, or b"" when it closes at once."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while BANNER not in data and time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            return data
        except socket.timeout:
            break
        if not chunk:
            return data
        data += chunk
    return data


def timed_action(port: int, user: str, headers, timeout: float = 10.0):
    """Log in as user (generous timeouts: the machine may be busy), run one action, return (seconds
    the action took, response pairs)."""
    conn = AMIConn(port, timeout=15.0)
    try:
        assert conn.banner == BANNER, conn.banner
        login = parse(conn.login(user, SECRETS[user], events="off", timeout=15.0))
        assert first(login, "Message") == "Authentication accepted", login
        start = time.monotonic()
        resp = conn.action(headers, timeout=timeout)
        return time.monotonic() - start, parse(resp)
    finally:
        conn.close()


def no_broken_lines(raw: bytes) -> list[bytes]:
    """Lines of an AMI stream that contain a CR or LF other than their CRLF terminator."""
    return [line for line in raw.split(b"\r\n") if b"\r" in line or b"\n" in line]


# -- defect 3: Hangup /regex/ -----------------------------------------------------------------------

def test_hangup_regex_refuses_unsupported_and_oversized_patterns(server):
    conn = login_conn(server.port, "monitor", SECRETS["monitor"], events="off")
    try:
        for pattern in ["/(a)\\1/", "/\\w+/", "/(ab/", "/" + "a" * 300 + "/"]:
            resp = parse(conn.action([("Action", "Hangup"), ("Channel", pattern), ("ActionID", "rx")]))
            assert first(resp, "Response") == "Error", (pattern, resp)
            assert first(resp, "Message") == "Regex compile failed on: %s" % pattern, (pattern, resp)
        resp = parse(conn.action([("Action", "Hangup"), ("Channel", "/nope"), ("ActionID", "fmt")]))
        assert first(resp, "Message") == "Regex format invalid, Channel param should be /regex/", resp
        # a catastrophic pattern is valid ERE: it compiles and answers a (here empty) list at once
        start = time.monotonic()
        conn.send(build([("Action", "Hangup"), ("Channel", "/^(.*)*(.*)*X$/"), ("ActionID", "evil")]))
        ack = parse(conn.read_response("evil", timeout=10))
        done = conn.read_event("ChannelsHungupListComplete", timeout=10)
        assert first(ack, "Response") == "Success" and first(done, "ListItems") == "0", (ack, done)
        assert time.monotonic() - start < 10
        assert conn.action([("Action", "Ping"), ("ActionID", "alive")]).startswith(b"Response: Success")
    finally:
        conn.close()


# -- defect 5: variable bomb, Setvar limits, pipelining backpressure --------------------------------

def variable_bomb(lines: int = 120, items: int = 64) -> list[tuple[str, str]]:
    return [("Variable", ",".join("V%d_%d=x" % (line, item) for item in range(items))) for line in range(lines)]


def test_originate_variable_bomb_is_refused_and_engine_stays_live(server):
    conn = login_conn(server.port, "monitor", SECRETS["monitor"], events="off")
    try:
        headers = [("Action", "Originate"), ("Channel", "Local/100@c2c"), ("Context", "from_c2c"),
                   ("Exten", "0391234567"), ("Priority", "1"), ("Async", "true")] + variable_bomb() + [("ActionID", "bomb")]
        conn.send(build(headers))
        # meanwhile another session's engine-bound action is answered promptly
        took, status = timed_action(server.port, "monitor", [("Action", "CoreStatus"), ("ActionID", "probe")])
        assert first(status, "Response") == "Success" and took < LIVE, (took, status)
        resp = parse(conn.read_response("bomb", timeout=10))
        assert first(resp, "Response") == "Error", resp
        assert first(resp, "Message") == "Originate refused: 7680 variables, at most 200 per channel", resp
        # within the cap it is accepted
        ok = parse(conn.action([("Action", "Originate"), ("Channel", "Local/100@c2c"), ("Context", "from_c2c"),
                                ("Exten", "0391234567"), ("Priority", "1"), ("Async", "true")]
                               + variable_bomb(lines=3, items=50) + [("ActionID", "fine")]))
        assert first(ok, "Message") == "Originate successfully queued", ok
        # Setvar refuses a name over the length limit with a clear message
        resp = parse(conn.action([("Action", "Setvar"), ("Variable", "N" * 200), ("Value", "1"), ("ActionID", "long")]))
        assert first(resp, "Response") == "Error", resp
        assert first(resp, "Message") == "Variable not set: variable name longer than 128 bytes", resp
    finally:
        conn.close()


def test_pipelined_actions_are_all_answered_under_backpressure(start_server):
    srv = start_server(extra_args=["--ami-max-pending-actions", "2"], name="pipeline")
    conn = login_conn(srv.port, "monitor", SECRETS["monitor"], events="off")
    try:
        count = 100
        burst = b"".join(build([("Action", "Originate"), ("Channel", "Local/100@c2c"), ("Context", "from_c2c"),
                                ("Exten", "0391234567"), ("Priority", "1"), ("Async", "true"),
                                ("Variable", ",".join("P%d=%d" % (k, i) for k in range(60))), ("ActionID", "o%d" % i)])
                         for i in range(count))
        burst += build([("Action", "Ping"), ("ActionID", "last")])
        sender = threading.Thread(target=conn.send, args=(burst,), daemon=True)
        sender.start()
        took, status = timed_action(srv.port, "monitor", [("Action", "CoreShowChannels"), ("ActionID", "probe")])
        # the engine interleaves the probe with the burst (a wider bound: the burst keeps it busy)
        assert first(status, "Response") == "Success" and took < 1.5 * LIVE, (took, status)
        for i in range(count):
            resp = parse(conn.read_response(timeout=20))
            assert first(resp, "ActionID") == "o%d" % i, "responses in order, none dropped: %r" % resp
            assert first(resp, "Message") == "Originate successfully queued", resp
        assert first(parse(conn.read_response("last", timeout=20)), "Ping") == "Pong"
        sender.join(5)
    finally:
        conn.close()


# -- defect 10: connection caps ----------------------------------------------------------------------

def test_unauthenticated_connections_are_capped_per_address(start_server):
    srv = start_server(name="peraddress")       # default limits: 50 in all, 10 per address
    held = []
    try:
        for _ in range(10):
            sock = connect_raw(srv.port, source="127.0.0.2")
            assert first_bytes(sock) == BANNER
            held.append(sock)
        extra = connect_raw(srv.port, source="127.0.0.2")
        held.append(extra)
        assert first_bytes(extra) == b"", "an 11th unauthenticated connection from one address is closed"
        # another address still gets in and logs in
        conn = login_conn(srv.port, "monitor", SECRETS["monitor"], events="off", source="127.0.0.3")
        conn.close()
        # closing frees the address's slots, and a login shows it
        for sock in held[:10]:
            sock.close()
        ok = retry(lambda: login_conn(srv.port, "monitor", SECRETS["monitor"], events="off", source="127.0.0.2"),
                   (AMIError, OSError))
        ok.close()
    finally:
        for sock in held:
            sock.close()


ONLY_LOCALHOST_YAML = provisioning_yaml().replace('permit: ["127.0.0.0/8"]', 'permit: ["127.0.0.1/32"]')


def test_address_outside_every_acl_is_closed_before_the_banner(start_server):
    srv = start_server(yaml_text=ONLY_LOCALHOST_YAML, name="acl")
    mark = srv.log_size()
    stranger = connect_raw(srv.port, source="127.0.0.9")
    try:
        assert first_bytes(stranger) == b"", "no banner for an address no AMI user may log in from"
    finally:
        stranger.close()
    deadline = time.monotonic() + 5
    while "FailedACL" not in srv.log_text(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "FailedACL" in srv.log_text(mark), "the refusal is logged as a security event"
    conn = login_conn(srv.port, "crm", SECRETS["crm"], events="off", source="127.0.0.1")
    conn.close()


def test_global_connection_cap_and_auth_timeout(start_server):
    srv = start_server(extra_args=["--ami-max-connections", "3", "--ami-auth-timeout", "1"], name="global")
    sessions = [login_conn(srv.port, "monitor", SECRETS["monitor"], events="off") for _ in range(3)]
    try:
        extra = connect_raw(srv.port)
        assert first_bytes(extra) == b"", "a fourth AMI connection is closed at once"
        extra.close()
        sessions.pop().close()
        deadline = time.monotonic() + 5
        idle = None
        while idle is None and time.monotonic() < deadline:
            sock = connect_raw(srv.port)
            if first_bytes(sock) == BANNER:
                idle = sock
            else:
                sock.close()
                time.sleep(0.1)
        assert idle is not None, "a slot frees when a session closes"
        # never logging in: closed after the auth timeout (1 s here), while logged-in sessions stay
        idle.settimeout(10)
        assert idle.recv(100) == b""
        idle.close()
        for conn in sessions:
            assert conn.action([("Action", "Ping"), ("ActionID", "p")]).startswith(b"Response: Success")
    finally:
        for conn in sessions:
            conn.close()


# -- defect 12: CoreStatus per tenant -----------------------------------------------------------------

def test_core_status_counts_only_the_users_tenant(start_server):
    srv = start_server(name="corestatus")
    a = login_conn(srv.port, "monitor", SECRETS["monitor"], events="on")
    try:
        resp = parse(a.action([("Action", "Originate"), ("Channel", "Local/100@c2c"), ("Context", "from_c2c"),
                               ("Exten", "0391234567"), ("Priority", "1"), ("Async", "true"), ("ActionID", "call")]))
        assert first(resp, "Message") == "Originate successfully queued", resp
        a.read_event("OriginateResponse", timeout=15)
        deadline = time.monotonic() + 5
        processed = "0"
        while processed == "0" and time.monotonic() < deadline:
            processed = first(parse(a.action([("Action", "CoreStatus"), ("ActionID", "a")])), "CoreProcessedCalls")
        assert processed != "0", "tenant A counts its own call"
        _, b_status = timed_action(srv.port, "other", [("Action", "CoreStatus"), ("ActionID", "b")])
        assert first(b_status, "CoreProcessedCalls") == "0", "tenant B must not see A's calls: %r" % b_status
        assert first(b_status, "CoreCurrentCalls") == "0", b_status
    finally:
        a.close()


# -- defect 13: credential changes end live sessions -------------------------------------------------

def wait_closed(conn: AMIConn, timeout: float = 5.0) -> bool:
    try:
        conn.read_until_eof(timeout)
        return True
    except AMIError:
        return False


def test_password_and_acl_changes_end_sessions_they_no_longer_admit(start_server):
    srv = start_server(name="rotate")
    rotator = login_conn(srv.port, "rotator", SECRETS["rotator"], events="off")
    monitor_here = login_conn(srv.port, "monitor", SECRETS["monitor"], events="off", source="127.0.0.1")
    monitor_there = login_conn(srv.port, "monitor", SECRETS["monitor"], events="off", source="127.0.0.2")
    crm = login_conn(srv.port, "crm", SECRETS["crm"], events="off")
    try:
        changed = provisioning_yaml(rotator_password="r0tate-new").replace(
            'password: m0nitor\n        permit: ["127.0.0.0/8"]', 'password: m0nitor\n        permit: ["127.0.0.2/32"]')
        assert 'permit: ["127.0.0.2/32"]' in changed
        res = srv.apply(changed)
        assert res.returncode == 0, res.stderr
        assert wait_closed(rotator), "the session of a user whose password changed must end"
        assert wait_closed(monitor_here), "a session from an address the new ACL denies must end"
        for conn in (monitor_there, crm):
            assert conn.action([("Action", "Ping"), ("ActionID", "still")]).startswith(b"Response: Success"), \
                "sessions the new settings still admit live on"
        again = login_conn(srv.port, "rotator", "r0tate-new", events="off")
        again.close()
    finally:
        for conn in (rotator, monitor_here, monitor_there, crm):
            conn.close()


# -- defect 11 (AMI output and log side) --------------------------------------------------------------

def test_no_field_written_by_the_server_carries_cr_or_lf(server):
    conn = login_conn(server.port, "monitor", SECRETS["monitor"], events="on")
    try:
        mark = len(conn.raw)
        # a bare CR inside a value arrives intact (only LF ends a line); the server must not echo it raw
        conn.send(b"Action: Ping\r\nActionID: a\rX-Injected: yes\r\n\r\n")
        conn.read_response(timeout=5)
        conn.send(b"Action: UserEvent\r\nUserEvent: Probe\r\nNote: Alice\rX-Injected: yes\r\r\nActionID: ue\r\n\r\n")
        conn.read_event("UserEvent", timeout=5)
        conn.send(build([("Action", "Originate"), ("Channel", "Local/100@c2c"), ("Context", "from_c2c"),
                         ("Exten", "0391234567"), ("Priority", "1"), ("Async", "true"),
                         ("CallerID", '"Alice\rX-Injected: yes" <100>'), ("ActionID", "cid")]))
        conn.read_event("OriginateResponse", timeout=15, predicate=lambda p: first(p, "ActionID") == "cid")
        raw = conn.raw[mark:]
        assert b"X-Injected" in raw, "the text itself is delivered"
        assert no_broken_lines(raw) == [], "CR/LF inside a field: %r" % no_broken_lines(raw)[:5]
        assert not any(line.startswith(b"X-Injected") for line in raw.replace(b"\r", b"\n").split(b"\n")), \
            "no line may start with the injected header"
    finally:
        conn.close()


def test_log_lines_cannot_be_forged(server):
    mark = server.log_size()
    conn = AMIConn(server.port)
    try:
        conn.send(b"Action: Login\r\nUsername: nobody\rFORGED log line\r\nSecret: x\r\nActionID: l\r\n\r\n")
        conn.read_response(timeout=5)
    finally:
        conn.close()
    deadline = time.monotonic() + 5
    while "FORGED" not in server.log_text(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    text = server.log_text(mark)
    assert "FORGED" in text, "the attempt is logged"
    assert "\r" not in text, "a CR from a peer must not reach the log raw"


# -- Redirect / BlindTransfer refusal texts -----------------------------------------------------------

def test_redirect_and_blind_transfer_refusals_name_their_action(server):
    conn = login_conn(server.port, "monitor", SECRETS["monitor"], events="off")
    other_context = "c2c_%s" % TENANT_B_UUID
    try:
        resp = parse(conn.action([("Action", "Redirect"), ("Channel", "PJSIP/100-00000001"), ("Context", other_context),
                                  ("Exten", "100"), ("Priority", "1"), ("ActionID", "r")]))
        assert first(resp, "Message") == (
            "Redirect refused: context %s belongs to a tenant other than this AMI user's" % other_context), resp
        resp = parse(conn.action([("Action", "BlindTransfer"), ("Channel", "PJSIP/100-00000001"), ("Context", other_context),
                                  ("Exten", "100"), ("ActionID", "b")]))
        assert first(resp, "Message") == (
            "BlindTransfer refused: context %s belongs to a tenant other than this AMI user's" % other_context), resp
        assert TENANT_A_UUID not in first(resp, "Message")
    finally:
        conn.close()
