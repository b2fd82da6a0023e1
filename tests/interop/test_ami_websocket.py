"""AMI as JSON over WebSocket (`GET /api/v1/ami/ws`, issue 13) against the real binary, with a real
WebSocket client (websocket-client): Login (good and bad password, the user's ACL, the lockout), an API
token on the upgrade, a panel cookie alone refused, events as JSON objects with repeated keys as
arrays, the ActionID round trip, the Filter action, tenant isolation, an oversize message (close 1009,
other sessions unharmed), a frame over the 1 MiB frame limit (close 1009, not a reset), `wss://` on the
HTTPS listener, a client that stops reading (dropped as the TCP AMI drops one, others unharmed),
lines smuggled into a value refused.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable, List, Optional

import pytest
import websocket

from conftest import SECRETS, TENANT_A_UUID, TENANT_B_UUID, Server, provisioning_yaml
from panel import Panel  # tests/common: a signed-in admin panel session

ADMIN_PASSWORD = "ws-admin-pass-1"


class Closed(Exception):
    def __init__(self, code: Optional[int], reason: str):
        super().__init__("closed %s %r" % (code, reason))
        self.code = code
        self.reason = reason


class AMIWS:
    """One WebSocket AMI session: JSON messages in and out, events kept as they arrive."""

    def __init__(self, http_port: int, headers: Optional[List[str]] = None, source: Optional[str] = None,
                 query: str = "", cookie: Optional[str] = None, rcvbuf: Optional[int] = None):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source:
            sock.bind((source, 0))
        sock.settimeout(10)
        sock.connect(("127.0.0.1", http_port))
        self.ws = websocket.create_connection("ws://127.0.0.1:%d/api/v1/ami/ws%s" % (http_port, query), timeout=10,
                                              header=headers or [], cookie=cookie, socket=sock)
        self.events: List[dict] = []
        self.banner = self.recv()
        assert self.banner == {"Banner": "Asterisk Call Manager/9.0.0"}, self.banner

    def recv(self, timeout: float = 10) -> dict:
        self.ws.settimeout(timeout)
        opcode, data = self.ws.recv_data(control_frame=True)
        # The server pings every half idle timeout (30 s by default); websocket-client answers the
        # ping itself, so a ping or pong frame is skipped here.
        while opcode in (websocket.ABNF.OPCODE_PING, websocket.ABNF.OPCODE_PONG):
            opcode, data = self.ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
            raise Closed(code, data[2:].decode(errors="replace"))
        assert opcode == websocket.ABNF.OPCODE_TEXT, opcode
        return json.loads(data)

    def send(self, message) -> None:
        self.ws.send(message if isinstance(message, str) else json.dumps(message))

    def action(self, action: dict, timeout: float = 10) -> dict:
        """Sends `action` and returns its response; events that arrive meanwhile are kept."""
        self.send(action)
        deadline = time.monotonic() + timeout
        while True:
            message = self.recv(max(0.1, deadline - time.monotonic()))
            if "Event" in message:
                self.events.append(message)
            elif message.get("ActionID") == action.get("ActionID"):
                return message

    def login(self, username: str, secret: str, events: str = "on") -> dict:
        return self.action({"Action": "Login", "Username": username, "Secret": secret, "Events": events, "ActionID": "login"})

    def wait_event(self, predicate: Callable[[dict], bool], timeout: float = 5) -> Optional[dict]:
        for event in self.events:
            if predicate(event):
                return event
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.recv(max(0.05, deadline - time.monotonic()))
            except websocket.WebSocketTimeoutException:
                return None
            if "Event" in message:
                self.events.append(message)
                if predicate(message):
                    return message
        return None

    def close(self) -> None:
        try:
            self.ws.close(timeout=1)
        except Exception:
            pass


def refusal(http_port: int, headers: List[str], query: str = "") -> tuple:
    """An upgrade whose credentials are refused: (close code, reason) of the close that follows it."""
    ws = websocket.create_connection("ws://127.0.0.1:%d/api/v1/ami/ws%s" % (http_port, query), timeout=10, header=headers)
    try:
        opcode, data = ws.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE, (opcode, data)
        return struct.unpack("!H", data[:2])[0], data[2:].decode()
    finally:
        ws.close()


def http_status(http_port: int, headers: List[str], query: str = "") -> int:
    """The status of a plain GET of the endpoint (no upgrade)."""
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/ami/ws%s" % (http_port, query), headers=dict(h.split(": ", 1) for h in headers))
    try:
        with urllib.request.urlopen(req, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as e:
        return e.code


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("ws"), name="ws",
               extra_args=["--admin-password", ADMIN_PASSWORD, "--ami-auth-delay-ms", "100",
                           "--ami-lockout-failures", "100000", "--ami-ws-max-message-bytes", "4096"])
    yield s
    s.stop()


@pytest.fixture(scope="module")
def panel(srv):
    return Panel(srv.http_port, "admin", ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def tokens(srv, panel):
    made = {"system": panel.new_token("system")}
    panel.new_tenant_admin(TENANT_A_UUID, "ops", "ops-pass-acme-1")
    made["acme"] = Panel(srv.http_port, "ops@acme.test", "ops-pass-acme-1").new_token("acme-cti")
    return made


def test_login_events_as_json_repeated_keys_actionid(srv):
    a = AMIWS(srv.http_port)
    b = AMIWS(srv.http_port)   # tenant B, reads everything it may
    producer = AMIWS(srv.http_port)
    try:
        assert a.login("monitor", SECRETS["monitor"]) == {
            "Response": "Success", "ActionID": "login", "Message": "Authentication accepted"}
        assert b.login("other", SECRETS["other"])["Response"] == "Success"
        assert producer.login("crm", SECRETS["crm"], events="off")["Response"] == "Success"
        # ActionID round trip, numbers and booleans as AMI text
        assert a.action({"Action": "Ping", "ActionID": "p-42"})["Ping"] == "Pong"
        # the producer may not send UserEvents (class user): AMI's refusal, as JSON
        assert producer.action({"Action": "UserEvent", "UserEvent": "x", "ActionID": "ue0"}) == {
            "Response": "Error", "ActionID": "ue0", "Message": "Permission denied"}
        sent = a.action({"Action": "UserEvent", "UserEvent": "Repeat", "ActionID": "ue1",
                         "Variable": ["A=1", "B=2", "C=3"], "Seq": 7, "Flag": True})
        assert sent["Response"] == "Success", sent
        event = a.wait_event(lambda e: e.get("UserEvent") == "Repeat")
        assert event is not None, a.events
        assert event["Event"] == "UserEvent" and event["Variable"] == ["A=1", "B=2", "C=3"], event
        assert event["Seq"] == "7" and event["Flag"] == "true" and event["ActionID"] == "ue1", event
        # tenant B never sees tenant A's event
        assert b.wait_event(lambda e: e.get("UserEvent") == "Repeat", 1.5) is None, b.events
        assert b.action({"Action": "Ping", "ActionID": "b"})["Response"] == "Success"
    finally:
        for session in (a, b, producer):
            session.close()


def test_bad_password_and_acl_refused(srv):
    bad = AMIWS(srv.http_port)
    assert bad.login("crm", "wrong") == {"Response": "Error", "ActionID": "login", "Message": "Authentication failed"}
    with pytest.raises((Closed, websocket.WebSocketConnectionClosedException)):
        bad.recv(5)   # the session ends after a failed login, the WebSocket with it
    # crm is permitted from 127.0.0.1/32 only; the WebSocket client's own address counts (127.0.0.2)
    far = AMIWS(srv.http_port, source="127.0.0.2")
    assert far.login("crm", SECRETS["crm"])["Message"] == "Authentication failed"
    far.close()
    # monitor (127.0.0.0/8) from the same address logs in
    near = AMIWS(srv.http_port, source="127.0.0.2")
    assert near.login("monitor", SECRETS["monitor"])["Response"] == "Success"
    near.close()
    assert "AMI login locked out" not in srv.log_text()


def test_lockout_applies_to_websocket_logins(start_server):
    s = start_server(["--ami-lockout-failures", "2", "--ami-auth-delay-ms", "50"], name="ws-lockout")
    for _ in range(2):
        session = AMIWS(s.http_port, source="127.0.0.3")
        assert session.login("monitor", "wrong")["Message"] == "Authentication failed"
        session.close()
    locked = AMIWS(s.http_port, source="127.0.0.3")
    assert locked.login("monitor", SECRETS["monitor"])["Message"] == "Authentication failed", "locked out: even the right password"
    locked.close()
    assert re.search(r"remote=127\.0\.0\.3 .*AMI login refused: address locked out", s.log_text())
    other = AMIWS(s.http_port, source="127.0.0.4")
    assert other.login("monitor", SECRETS["monitor"])["Response"] == "Success"
    other.close()


def test_bearer_token_session(srv, tokens):
    session = AMIWS(srv.http_port, headers=["Authorization: Bearer " + tokens["acme"]])
    try:
        # logged in at once as acme, with a tenant user's default classes (read call, write call,originate)
        assert session.recv() == {"Response": "Success", "Message": "Authentication accepted"}
        assert session.action({"Action": "Ping", "ActionID": "t1"})["Response"] == "Success"
        commands = session.action({"Action": "ListCommands", "ActionID": "t2"})
        assert "Originate" in commands and "Hangup" in commands, commands
        assert "UserEvent" not in commands and "Command" not in commands, commands
        # a Login after a token login changes nothing
        assert session.login("other", SECRETS["other"])["Message"] == "Already authenticated"
    finally:
        session.close()
    # the system administrator's token names the tenant
    system = AMIWS(srv.http_port, headers=["Authorization: Bearer " + tokens["system"]], query="?tenant=" + TENANT_B_UUID)
    assert system.recv()["Message"] == "Authentication accepted"
    system.close()
    # refused credentials: the WebSocket closes at once with 1008 and why; a plain GET gets the HTTP status
    system_only = ["Authorization: Bearer " + tokens["system"]]
    assert refusal(srv.http_port, system_only) == (
        1008, "bad_request: the system administrator's token must name an existing tenant: ?tenant=<uuid>")
    assert http_status(srv.http_port, system_only) == 400
    foreign = ["Authorization: Bearer " + tokens["acme"]]
    assert refusal(srv.http_port, foreign, "?tenant=" + TENANT_B_UUID) == (1008, "http_error: this token may access only its own tenant")
    assert http_status(srv.http_port, foreign, "?tenant=" + TENANT_B_UUID) == 403
    bad = ["Authorization: Bearer cntl_not-a-token"]
    assert refusal(srv.http_port, bad) == (1008, "unauthenticated: the API token is not valid")
    assert http_status(srv.http_port, bad) == 401
    # a plain GET with acceptable credentials (or none) is told to upgrade
    assert http_status(srv.http_port, []) == 426
    assert http_status(srv.http_port, foreign) == 426


def test_panel_cookie_alone_does_not_authenticate(srv, panel):
    session = AMIWS(srv.http_port, cookie=panel.cookie_header())
    try:
        assert session.action({"Action": "CoreStatus", "ActionID": "c1"}) == {
            "Response": "Error", "ActionID": "c1", "Message": "Permission denied"}
    finally:
        session.close()


def test_filter_action_honoured(srv):
    a = AMIWS(srv.http_port)
    try:
        assert a.login("monitor", SECRETS["monitor"])["Response"] == "Success"
        assert a.action({"Action": "Filter", "Operation": "Add", "Filter": "UserEvent: Wanted", "ActionID": "f"})["Response"] == "Success"
        for name in ("Unwanted", "Wanted"):
            assert a.action({"Action": "UserEvent", "UserEvent": name, "ActionID": name})["Response"] == "Success"
        assert a.wait_event(lambda e: e.get("UserEvent") == "Wanted") is not None
        assert all(e.get("UserEvent") != "Unwanted" for e in a.events), a.events
    finally:
        a.close()


FILTERED_USER = """\
      - username: filtered
        password: f1ltered
        permit: ["127.0.0.0/8"]
        read: all
        write: all
        eventfilter:
          - "UserEvent: Wanted"
          - "!Foo: drop"
