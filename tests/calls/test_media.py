"""Media through Centralino: ringback while the callee rings, audio both ways once connected, symmetric
latching for a callee whose SDP address is not where its RTP comes from (NAT), and ringback to the
agent's phone in a click-to-call while the destination rings.

SIPp does the signalling; the SDP of each SIPp points at a small Python RTP peer (calltools.RtpPeer)
that sends 20 ms PCMU packets with a recognisable payload and records what it receives.
"""

from __future__ import annotations

import time

import calltools as ct
from calltools import SCENARIOS

FILL_CALLER = b"\x11"
FILL_CALLEE = b"\x22"


def sdp_of(msg: ct.SipMsg):
    addr, port, pts = ct.sdp_media(msg.body)
    assert addr and port, "no SDP in:\n%s" % msg.text
    return addr, port, pts


def assert_ringback(pkts, what: str) -> None:
    assert len(pkts) >= 25, "%s: only %d RTP packets while ringing (want >= 25, i.e. 0.5 s)" % (what, len(pkts))
    pts = {p.pt for p in pkts}
    assert pts == {0}, "%s: ringback must be PCMU (PT 0), got payload types %s" % (what, pts)
    assert all(len(p.payload) == 160 for p in pkts), "%s: 20 ms packets expected: %s" % (
        what, sorted({len(p.payload) for p in pkts}))
    # the first second of the Italian cadence (425 Hz, 1 s on, 4 s off)
    samples = ct.pcmu_samples([p.payload for p in pkts[:50]])
    p425, p1000, p600 = (ct.tone_power(samples, f) for f in (425, 1000, 600))
    assert p425 > 0.3 and p425 > 10 * max(p1000, p600), (
        "%s: ringback is not a 425 Hz tone: power 425 Hz %.3f, 600 Hz %.3f, 1000 Hz %.3f"
        % (what, p425, p600, p1000))


def test_ringback_then_audio_both_ways(pbx, peers):
    a, b = ct.RtpPeer(), ct.RtpPeer()
    try:
        callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=2000, end="wait"),
                             keys={"rtp_port": str(b.port)})
        caller = peers.caller("100", "101", str(SCENARIOS / "uac_call.xml"), pause_ms=5000,
                              keys={"rtp_port": str(a.port)})
        inv = callee.wait_for_message(lambda m: m.direction == "received" and m.method == "INVITE"
                                      and not m.is_response, 20)
        assert inv is not None, "callee never got the INVITE"
        b_dest = sdp_of(inv)[:2]
        ok = caller.wait_for_message(lambda m: m.direction == "received" and m.is_response
                                     and m.status == 200 and m.method == "INVITE", 10)
        assert ok is not None, "caller never got the 200"
        t_answer = time.monotonic()
        a_dest = sdp_of(ok)[:2]
        ring = [p for p in a.packets if p.t < t_answer]
        a.start_sending(a_dest, FILL_CALLER)
        b.start_sending(b_dest, FILL_CALLEE)
        got = ct.wait_until(lambda: len(b.received_with(FILL_CALLER)) >= 50 and
                            len(a.received_with(FILL_CALLEE)) >= 50, 4.5)
        to_b, to_a = b.received_with(FILL_CALLER), a.received_with(FILL_CALLEE)
        rc, re_ = caller.wait(), callee.wait()
        assert_ringback(ring, "caller while 101 rings")
        assert {p.src for p in ring} <= {a_dest}, (
            "ringback must come from the RTP address Centralino gave the caller %s: %s"
            % (a_dest, {p.src for p in ring}))
        assert got, ("audio must flow both ways once answered: callee received %d of the caller's "
                     "packets, caller received %d of the callee's (sent %d / %d)"
                     % (len(to_b), len(to_a), a.sent, b.sent))
        assert {p.src for p in to_b} == {b_dest}, "callee's audio must come from %s: %s" % (
            b_dest, {p.src for p in to_b})
        assert {p.pt for p in to_b} == {0} and {p.pt for p in to_a} == {0}
        assert rc.returncode == 0, rc.report()
        assert re_.returncode == 0, re_.report()
    finally:
        a.close()
        b.close()


