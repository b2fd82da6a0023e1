"""In-dialog requests are matched on Call-ID plus both tags (RFC 3261 §12.2.2; issue 9, defect 8).

A stranger that learned a call's Call-ID (it travels in clear text) sends BYE, re-INVITE and INFO
from its own socket with wrong tags: each gets 481 and the call stays up, then ends normally with
the real caller's BYE."""

from __future__ import annotations

import re
import socket
import uuid

import calltools as ct

NUMBER = "0391234567"   # through the tenant's trunk, which sees 391234567


def tag_of(header: str) -> str:
    m = re.search(r";\s*tag=([^;>\s]+)", header or "")
    return m.group(1) if m else ""


def stranger_request(server_port: int, method: str, ruri: str, call_id: str, from_hdr: str, to_hdr: str,
                     cseq: int) -> str:
    """Sends one request from a fresh socket; returns the status line of the final answer."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.5)
        port = s.getsockname()[1]
        msg = ("%s %s SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
               "Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n"
               "Contact: <sip:stranger@127.0.0.1:%d>\r\nContent-Length: 0\r\n\r\n"
               % (method, ruri, port, uuid.uuid4().hex, from_hdr, to_hdr, call_id, cseq, method, port))
        for _ in range(8):   # retransmit like a UAC would (Timer E) until a final answer comes
            s.sendto(msg.encode(), ("127.0.0.1", server_port))
            try:
                while True:
                    data, _ = s.recvfrom(65535)
                    line = data.decode("utf-8", "replace").split("\r\n", 1)[0]
                    if not line.startswith("SIP/2.0 1"):
                        return line
            except socket.timeout:
                continue
    return "(no answer)"


def test_bye_from_stranger_with_wrong_tags_gets_481_and_call_stays_up(pbx, peers, recorders):
    """A click-to-call (agent 100, trunk): requests forged on the trunk leg's Call-ID get 481."""
    mon = recorders("monitor")
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=200, end="bye", hold=6000))
    trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait"))
    orig = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER))
    invite = trunk.wait_for_message(lambda m: not m.is_response and m.method == "INVITE", 10)
    assert invite is not None, "the trunk never got the INVITE"
    answered = trunk.wait_for_message(lambda m: m.direction == "sent" and m.is_response and m.status == 200, 10)
    assert answered is not None, "the trunk did not answer"
    res = orig.result(20)
    assert res[-1].get("Response") == "Success", res
    assert ct.wait_until(lambda: trunk.wait_for_message(lambda m: m.method == "ACK", 0) is not None, 5, 0.1)
    before = sorted(m.get("Channel") for m in ct.channels_now(mon))
    assert len(before) >= 2, before

    call_id = invite.header("Call-ID")
    ours = tag_of(invite.header("From"))          # Centralino's tag on the trunk leg
    theirs = tag_of(answered.header("To"))        # the trunk's tag
    assert call_id and ours and theirs
    ruri = "sip:centralino@127.0.0.1:%d" % pbx.sip_port
    me = "<sip:391234567@127.0.0.1>"
    them = "<sip:100@acme.test>"
    forged = [
        ("BYE", "%s;tag=%s" % (me, "stranger1"), "%s;tag=%s" % (them, "stranger2")),   # both tags wrong
        ("BYE", "%s;tag=%s" % (me, theirs), "%s;tag=%s" % (them, "stranger3")),        # our tag wrong
        ("BYE", "%s;tag=%s" % (me, "stranger4"), "%s;tag=%s" % (them, ours)),          # peer tag wrong
        ("BYE", me, "%s;tag=%s" % (them, ours)),                                        # no From tag
        ("INVITE", "%s;tag=%s" % (me, "stranger5"), "%s;tag=%s" % (them, ours)),       # re-INVITE
        ("INFO", "%s;tag=%s" % (me, "stranger6"), "%s;tag=%s" % (them, ours)),
    ]
    for number, (method, frm, to) in enumerate(forged, start=50):
        line = stranger_request(pbx.sip_port, method, ruri, call_id, frm, to, number)
        assert line.startswith("SIP/2.0 481"), "%s with Call-ID %s, From %s, To %s got %r, want 481" % (
            method, call_id, frm, to, line)
    after = sorted(m.get("Channel") for m in ct.channels_now(mon))
    assert after == before, "the call must stay up after the forged requests: %s, before %s" % (after, before)
    assert not [m for m in trunk.messages_so_far() if m.method == "BYE"], "the trunk got a BYE: the call was ended"

    ra, rt = agent.wait(), trunk.wait()
    assert ra.returncode == 0, "agent (hangs up after 6 s): %s" % ra.report()
    assert rt.returncode == 0, "trunk (waits for the real BYE): %s" % rt.report()
    byes = rt.received_requests("BYE")
    assert len(byes) >= 1 and tag_of(byes[0].header("From")) == ours
    assert ct.wait_until(lambda: not ct.channels_now(mon), 5, 0.2), ct.channels_now(mon)
