"""A 2xx retransmitted before our ACK reached the far end gets the same ACK again (RFC 3261 §13.2.2.4).

Under RTP load (docs/performance.md) Centralino answered the trunk's 200 late, the trunk retransmitted
it, and each copy got a new ACK (new Via branch). SIPp, like other UAs, knows a retransmission by its
bytes: it took the second ACK for an unexpected request, aborted the call and never sent its BYE, so the
call stayed up. Here the trunk is a raw UDP socket (SIPp's own state machine aborts on such races by
itself): it answers the INVITE with the same 200 three times, collects the ACKs, then hangs up. There
must be one ACK per 200, all byte for byte the same, and the call must end with the trunk's BYE."""

from __future__ import annotations

import re
import socket
import time

import c2chelp as h
import calltools as ct
from calltools import DOMAIN_A

NUMBER = "0391234567"
COPIES = 3


def headers(message: bytes) -> dict:
    head = message.split(b"\r\n\r\n", 1)[0].decode()
    fields = {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        fields.setdefault(name.strip().lower(), []).append(value.strip())
    return fields


def test_a_retransmitted_2xx_gets_the_same_ack(pbx, peers, recorders):
    mon = recorders("monitor", events="off")
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait"))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as trunk:
        trunk.bind(("127.0.0.1", pbx.trunk_port(DOMAIN_A)))
        trunk.settimeout(15)
        orig = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER))
        while True:
            invite, server = trunk.recvfrom(65535)
            if invite.startswith(b"INVITE "):
                break
        fields = headers(invite)
        port = trunk.getsockname()[1]
        body = ("v=0\r\no=trunk 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        ok = ("SIP/2.0 200 OK\r\n" + "".join("Via: %s\r\n" % v for v in fields["via"])
              + "From: %s\r\nTo: %s;tag=rawtrunk\r\nCall-ID: %s\r\nCSeq: %s\r\n" % (
                  fields["from"][0], fields["to"][0], fields["call-id"][0], fields["cseq"][0])
              + "Contact: <sip:trunk@127.0.0.1:%d>\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
              % (port, len(body), body)).encode()
        acks = []
        trunk.settimeout(0.3)
        for _ in range(COPIES):  # the 200 and two retransmissions of it, before or after our ACK
            trunk.sendto(ok, server)
        deadline = time.time() + 3
        while time.time() < deadline and len(acks) < COPIES:
            try:
                message, _ = trunk.recvfrom(65535)
            except socket.timeout:
                continue
            if message.startswith(b"ACK "):
                acks.append(message)
        _, final = h.originate_parts(orig.result(20))
        assert final.get("Response") == "Success" and final.get("Reason") == "4", final
        assert len(acks) == COPIES, "one ACK per copy of the 200: %r" % acks
        assert len(set(acks)) == 1, "a retransmitted 200 must get the same ACK:\n%s" % "\n".join(
            a.decode() for a in acks)
        # The trunk hangs up: the call ends, the agent's phone gets its BYE.
        ruri = re.search(r"<([^>]+)>", fields["contact"][0]).group(1)
        bye = ("BYE %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKrawbye;rport\r\nMax-Forwards: 70\r\n"
               "From: %s;tag=rawtrunk\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
               % (ruri, port, fields["to"][0], fields["from"][0], fields["call-id"][0])).encode()
        trunk.sendto(bye, server)
        trunk.settimeout(5)
        while True:
            answer, _ = trunk.recvfrom(65535)
            if answer.startswith(b"SIP/2.0 ") and b"BYE" in headers(answer)["cseq"][0].encode():
                break
        assert answer.startswith(b"SIP/2.0 200"), answer.decode()
    ra = agent.wait()
    assert ra.returncode == 0 and ra.received_requests("BYE"), ra.report()
    assert ct.wait_until(lambda: not ct.channels_now(mon), 10, 0.2), [m.get("Channel") for m in ct.channels_now(mon)]