def test_symmetric_latching_callee_behind_nat(pbx, peers):
    """The callee's SDP names a port where nobody listens; its RTP really comes from another port.
    Centralino must send the caller's audio to that real source (symmetric RTP)."""
    a, b = ct.RtpPeer(), ct.RtpPeer()
    dead_port = ct.free_ports(1, even=True)[0]
    try:
        callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"),
                             keys={"rtp_port": str(dead_port)})
        caller = peers.caller("100", "101", str(SCENARIOS / "uac_call.xml"), pause_ms=5000,
                              keys={"rtp_port": str(a.port)})
        inv = callee.wait_for_message(lambda m: m.direction == "received" and m.method == "INVITE"
                                      and not m.is_response, 10)
        assert inv is not None
        ok = caller.wait_for_message(lambda m: m.direction == "received" and m.is_response
                                     and m.status == 200 and m.method == "INVITE", 10)
        assert ok is not None
        a.start_sending(sdp_of(ok)[:2], FILL_CALLER)
        b.start_sending(sdp_of(inv)[:2], FILL_CALLEE)
        got = ct.wait_until(lambda: len(b.received_with(FILL_CALLER)) >= 40 and
                            len(a.received_with(FILL_CALLEE)) >= 40, 4.5)
        assert got, ("latched callee received %d of the caller's packets (its SDP said port %d, it "
                     "sends from %d); caller received %d of the callee's"
                     % (len(b.received_with(FILL_CALLER)), dead_port, b.port,
                        len(a.received_with(FILL_CALLEE))))
        assert caller.wait().returncode == 0
        assert callee.wait().returncode == 0
    finally:
        a.close()
        b.close()


def test_c2c_agent_hears_ringback_then_destination(pbx, peers):
    """Click-to-call: the agent's phone, once answered, hears Centralino's ringback while the trunk
    rings, then the destination's audio."""
    a, t = ct.RtpPeer(), ct.RtpPeer()
    try:
        agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait"),
                            keys={"rtp_port": str(a.port)})
        trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=2000, end="bye", hold=4000),
                            keys={"rtp_port": str(t.port)})
        orig = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret",
                                      ct.c2c_variables_form("100", "0391234567"))
        inv_a = agent.wait_for_message(lambda m: m.direction == "received" and m.method == "INVITE"
                                       and not m.is_response, 10)
        assert inv_a is not None, "agent phone never got the INVITE"
        a_dest = sdp_of(inv_a)[:2]
        inv_t = trunk.wait_for_message(lambda m: m.direction == "received" and m.method == "INVITE"
                                       and not m.is_response, 10)
        assert inv_t is not None, "trunk never got the INVITE"
        t_dest = sdp_of(inv_t)[:2]
        ok_t = trunk.wait_for_message(lambda m: m.direction == "sent" and m.is_response
                                      and m.status == 200, 10)
        assert ok_t is not None
        t_answer = time.monotonic()
        t_invite_seen = min((p.t for p in a.packets), default=t_answer)
        ring = [p for p in a.packets if p.t < t_answer]
        a.start_sending(a_dest, FILL_CALLER)
        t.start_sending(t_dest, FILL_CALLEE)
        got = ct.wait_until(lambda: len(t.received_with(FILL_CALLER)) >= 40 and
                            len(a.received_with(FILL_CALLEE)) >= 40, 3.8)
        trunk.wait()
        assert got, ("c2c audio: trunk received %d of the agent's packets, agent %d of the trunk's"
                     % (len(t.received_with(FILL_CALLER)), len(a.received_with(FILL_CALLEE))))
        res = orig.result(10)
        assert res[-1].get("Reason") == "4", res
        assert agent.wait().returncode == 0
        assert trunk.wait().returncode == 0
        del t_invite_seen
        assert_ringback(ring, "agent while the trunk rings")
    finally:
        a.close()
        t.close()
