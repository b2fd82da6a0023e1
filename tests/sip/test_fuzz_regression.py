"""Inputs the libFuzzer targets found to trap the SIP parsers (Fuzz/Regressions/FuzzSIP and FuzzSDP,
docs/security.md "Fuzzing"), sent by a registered phone to the real binary: each request gets an
answer and the server keeps answering. Each test runs its own server, so a crash cannot take the
shared one down for the tests after it.
"""

from __future__ import annotations

import sipwire


def authorized(client, method, ruri, to, from_, extra=(), body=b""):
    """Sends a request; answers a 401/407 once with digest (tenant acme, extension 100)."""
    first = client.request(method, ruri, to, from_=from_, extra=extra, body=body)
    if first.status not in (401, 407):
        return first
    header = "www-authenticate" if first.status == 401 else "proxy-authenticate"
    challenge = sipwire.parse_auth_params(first.get_all(header)[0])
    auth = sipwire.digest_authorization(challenge, method, ruri, "100", "pw100")
    name = "Authorization" if first.status == 401 else "Proxy-Authorization"
    if method == "INVITE":   # the rejected INVITE transaction is over: ACK it
        client.send_raw(client.build("ACK", ruri, [("Max-Forwards", "70"), ("From", f"<{from_}>;tag={client.from_tag}"),
                                                   ("To", first.get("to") or f"<{to}>"), ("Call-ID", client.call_id),
                                                   ("CSeq", f"{client.cseq} ACK")]))
    return client.request(method, ruri, to, from_=from_, extra=list(extra) + [(name, auth)], body=body)


def assert_alive(srv):
    assert srv.alive, "centralino exited (code %s); log:\n%s" % (srv.proc.poll(), srv.log_text()[-4000:])
    with sipwire.SipClient(srv.sip_port) as probe:
        answer = probe.request("OPTIONS", f"sip:127.0.0.1:{srv.sip_port}", "sip:probe@acme.test", timeout=4)
    assert answer.status == 200, answer.text()


def test_contact_expires_above_uint32_is_clamped(start_server):
    """Contact ;expires=2**32 trapped SIPNameAddress.expires on every REGISTER (FuzzSIP)."""
    srv = start_server(name="fuzzreg-expires")
    with sipwire.SipClient(srv.sip_port) as c:
        contact = f"<sip:100@{c.local[0]}:{c.local[1]}>;expires=4294967296"
        _, final = c.register("100", "pw100", "acme.test", contacts=[contact], timeout=4)
    assert_alive(srv)
    assert final.status == 200, final.text()
    assert final.contacts(), final.text()


def test_sdp_media_port_without_digits_is_refused(start_server):
    """An INVITE whose SDP says `m=audio / RTP/AVP 0` trapped SDPMediaDescription(mLine:) (FuzzSDP)."""
    srv = start_server(name="fuzzreg-sdp")
    body = b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio / RTP/AVP 0\r\n"
    with sipwire.SipClient(srv.sip_port) as c:
        final = authorized(c, "INVITE", "sip:101@acme.test", "sip:101@acme.test", "sip:100@acme.test",
                           extra=[("Contact", f"<sip:100@{c.local[0]}:{c.local[1]}>"),
                                  ("Content-Type", "application/sdp")], body=body)
    assert_alive(srv)
    assert 400 <= final.status < 500, final.text()
