"""Digest security against the real binary (issue 9, defects 6 and 7):

- a valid registration of one account does not wipe the failures collected against another account
  from the same address (the lockout cannot be dodged by logging in with one's own account every
  few guesses);
- a captured Authorization cannot be replayed: not for another Request-URI (toll fraud with an
  INVITE signed for an internal number), not with the same nonce and nonce count from another socket
  (a REGISTER that would bind the attacker's contact), and a reused nonce is answered with a new
  challenge carrying stale=true.
"""

from __future__ import annotations

import time
import uuid

import sipwire
from siptools import PASSWORDS

DOMAIN = "acme.test"
SDP = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       b"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def register_status(port, user, password, local_ip):
    """One REGISTER (answering the 401 when it comes): the status of the final response."""
    with sipwire.SipClient(port, local_ip=local_ip) as c:
        first, final = c.register(user, password, DOMAIN, contacts=["<sip:%s@%s:5999>" % (user, local_ip)],
                                  expires=60)
    return final.status


def test_success_of_one_account_does_not_reset_anothers_failures(start_server):
    srv = start_server(extra_args=["--sip-lockout-failures", "5"], name="lockout-reset")
    attacker = "127.0.0.8"
    own, victim = "100", "101"
    statuses = []
    # The trick of the issue: four guesses at the victim, then one valid registration of one's own.
    for round_ in range(3):
        for guess in range(4):
            statuses.append(register_status(srv.sip_port, victim, "guess-%d-%d" % (round_, guess), attacker))
        statuses.append(register_status(srv.sip_port, own, PASSWORDS[(DOMAIN, own)], attacker))
    assert statuses[4] == 200, "the attacker's own account registers after 4 failures: %r" % statuses
    assert 403 in statuses, "the victim's failures were wiped by the attacker's successes, never locked: %r" % statuses
    status = register_status(srv.sip_port, victim, PASSWORDS[(DOMAIN, victim)], attacker)
    assert status == 403, "the right password of the victim from the attacker's address must be refused, got %d" % status
    assert register_status(srv.sip_port, victim, PASSWORDS[(DOMAIN, victim)], "127.0.0.1") == 200, \
        "the victim from its own address is not affected"


def test_per_account_threshold_locks_only_that_account(start_server):
    srv = start_server(extra_args=["--sip-lockout-failures", "10", "--sip-lockout-account-failures", "3"],
                       name="lockout-account")
    nat = "127.0.0.9"
    for guess in range(3):
        assert register_status(srv.sip_port, "101", "wrong-%d" % guess, nat) == 401
    assert register_status(srv.sip_port, "101", PASSWORDS[(DOMAIN, "101")], nat) == 403, \
        "101 is locked out from the address after 3 failures"
    assert register_status(srv.sip_port, "100", PASSWORDS[(DOMAIN, "100")], nat) == 200, \
        "another account behind the same address goes on"


def authorized_register(c, user, password, contact):
    """REGISTER answered with digest; returns (final response, the Authorization header sent)."""
    aor = "sip:%s@%s" % (user, DOMAIN)
    ruri = "sip:%s" % DOMAIN
    hdrs = [("Contact", contact), ("Expires", "60")]
    first = c.request("REGISTER", ruri, aor, extra=hdrs)
    assert first.status == 401, first.text()
    auth = sipwire.digest_authorization(sipwire.pick_challenge(first), "REGISTER", ruri, user, password)
    final = c.request("REGISTER", ruri, aor, extra=hdrs + [("Authorization", auth)])
    return final, auth


def replay_register(port, auth, user, contact, local_ip="127.0.0.1", transport="udp"):
    with sipwire.SipClient(port, transport=transport, local_ip=local_ip) as a:
        return a.request("REGISTER", "sip:%s" % DOMAIN, "sip:%s@%s" % (user, DOMAIN),
                         extra=[("Contact", contact), ("Expires", "60"), ("Authorization", auth)])