"""


def test_user_eventfilter_honoured(start_server):
    yaml_text = provisioning_yaml().replace("  - name: globex\n", FILTERED_USER + "  - name: globex\n")
    s = start_server(["--ami-auth-delay-ms", "100"], yaml_text=yaml_text, name="ws-eventfilter")
    listener = AMIWS(s.http_port)
    producer = AMIWS(s.http_port)
    try:
        assert listener.login("filtered", "f1ltered")["Response"] == "Success"
        assert producer.login("monitor", SECRETS["monitor"], events="off")["Response"] == "Success"
        for n, (name, extra) in enumerate([("Other", {}), ("Wanted", {"Foo": "drop"}), ("Wanted", {"Seq": "last"})]):
            assert producer.action(dict(Action="UserEvent", UserEvent=name, ActionID="u%d" % n, **extra))["Response"] == "Success"
        assert listener.wait_event(lambda e: e.get("Seq") == "last") is not None, listener.events
        users = [(e.get("UserEvent"), e.get("Foo")) for e in listener.events if e["Event"] == "UserEvent"]
        assert users == [("Wanted", None)], users
    finally:
        listener.close()
        producer.close()


def test_bad_messages_refused_line_smuggling_blocked(srv):
    a = AMIWS(srv.http_port)
    try:
        assert a.login("noorig", SECRETS["noorig"])["Response"] == "Success"
        # a CR/LF in a value would start another header (or action); refused before AMI sees it
        refused = a.action({"Action": "Ping", "ActionID": "s1", "X": "y\r\nAction: Originate"})
        assert refused == {"Response": "Error", "ActionID": "s1", "Message": "The value of 'X' contains a line break"}
        assert a.action({"Action": "Ping", "ActionID": "s2", "Bad:Key": "v"})["Message"].startswith("Invalid key")
        assert a.action({"Action": "Ping", "ActionID": "s3", "Nested": {"a": 1}})["Response"] == "Error"
        a.send("not json")
        assert a.recv() == {"Response": "Error", "Message": "Each message must be one JSON object of AMI keys and values"}
        assert a.action({"Action": "Ping", "ActionID": "s4"})["Response"] == "Success"
    finally:
        a.close()


def closes_with_1009_others_live_on(srv, pad: int) -> None:
    """One session sends a Ping padded with `pad` bytes: it is closed with 1009, another lives on."""
    big = AMIWS(srv.http_port)
    other = AMIWS(srv.http_port)
    try:
        assert big.login("monitor", SECRETS["monitor"])["Response"] == "Success"
        assert other.login("monitor", SECRETS["monitor"])["Response"] == "Success"
        big.send({"Action": "Ping", "ActionID": "big", "Pad": "x" * pad})
        with pytest.raises(Closed) as closed:
            while True:
                big.recv(5)
        assert closed.value.code == 1009, (closed.value.code, closed.value.reason)
        assert other.action({"Action": "Ping", "ActionID": "alive"})["Response"] == "Success"
    finally:
        big.close()
        other.close()


def test_oversize_message_closes_that_session_only(srv):
    closes_with_1009_others_live_on(srv, 5000)   # the server's limit: 4096 bytes


def test_frame_over_the_frame_limit_gets_1009_not_a_reset(srv):
    """A single frame over the 1 MiB frame limit is refused by the frame decoder before its payload is
    read: the client still gets a close frame with 1009 (message too big), not a TCP reset (the server
    drains what the client is still sending before it closes the socket)."""
    closes_with_1009_others_live_on(srv, (1 << 20) + 4096)


def test_wss_over_the_https_listener(tmp_path_factory):
    """`wss://`: the node's HTTPS listener serves /api/v1/ami/ws over TLS (certificate verified against
    the test's self-signed pair): Login, an action's response and an event as JSON; a frame over the
    frame limit gets close 1009 there too."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
    from tlspair import make_pair
    cert, key = make_pair(tmp_path_factory.mktemp("wss-pair"))
    s = Server(tmp_path_factory.mktemp("wss"), name="wss", extra_args=["--admin-password", ADMIN_PASSWORD],
               tls=(cert, key), tls_listeners=("https",))
    try:
        ws = websocket.create_connection("wss://127.0.0.1:%d/api/v1/ami/ws" % s.https_port, timeout=10,
                                         sslopt={"ca_certs": str(cert), "cert_reqs": ssl.CERT_REQUIRED})
        try:
            assert isinstance(ws.sock, ssl.SSLSocket) and ws.sock.version() in ("TLSv1.2", "TLSv1.3")
            assert json.loads(ws.recv()) == {"Banner": "Asterisk Call Manager/9.0.0"}
            ws.send(json.dumps({"Action": "Login", "Username": "monitor", "Secret": SECRETS["monitor"], "ActionID": "l"}))
            assert json.loads(ws.recv()) == {"Response": "Success", "ActionID": "l", "Message": "Authentication accepted"}
            ws.send(json.dumps({"Action": "UserEvent", "UserEvent": "OverTLS", "ActionID": "u"}))
            seen = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any(m.get("UserEvent") == "OverTLS" for m in seen):
                seen.append(json.loads(ws.recv()))
            assert {"Response": "Success", "ActionID": "u"}.items() <= next(m for m in seen if m.get("ActionID") == "u" and "Response" in m).items(), seen
            event = next(m for m in seen if m.get("UserEvent") == "OverTLS")
            assert event["Event"] == "UserEvent", event
            # a frame over the frame limit: close 1009 over TLS too, not a reset
            ws.send(json.dumps({"Action": "Ping", "Pad": "x" * ((1 << 20) + 4096)}))
            while True:
                opcode, data = ws.recv_data(control_frame=True)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
            assert struct.unpack("!H", data[:2])[0] == 1009, data
        finally:
            ws.close()
    finally:
        s.stop()


