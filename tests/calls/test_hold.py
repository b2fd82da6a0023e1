"""Hold and resume passed across a call (SIPp on both sides).

100 calls 101 (a registered SIPp UAS), both answer; the caller re-INVITEs with a=sendonly (hold), then
with a=sendrecv (resume). As documented in Sources/Calls/SIPCallDriver+ReInvite.swift and
CallEngine+SIP.swift (`legReInvited`): Centralino re-INVITEs the far leg with the direction the holder
asked for, and once the far leg has answered, answers the holder's re-INVITE 200 with the answering
direction (sendonly -> recvonly, sendrecv -> sendrecv). The holder's channel raises AMI Hold / Unhold.
"""

from __future__ import annotations

import re

import calltools as ct
from calltools import SCENARIOS, sipp_ok

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


def audio_direction(body: str):
    """The direction attribute(s) of an SDP body ([] when none, i.e. sendrecv by default)."""
    return re.findall(r"(?m)^a=(%s)\s*$" % "|".join(DIRECTIONS), body)


def test_hold_and_resume_pass_across(pbx, peers, recorders):
    mon = recorders("monitor")
    mark = mon.mark()
    callee = peers.phone("101", str(SCENARIOS / "uas_answer_hold.xml"), timeout=30)
    caller = peers.caller("100", "101", str(SCENARIOS / "uac_call_hold.xml"), pause_ms=1000, timeout=30)
    rc, re_ = caller.wait(), callee.wait()

    # what the caller sent and got back for each INVITE transaction (by CSeq)
    def invite_answers(res: ct.SippResult):
        out = {}
        for m in res.received():
            if m.is_response and m.method == "INVITE" and m.status >= 200:
                cseq = int(re.match(r"\s*(\d+)", m.header("CSeq") or "0").group(1))
                out.setdefault(cseq, m)
        return out

    answers = invite_answers(rc)
    sent_reinvites = [m for m in rc.sent() if not m.is_response and m.method == "INVITE"
                      and re.match(r"\s*[34]\s", m.header("CSeq") or "")]
    got_reinvites = re_.received_requests("INVITE")[1:]   # the first is the initial INVITE
    summary = ("caller's re-INVITEs: %s; answers: %s; callee's re-INVITEs offer: %s"
               % ([audio_direction(m.body) for m in sent_reinvites],
                  {c: (m.status, audio_direction(m.body)) for c, m in sorted(answers.items()) if c >= 3},
                  [audio_direction(m.body) for m in got_reinvites]))

    # the caller: hold answered 200 with a=recvonly, resume answered 200 with a=sendrecv
    hold, resume = answers.get(3), answers.get(4)
    assert hold is not None, "the hold re-INVITE (CSeq 3, a=sendonly) got no final response (%s)\n%s" % (
        summary, rc.report())
    assert hold.status == 200, "hold re-INVITE answered %d, want 200 (%s)\n%s" % (hold.status, summary, hold.text)
    assert audio_direction(hold.body) == ["recvonly"], (
        "the 200 to a=sendonly must answer a=recvonly (%s)\n%s" % (summary, hold.text))
    c_addr, c_port, c_pts = ct.sdp_media(hold.body)
    assert c_addr == "127.0.0.1" and pbx.rtp_low <= (c_port or 0) <= pbx.rtp_high and c_pts, (
        "the hold answer must carry Centralino's own SDP:\n%s" % hold.text)
    assert resume is not None, "the resume re-INVITE (CSeq 4, a=sendrecv) got no final response (%s)\n%s" % (
        summary, rc.report())
    assert resume.status == 200, "resume answered %d, want 200 (%s)\n%s" % (resume.status, summary, resume.text)
    assert audio_direction(resume.body) == ["sendrecv"], (
        "the 200 to a=sendrecv must answer a=sendrecv (%s)\n%s" % (summary, resume.text))
    assert ct.sdp_media(resume.body)[1] == c_port, "the caller's leg keeps its relay port across the re-INVITEs"

    # the callee: two re-INVITEs in its dialog, the holder's direction (sendonly, then sendrecv)
    assert len(got_reinvites) == 2, "callee got %d re-INVITEs, want 2 (%s)\n%s" % (
        len(got_reinvites), summary, re_.report())
    first_inv = re_.received_requests("INVITE")[0]
    for inv, want in zip(got_reinvites, ("sendonly", "sendrecv")):
        assert audio_direction(inv.body) == [want], (
            "callee's re-INVITE should offer a=%s (the holder's direction) (%s)\n%s" % (want, summary, inv.text))
        assert inv.header("Call-ID") == first_inv.header("Call-ID"), "re-INVITE outside the callee's dialog"
        assert re.search(r";\s*tag=", inv.header("To") or ""), "re-INVITE without the callee's To tag:\n%s" % inv.text
        e_addr, e_port, e_pts = ct.sdp_media(inv.body)
        assert e_addr == "127.0.0.1" and e_port == ct.sdp_media(first_inv.body)[1] and e_pts, (
            "the re-INVITE must keep Centralino's SDP of the callee's leg (same port):\n%s" % inv.text)
    o_versions = [int(re.search(r"(?m)^o=\S+ \S+ (\d+)", m.body).group(1))
                  for m in [first_inv] + got_reinvites]
    assert o_versions == sorted(set(o_versions)), "o= session version must increase: %s" % o_versions
    # Centralino ACKs the callee's 200s (the callee scenario waits for each ACK) and the whole call ends
    sipp_ok(re_, "callee 101 (answer, two re-INVITEs answered 200 and ACKed, then BYE)")
    sipp_ok(rc, "caller 100 (call, hold, resume, BYE)")
    assert re_.received_requests("BYE"), "callee never got the BYE:\n%s" % re_.report()

    # AMI: Hold then Unhold for the caller's channel (and none for the callee's)
    ct.wait_until(lambda: len([h for h in mon.events(mark, "Hangup")]) >= 2, 5)
    hold_events = [m for m in mon.events(mark) if m.event in ("Hold", "Unhold")]
    caller_ch = {m.get("Channel") for m in mon.events(mark, "Newchannel")
                 if (m.get("Channel") or "").startswith("PJSIP/100-")}
    assert len(caller_ch) == 1, "one caller channel expected: %s" % caller_ch
    caller_ch = caller_ch.pop()
    assert [(m.event, m.get("Channel")) for m in hold_events] == [("Hold", caller_ch), ("Unhold", caller_ch)], (
        "AMI must show Hold then Unhold for %s, got: %s" % (caller_ch, hold_events))
    hangups = mon.events(mark, "Hangup")
    assert len(hangups) == 2 and all(h.get("Cause") == "16" for h in hangups), hangups
    left = []

    def empty():
        left[:] = ct.channels_now(mon)
        return not left
    assert ct.wait_until(empty, 5, 0.2), "channels left: %s" % [m.get("Channel") for m in left]