def bindings(port, user, password):
    with sipwire.SipClient(port) as c:
        _, q = c.register(user, password, DOMAIN)
    assert q.status == 200, q.text()
    return [ct.uri for ct in q.contacts()]


def test_replayed_register_authorization_is_refused(sip_server):
    user, password = "102", PASSWORDS[(DOMAIN, "102")]
    with sipwire.SipClient(sip_server.sip_port) as phone:
        final, auth = authorized_register(phone, user, password, "<sip:102@127.0.0.1:5102>")
    assert final.status == 200, final.text()

    # Same nonce, same nc, another socket on the same address: spent, so a new challenge with stale=true.
    r = replay_register(sip_server.sip_port, auth, user, "<sip:102@127.0.0.1:6666>")
    assert r.status == 401, "a replayed REGISTER Authorization was accepted:\n%s" % r.text()
    assert all(sipwire.parse_auth_params(v).get("stale", "").lower() == "true"
               for v in r.get_all("www-authenticate")), "a reused nonce gets stale=true:\n%s" % r.text()
    # Over TCP from another address: the nonce was not issued to it.
    r = replay_register(sip_server.sip_port, auth, user, "<sip:102@127.0.0.10:6667>", local_ip="127.0.0.10",
                        transport="tcp")
    assert r.status == 401, "a REGISTER Authorization replayed from another address was accepted:\n%s" % r.text()

    uris = bindings(sip_server.sip_port, user, password)
    assert any("127.0.0.1:5102" in u for u in uris), uris
    assert not any(":6666" in u or ":6667" in u for u in uris), "the attacker's contact got bound: %r" % uris


def test_nonce_reused_with_a_higher_nonce_count_is_accepted(sip_server):
    """RFC 7616 §3.4: a client may reuse a nonce with an incremented nc (pjsip and libre do)."""
    user, password = "101", PASSWORDS[(DOMAIN, "101")]
    aor, ruri = "sip:%s@%s" % (user, DOMAIN), "sip:%s" % DOMAIN
    with sipwire.SipClient(sip_server.sip_port) as c:
        hdrs = [("Contact", "<sip:101@127.0.0.1:5101>"), ("Expires", "60")]
        chal = sipwire.pick_challenge(c.request("REGISTER", ruri, aor, extra=hdrs))
        for nc in (1, 2, 5):
            auth = sipwire.digest_authorization(chal, "REGISTER", ruri, user, password, nc=nc)
            r = c.request("REGISTER", ruri, aor, extra=hdrs + [("Authorization", auth)])
            assert r.status == 200, "nc=%d:\n%s" % (nc, r.text())
        auth = sipwire.digest_authorization(chal, "REGISTER", ruri, user, password, nc=3)
        r = c.request("REGISTER", ruri, aor, extra=hdrs + [("Authorization", auth)])
        assert r.status == 401, "a lower nc than one already used must be refused:\n%s" % r.text()


def send_invite(c, ruri, caller, auth=None):
    """Sends an INVITE from `caller`@acme.test on a fresh Call-ID; returns its branch."""
    c.call_id = uuid.uuid4().hex + "@sipwire"
    c.cseq += 1
    headers = [("Max-Forwards", "70"), ("From", "<sip:%s@%s>;tag=%s" % (caller, DOMAIN, c.from_tag)), ("To", "<%s>" % ruri),
               ("Call-ID", c.call_id), ("CSeq", "%d INVITE" % c.cseq),
               ("Contact", "<sip:%s@%s:%d;transport=tcp>" % (caller, c.local[0], c.local[1])),
               ("Content-Type", "application/sdp")]
    if auth:
        headers.append(("Authorization", auth))
    branch = "z9hG4bK" + uuid.uuid4().hex[:16]
    c.send_raw(c.build("INVITE", ruri, headers, SDP, branch=branch))
    return branch