def test_slow_reader_dropped_others_live_on(start_server):
    # A 3 s write timeout: the fast reader (Python, on a loaded 2-core machine) must never look slow.
    s = start_server(["--ami-auth-delay-ms", "100", "--ami-event-queue-limit", "256", "--ami-write-timeout-ms", "3000"],
                     name="ws-slow")
    slow = AMIWS(s.http_port, rcvbuf=4096)
    fast = AMIWS(s.http_port)
    producer = AMIWS(s.http_port)
    try:
        assert slow.login("monitor", SECRETS["monitor"])["Response"] == "Success"
        assert fast.login("monitor", SECRETS["monitor"])["Response"] == "Success"
        assert producer.login("monitor", SECRETS["monitor"], events="off")["Response"] == "Success"
        payload = {"Payload%d" % k: "x" * 1000 for k in range(1, 4)}   # AMI lines stay under its line limit
        seen = 0
        # the slow client never reads; the fast one reads every event; ~12 MB of events in all
        for i in range(4000):
            producer.send(dict(Action="UserEvent", UserEvent="Flood", Seq=i, ActionID="f%d" % i, **payload))
            if i % 50 == 49:
                while True:   # its responses, read as they come
                    response = producer.recv()
                    assert response["Response"] == "Success", response
                    if response["ActionID"] == "f%d" % i:
                        break
                while seen < i - 20:   # the fast reader takes each burst before the next is sent
                    event = fast.recv(10)
                    if event.get("UserEvent") == "Flood":
                        seen = int(event["Seq"])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "AMI WebSocket dropped" not in s.log_text() \
                and "AMI session disconnected" not in s.log_text():
            time.sleep(0.2)
        log = s.log_text()
        assert "AMI session disconnected" in log, log[-3000:]
        # the slow client's connection ends: reading what was buffered reaches the end
        slow.ws.sock.settimeout(15)
        try:
            while slow.ws.sock.recv(65536):
                pass
            ended = True
        except socket.timeout:
            ended = False
        except OSError:   # reset
            ended = True
        assert ended, "the slow client's WebSocket is still open"
        # the others live on
        assert fast.action({"Action": "Ping", "ActionID": "after"}, timeout=20)["Response"] == "Success"
        assert producer.action({"Action": "Ping", "ActionID": "after"})["Response"] == "Success"
    finally:
        for session in (slow, fast, producer):
            session.close()


def test_logoff_closes_normally_and_node_cap(start_server):
    s = start_server(["--ami-ws-max-sessions", "1"], name="ws-cap")
    first = AMIWS(s.http_port)
    try:
        assert first.login("monitor", SECRETS["monitor"])["Response"] == "Success"
        # the node's cap: a second WebSocket is closed with 1013, a plain GET answers 503
        assert refusal(s.http_port, []) == (1013, "too_many_sessions: too many WebSocket AMI sessions on this node; try again later")
        assert http_status(s.http_port, []) == 503
        # Logoff: AMI's Goodbye, then a normal close (1000)
        assert first.action({"Action": "Logoff", "ActionID": "bye"}) == {
            "Response": "Goodbye", "ActionID": "bye", "Message": "Thanks for all the fish."}
        with pytest.raises(Closed) as closed:
            first.recv(5)
        assert closed.value.code == 1000
    finally:
        first.close()
    # the slot is free again
    deadline = time.monotonic() + 5
    while http_status(s.http_port, []) != 426 and time.monotonic() < deadline:
        time.sleep(0.1)
    again = AMIWS(s.http_port)
    assert again.login("monitor", SECRETS["monitor"])["Response"] == "Success"
    again.close()
