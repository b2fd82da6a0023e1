"""Protocol edges with raw datagrams/streams (sipwire): OPTIONS, 405, 420, the shape of the 401,
no user enumeration, malformed requests answered 400 and the server carrying on."""

from __future__ import annotations

import socket
import uuid

import pytest

import sipwire
from siptools import PASSWORDS


def raw_request(port, method="OPTIONS", ruri=None, omit=(), extra=(), request_line=None,
                local_port=None):
    branch = "z9hG4bK" + uuid.uuid4().hex[:12]
    lines = [request_line or "%s %s SIP/2.0" % (method, ruri or "sip:127.0.0.1:%d" % port)]
    hdrs = [("Via", "SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (local_port or 9, branch)),
            ("Max-Forwards", "70"),
            ("From", "<sip:probe@127.0.0.1>;tag=%s" % uuid.uuid4().hex[:8]),
            ("To", "<sip:127.0.0.1:%d>" % port),
            ("Call-ID", uuid.uuid4().hex + "@probe"),
            ("CSeq", "1 %s" % method)] + list(extra)
    lines += ["%s: %s" % (k, v) for k, v in hdrs if k.lower() not in omit]
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def exchange(port, data, timeout=3.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    try:
        # put our real port into the Via so the reply comes back even without rport handling
        data = data.replace(b"127.0.0.1:9;", b"127.0.0.1:%d;" % s.getsockname()[1])
        s.sendto(data, ("127.0.0.1", port))
        s.settimeout(timeout)
        try:
            d, _ = s.recvfrom(65535)
        except socket.timeout:
            return None
        return sipwire.parse_message(d)
    finally:
        s.close()


def options_ok(port):
    r = exchange(port, raw_request(port))
    assert r is not None and r.status == 200, "OPTIONS after the malformed input: %s" % (
        r.text() if r else "no answer within 3 s")
    return r


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_options_200_with_allow_accept(sip_server, transport):
    with sipwire.SipClient(sip_server.sip_port, transport=transport) as c:
        r = c.request("OPTIONS", "sip:127.0.0.1:%d" % sip_server.sip_port,
                      "sip:127.0.0.1:%d" % sip_server.sip_port, from_="sip:probe@127.0.0.1",
                      extra=[("Accept", "application/sdp")])
    assert r.status == 200, r.text()
    allow = [m.strip().upper() for m in r.get_all("allow")]
    assert "REGISTER" in allow and "OPTIONS" in allow, "Allow: %s" % allow
    assert r.get("accept") is not None, r.text()


def test_unknown_method_405_with_allow(sip_server):
    r = exchange(sip_server.sip_port, raw_request(sip_server.sip_port, method="FROBNICATE"))
    assert r is not None and r.status == 405, r.text() if r else "no answer"
    assert r.get("allow"), "405 must carry Allow:\n%s" % r.text()


def test_unknown_require_420_with_unsupported(sip_server):
    r = exchange(sip_server.sip_port, raw_request(sip_server.sip_port,
                                                  extra=[("Require", "frobnication")]))
    assert r is not None and r.status == 420, r.text() if r else "no answer"
    assert "frobnication" in (r.get("unsupported") or ""), r.text()


def test_challenge_md5_then_sha256(sip_server):
    with sipwire.SipClient(sip_server.sip_port) as c:
        first, _ = c.register("100", None, "acme.test", contacts=["<sip:100@127.0.0.1:9>"])
    assert first.status == 401, first.text()
    chals = [sipwire.parse_auth_params(v) for v in first.get_all("www-authenticate")]
    algs = [ch.get("algorithm", "MD5").upper() for ch in chals]
    assert algs == ["MD5", "SHA-256"], "challenges in order MD5, SHA-256 expected, got %s" % algs
    for ch in chals:
        assert ch.get("realm") == "acme.test", ch
        assert "auth" in [q.strip() for q in ch.get("qop", "").split(",")], ch
        assert ch.get("nonce"), ch


@pytest.mark.parametrize("domain,known,unknown", [("127.0.0.1", "1001", "1999"),
                                                  ("acme.test", "100", "109")])
def test_same_401_for_unknown_user(sip_server, domain, known, unknown):
    """Same status, reason, header set and challenge parameters (nonce/opaque aside)."""
    shapes = []
    for ext in (known, unknown):
        with sipwire.SipClient(sip_server.sip_port) as c:
            r, _ = c.register(ext, None, domain, contacts=["<sip:%s@127.0.0.1:9>" % ext], expires=600)
        chals = [{k: v for k, v in sipwire.parse_auth_params(h).items() if k not in ("nonce", "opaque")}
                 for h in r.get_all("www-authenticate")]
        shapes.append((r.status, r.reason, sorted(set(r.header_names())), chals))
    assert shapes[0][0] == 401
    assert shapes[0] == shapes[1], "known %s vs unknown %s differ:\n%s\n%s" % (
        known, unknown, shapes[0], shapes[1])


def test_wrong_password_same_answer_for_unknown_user(sip_server):
    """After the digest round too, a wrong password for a known user and any password for an
    unknown one get the same status."""
    codes = []
    for ext in ("1014", "1998"):
        with sipwire.SipClient(sip_server.sip_port) as c:
            _, final = c.register(ext, "bad-password", "127.0.0.1",
                                  contacts=["<sip:%s@127.0.0.1:%d>" % (ext, c.local[1])])
        codes.append((final.status, final.reason))
    assert codes[0][0] in (401, 403), codes
    assert codes[0] == codes[1], "known vs unknown user after a wrong digest: %s" % codes


@pytest.mark.parametrize("case", ["no-call-id", "no-cseq", "bad-request-line", "missing-version",
                                  "missing-uri", "bad-cseq", "bad-version"])
def test_malformed_request_gets_400_and_server_carries_on(sip_server, case):
    port = sip_server.sip_port
    if case == "no-call-id":
        data = raw_request(port, omit=("call-id",))
    elif case == "no-cseq":
        data = raw_request(port, omit=("cseq",))
    elif case == "bad-request-line":
        data = raw_request(port, request_line="OPTIONS sip:127.0.0.1:%d SIP/2.0 trailing-junk" % port)
    elif case == "missing-version":
        data = raw_request(port, request_line="OPTIONS sip:127.0.0.1:%d" % port)
    elif case == "missing-uri":
        data = raw_request(port, request_line="OPTIONS  SIP/2.0")
    elif case == "bad-cseq":
        data = raw_request(port, omit=("cseq",), extra=[("CSeq", "one OPTIONS")])
    else:
        data = raw_request(port, request_line="OPTIONS sip:127.0.0.1:%d SIP/7.0" % port)
    r = exchange(port, data)
    assert r is not None, "no answer to a malformed request (%s):\n%s" % (case, data.decode())
    want = (400, 505) if case == "bad-version" else (400,)
    assert r.status in want, "%s: expected %s, got:\n%s" % (case, want, r.text())
    assert r.reason.strip(), "400 without a reason phrase"
    options_ok(port)
    assert sip_server.alive


def test_garbage_and_bad_responses_are_survived(sip_server):
    port = sip_server.sip_port
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for d in (b"\x00\xff" * 300, b"\r\n\r\n", b"SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n",
                  b"INVITE\r\n\r\n", b"REGISTER sip:x SIP/2.0\r\nContent-Length: 99999\r\n\r\n",
                  b"OPTIONS sip:127.0.0.1 SIP/2.0\r\n" + b"X-Long: " + b"a" * 70000):
            try:
                s.sendto(d[:65000], ("127.0.0.1", port))
            except OSError:
                pass
    finally:
        s.close()
    # TCP: a broken stream, then a fresh connection still works
    t = socket.create_connection(("127.0.0.1", port), timeout=3)
    t.sendall(b"THIS IS NOT SIP\r\n\r\n" + b"\x00" * 100)
    t.close()
    options_ok(port)
    with sipwire.SipClient(port, transport="tcp") as c:
        r = c.request("OPTIONS", "sip:127.0.0.1:%d" % port, "sip:127.0.0.1:%d" % port)
        assert r.status == 200, r.text()
    assert sip_server.alive


def test_register_over_tcp_sipwire_sha256(sip_server):
    """Our own client, TCP, SHA-256 digest: an independent check of the SHA-256 path."""
    ext = "1015"
    with sipwire.SipClient(sip_server.sip_port, transport="tcp") as c:
        contact = "<sip:%s@127.0.0.1:%d;transport=tcp>" % (ext, c.local[1])
        first, final = c.register(ext, PASSWORDS[("default", ext)], "127.0.0.1",
                                  contacts=[contact], expires=600, algorithm="SHA-256")
        assert final.status == 200, "\n".join(c.log)
        assert any(":%d" % c.local[1] in ct.uri for ct in final.contacts()), final.text()


def test_rport_and_received_in_response_via(sip_server):
    """RFC 3581: a request whose top Via has 'rport' is answered to its source address and port, and
    the response's Via carries rport=<source port> and received=<source IP> (even when equal to
    sent-by). The Via here names port 9 on purpose."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    try:
        src = s.getsockname()[1]
        s.sendto(raw_request(sip_server.sip_port), ("127.0.0.1", sip_server.sip_port))
        s.settimeout(3)
        try:
            r = sipwire.parse_message(s.recvfrom(65535)[0])
        except socket.timeout:
            raise AssertionError("no response at the source port (rport ignored?)")
    finally:
        s.close()
    via = r.get("via") or ""
    assert r.status == 200, r.text()
    assert ";rport=%d" % src in via.replace(" ", ""), "top Via lacks rport=%d: %r" % (src, via)
    assert ";received=127.0.0.1" in via.replace(" ", ""), "top Via lacks received=127.0.0.1: %r" % via
