"""Re-INVITE server side through the transaction layer (issue 10): a retransmitted re-INVITE is
absorbed by its transaction (it used to get 491), and our 200 to it is retransmitted until the ACK
comes (RFC 3261 §13.3.1.4), then stops.

A click-to-call connects agent 100 (SIPp, answers the hold/resume re-INVITEs passed across) and the
trunk (SIPp). A test socket then speaks for the trunk inside the dialog (right Call-ID and tags)."""

from __future__ import annotations

import re
import socket
import time
import uuid

import calltools as ct
from calltools import SCENARIOS

NUMBER = "0391234567"


def tag_of(header: str) -> str:
    m = re.search(r";\s*tag=([^;>\s]+)", header or "")
    return m.group(1) if m else ""


def collect(sock: socket.socket, seconds: float):
    """Every SIP message received on `sock` within `seconds`: (time, start line, CSeq)."""
    out = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data, _ = sock.recvfrom(65535)
        except socket.timeout:
            break
        text = data.decode("utf-8", "replace")
        cseq = re.search(r"(?mi)^CSeq:\s*(.+?)\s*$", text)
        out.append((time.monotonic(), text.split("\r\n", 1)[0], cseq.group(1) if cseq else ""))
    return out


def test_retransmitted_reinvite_is_absorbed_and_our_200_is_retransmitted_until_ack(pbx, peers, recorders):
    mon = recorders("monitor")
    agent = peers.phone("100", str(SCENARIOS / "uas_answer_hold.xml"), timeout=40)
    trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait", wait=35000), timeout=40)
    orig = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER))
    invite = trunk.wait_for_message(lambda m: not m.is_response and m.method == "INVITE", 10)
    answered = trunk.wait_for_message(lambda m: m.direction == "sent" and m.is_response and m.status == 200, 10)
    assert invite is not None and answered is not None, "the trunk leg did not connect"
    assert orig.result(20)[-1].get("Response") == "Success"
    assert ct.wait_until(lambda: trunk.wait_for_message(lambda m: m.method == "ACK", 0) is not None, 5, 0.1)

    call_id = invite.header("Call-ID")
    ours, theirs = tag_of(invite.header("From")), tag_of(answered.header("To"))
    frm = "<sip:391234567@127.0.0.1>;tag=%s" % theirs
    to = "%s" % invite.header("From")
    ruri = re.search(r"<([^>]+)>", invite.header("Contact") or "").group(1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

        def request(method: str, cseq: int, branch: str, direction: str = "") -> bytes:
            body = ("v=0\r\no=trunk 1 %d IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=%s\r\n" % (cseq, direction)) if direction else ""
            head = ("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\nMax-Forwards: 70\r\n"
                    "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\nContact: <sip:trunk@127.0.0.1:%d>\r\n"
                    % (method, ruri, port, branch, frm, to, call_id, cseq, method, port))
            if body:
                head += "Content-Type: application/sdp\r\n"
            return (head + "Content-Length: %d\r\n\r\n%s" % (len(body), body)).encode()

        # hold: the re-INVITE, and the same request again 200 ms later (its first 100/200 "lost")
        branch = uuid.uuid4().hex
        hold = request("INVITE", 20, branch, "sendonly")
        s.sendto(hold, ("127.0.0.1", pbx.sip_port))
        time.sleep(0.2)
        s.sendto(hold, ("127.0.0.1", pbx.sip_port))
        got = collect(s, 3.5)
        finals = [line for _, line, cseq in got if cseq == "20 INVITE" and not line.startswith("SIP/2.0 1")]
        assert not [f for f in finals if f.startswith("SIP/2.0 491")], (
            "the retransmitted re-INVITE got 491 instead of being absorbed: %s" % finals)
        assert finals and all(f.startswith("SIP/2.0 200") for f in finals), finals
        assert len(finals) >= 2, "our 200 must be retransmitted until the ACK (got %d in 3.5 s)" % len(finals)
        s.sendto(request("ACK", 20, uuid.uuid4().hex), ("127.0.0.1", pbx.sip_port))
        time.sleep(0.1)
        collect(s, 0.1)
        late = [line for _, line, cseq in collect(s, 3.0) if cseq == "20 INVITE"]
        assert not late, "our 200 was still retransmitted after the ACK: %s" % late

        # resume, answered and ACKed at once
        s.sendto(request("INVITE", 21, uuid.uuid4().hex, "sendrecv"), ("127.0.0.1", pbx.sip_port))
        resumed = [line for _, line, cseq in collect(s, 3.0) if cseq == "21 INVITE" and not line.startswith("SIP/2.0 1")]
        assert resumed and resumed[0].startswith("SIP/2.0 200"), resumed
        s.sendto(request("ACK", 21, uuid.uuid4().hex), ("127.0.0.1", pbx.sip_port))

    # the agent saw exactly one hold and one resume re-INVITE (the retransmission was not passed across)
    channels = [m.get("Channel") for m in ct.channels_now(mon)]
    trunk_channel = next(c for c in channels if not c.startswith(("Local/", "PJSIP/100-")))
    mon.action([("Action", "Hangup"), ("Channel", trunk_channel)])
    ra = agent.wait()
    assert ra.returncode == 0, "agent: one hold and one resume re-INVITE, then BYE\n" + ra.report()
    assert len(ra.received_requests("INVITE")) == 3, ra.report()
    assert ct.wait_until(lambda: not ct.channels_now(mon), 5, 0.2), ct.channels_now(mon)