def first_beyond_trying(c, timeout=5.0):
    """The first response other than 100 Trying, or None within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = c.recv_message(max(0.05, deadline - time.monotonic()))
        if r is not None and r.is_response and r.status != 100:
            return r
    return None


def end_invite(c, ruri, caller, branch, response):
    """CANCEL a pending INVITE, or ACK its non-2xx final (RFC 3261 §9.1, §17.1.1.3)."""
    common = [("Max-Forwards", "70"), ("From", "<sip:%s@%s>;tag=%s" % (caller, DOMAIN, c.from_tag)), ("Call-ID", c.call_id)]
    if response is None or response.status < 200:
        c.send_raw(c.build("CANCEL", ruri, common + [("To", "<%s>" % ruri), ("CSeq", "%d CANCEL" % c.cseq)], branch=branch))
    else:
        c.send_raw(c.build("ACK", ruri, common + [("To", response.get("to")), ("CSeq", "%d ACK" % c.cseq)], branch=branch))


def invites_received(phone, timeout):
    """Call-IDs of INVITEs that reached a registered phone's socket within `timeout`; each is answered
    486 Busy Here so the server stops retransmitting it."""
    got = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = phone.recv_message(max(0.05, deadline - time.monotonic()))
        if m is None or m.method != "INVITE":
            continue
        got.add(m.get("call-id"))
        lines = ["SIP/2.0 486 Busy Here"] + ["Via: %s" % v for v in m.get_all("via")]
        lines += ["From: %s" % m.get("from"), "To: %s;tag=busy1" % m.get("to"), "Call-ID: %s" % m.get("call-id"),
                  "CSeq: %s" % m.get("cseq"), "Content-Length: 0", "", ""]
        phone.send_raw("\r\n".join(lines).encode())
    return got


def test_invite_authorization_replayed_to_another_request_uri_is_refused(sip_server):
    caller, password = "100", PASSWORDS[(DOMAIN, "100")]
    callee = "101"
    internal = "sip:%s@%s" % (callee, DOMAIN)
    with sipwire.SipClient(sip_server.sip_port) as phone101:
        _, reg = phone101.register(callee, PASSWORDS[(DOMAIN, callee)], DOMAIN,
                                   contacts=["<sip:101@127.0.0.1:%d>" % phone101.local[1]], expires=60)
        assert reg.status == 200, reg.text()
        with sipwire.SipClient(sip_server.sip_port, transport="tcp") as caller_phone:
            branch = send_invite(caller_phone, internal, caller)
            challenge = first_beyond_trying(caller_phone)
            assert challenge is not None and challenge.status == 401, challenge and challenge.text()
            end_invite(caller_phone, internal, caller, branch, challenge)
            auth = sipwire.digest_authorization(sipwire.pick_challenge(challenge), "INVITE", internal, caller, password)
            branch = send_invite(caller_phone, internal, caller, auth)
            genuine = invites_received(phone101, 3.0)
            assert genuine, "the genuine INVITE must authenticate and reach 101"
            end_invite(caller_phone, internal, caller, branch, first_beyond_trying(caller_phone, 2.0))

        with sipwire.SipClient(sip_server.sip_port, transport="tcp") as attacker:
            toll = "sip:00391234567@%s" % DOMAIN
            branch = send_invite(attacker, toll, caller, auth)
            r = first_beyond_trying(attacker)
            end_invite(attacker, toll, caller, branch, r)
            assert r is not None and r.status == 401, \
                "an Authorization signed for %s was accepted for %s:\n%s" % (internal, toll, r.text() if r else "no answer")

            branch = send_invite(attacker, internal, caller, auth)
            r = first_beyond_trying(attacker)
            end_invite(attacker, internal, caller, branch, r)
            assert r is not None and r.status == 401, \
                "the same INVITE Authorization replayed from another socket was accepted:\n%s" % (r.text() if r else "no answer")
            assert all(sipwire.parse_auth_params(v).get("stale", "").lower() == "true"
                       for v in r.get_all("www-authenticate")), "a reused nonce gets stale=true:\n%s" % r.text()
        assert not invites_received(phone101, 1.0) - genuine, "a replayed INVITE reached the callee"
