"""CR/LF injection into SIP (issue 9, defect 11, output side): no header the server writes may carry a
control character, whatever the text came from. An extension name `Alice\\r\\nX-Injected: yes` (put
into the store directly, past any input validation) and an AMI Originate `CallerID` with a bare CR
must not produce an `X-Injected` header in the INVITE a phone receives."""

from __future__ import annotations

import socket
import time
import uuid

import sipwire
from server import store_sql

YAML = """\
tenants:
  - name: default
    extensions:
      - { number: "1001", password: "secret1001" }
      - { number: "1002", name: "Alice", password: "secret1002" }
    ami_users:
      - username: crm
        password: s3cret
        permit: ["127.0.0.0/8"]
        read: all
        write: all
"""
SDP = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       b"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def register_phone(port: int, number: str) -> sipwire.SipClient:
    phone = sipwire.SipClient(port)
    _, final = phone.register(number, "secret" + number, "127.0.0.1",
                              contacts=["<sip:%s@127.0.0.1:%d>" % (number, phone.local[1])], expires=120)
    assert final.status == 200, final.text()
    return phone


def next_invite(phone: sipwire.SipClient, timeout: float = 10.0) -> sipwire.Message:
    """The next INVITE at the phone's socket, answered 486 so the server stops retransmitting it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = phone.recv_message(max(0.05, deadline - time.monotonic()))
        if m is None or m.method != "INVITE":
            continue
        lines = ["SIP/2.0 486 Busy Here"] + ["Via: %s" % v for v in m.get_all("via")]
        lines += ["From: %s" % m.get("from"), "To: %s;tag=busy1" % m.get("to"), "Call-ID: %s" % m.get("call-id"),
                  "CSeq: %s" % m.get("cseq"), "Content-Length: 0", "", ""]
        phone.send_raw("\r\n".join(lines).encode())
        return m
    raise AssertionError("no INVITE reached the phone within %.0f s" % timeout)


def assert_no_injection(invite: sipwire.Message) -> None:
    raw = invite.raw
    head = raw.split(b"\r\n\r\n", 1)[0]
    # However a receiver splits lines (CRLF, bare CR or bare LF), no line may start a forged header.
    for line in head.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"):
        assert not line.lower().startswith(b"x-injected"), "injected header in the INVITE:\n%r" % raw
    stripped = head.replace(b"\r\n", b"")
    assert b"\r" not in stripped and b"\n" not in stripped and b"\x00" not in stripped, \
        "a bare CR, LF or NUL in the INVITE's header:\n%r" % raw


def ami(port: int, lines: list, timeout: float = 10.0) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.recv(1024)
    s.sendall(b"Action: Login\r\nUsername: crm\r\nSecret: s3cret\r\nEvents: off\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    assert b"Response: Success" in data, data
    s.sendall(b"".join(line + b"\r\n" for line in lines) + b"\r\n")
    return s


def test_ami_callerid_with_a_bare_cr_does_not_inject_a_header(start_server):
    srv = start_server(yaml_text=YAML, name="inject-ami")
    phone = register_phone(srv.sip_port, "1001")
    try:
        session = ami(srv.ami_port, [b"Action: Originate", b"Channel: Local/1001@c2c", b"Context: from_c2c",
                                     b"Exten: 1002", b"Priority: 1", b"Async: true", b"Timeout: 5000",
                                     b'CallerID: "Eve\rX-Injected: yes" <555>', b"ActionID: inj"])
        try:
            invite = next_invite(phone)
        finally:
            session.close()
        assert_no_injection(invite)
        assert "Eve" in (invite.get("from") or ""), "the caller's name is still shown: %s" % invite.get("from")
    finally:
        phone.close()
    assert srv.alive


def test_extension_name_with_crlf_does_not_inject_a_header(start_server):
    srv = start_server(yaml_text=YAML, name="inject-name")
    srv.stop()
    # Straight into the store, as a bug elsewhere or an old database could leave it.
    store_sql(srv.data_dir, "UPDATE extension SET name = ? WHERE number = '1002'", ("Alice\r\nX-Injected: yes",))
    srv.start()
    phone = register_phone(srv.sip_port, "1001")
    try:
        with sipwire.SipClient(srv.sip_port, transport="tcp") as caller:
            ruri = "sip:1001@127.0.0.1"
            hdrs = [("Contact", "<sip:1002@127.0.0.1:%d;transport=tcp>" % caller.local[1]), ("Content-Type", "application/sdp")]
            caller.call_id = uuid.uuid4().hex + "@sipwire"
            first = caller.request("INVITE", ruri, ruri, from_="sip:1002@127.0.0.1", extra=hdrs, body=SDP)
            assert first.status == 401, first.text()
            auth = sipwire.digest_authorization(sipwire.pick_challenge(first), "INVITE", ruri, "1002", "secret1002")
            caller.cseq += 1
            caller.send_raw(caller.build("INVITE", ruri, [("Max-Forwards", "70"),
                                                           ("From", "<sip:1002@127.0.0.1>;tag=%s" % caller.from_tag),
                                                           ("To", "<%s>" % ruri), ("Call-ID", caller.call_id),
                                                           ("CSeq", "%d INVITE" % caller.cseq), ("Authorization", auth)] + hdrs,
                                         SDP))
            invite = next_invite(phone)
        assert_no_injection(invite)
        assert "Alice" in (invite.get("from") or ""), "the caller's name is still shown: %s" % invite.get("from")
    finally:
        phone.close()
    assert srv.alive
