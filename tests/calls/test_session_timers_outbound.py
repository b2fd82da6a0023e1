"""RFC 4028 session timers on the INVITEs Centralino SENDS: the legs of a click-to-call (to the agent's
phone, then to the trunk), against the real binary with SIPp as the agent's phone (registered 100) and
as the trunk.

This module's server runs with short session timers (`--sip-session-expires 8 --sip-min-se 3`):
- every INVITE we send offers `Supported: timer`, `Session-Expires: 8` and `Min-SE: 3`;
- an agent phone answering `Session-Expires: 8;refresher=uas` that never refreshes is reaped: BYE to the
  phone at interval - min(32 s, interval/3) (RFC 4028 §10), BYE to the trunk, AMI Hangup cause 18 "No
  user responding" for the phone's channel (the same cause as an unrefreshed call we answered);
- an agent phone answering `refresher=uac` makes Centralino the refresher: it gets UPDATE (its Allow
  lists UPDATE) with Session-Expires at about half the interval, again and again, and the call stays up;
- an agent phone answering 422 with `Min-SE: 12` gets a second INVITE (CSeq + 1, same Call-ID and From
  tag) with `Session-Expires: 12` (RFC 4028 §7.3).
"""

from __future__ import annotations

import re
import time

import c2chelp as h
import calltools as ct
from calltools import SCENARIOS, hangups, no_channels_left, sipp_ok

SESSION_EXPIRES = 8      # --sip-session-expires of this module's server, and what the phones grant
MIN_SE = 3               # --sip-min-se
EXPIRY = SESSION_EXPIRES - min(32, SESSION_EXPIRES // 3)   # RFC 4028 §10 expiry point of the refreshee
NUMBER = "0391234567"


pbx = ct.pbx_fixture("session_timers_outbound", "--sip-session-expires", str(SESSION_EXPIRES), "--sip-min-se", str(MIN_SE))


def keys(**extra) -> dict:
    k = {"se": str(SESSION_EXPIRES), "rtp_port": str(ct.free_ports(1, even=True)[0])}
    k.update({name: str(value) for name, value in extra.items()})
    return k


def trunk_answering(peers):
    return peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait", wait=40000), timeout=50)


def originate(pbx):
    return ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER))


def received(method: str):
    return lambda m: m.direction == "received" and not m.is_response and m.method == method


def sent_ok_invite(m: ct.SipMsg) -> bool:
    return m.direction == "sent" and m.is_response and m.status == 200 and m.method == "INVITE"


def test_invite_we_send_offers_a_session_timer_and_a_refreshee_that_never_refreshes_is_reaped(pbx, peers, recorders):
    mon = recorders("monitor")
    mark = mon.mark()
    agent = peers.phone("100", str(SCENARIOS / "uas_answer_session_refreshee.xml"), timeout=50, keys=keys())
    trunk = trunk_answering(peers)
    orig = originate(pbx)
    assert agent.wait_for_message(sent_ok_invite, 15) is not None, "the agent phone never answered"
    t_answer = time.monotonic()
    bye = agent.wait_for_message(received("BYE"), SESSION_EXPIRES + 10)
    t_bye = time.monotonic()
    assert bye is not None, "no BYE within %d s of an unrefreshed %d s session" % (SESSION_EXPIRES + 10, SESSION_EXPIRES)
    elapsed = t_bye - t_answer
    assert EXPIRY - 1.5 <= elapsed <= SESSION_EXPIRES + 1.5, (
        "BYE %.1f s after the answer; expected about %d s (interval %d s)" % (elapsed, EXPIRY, SESSION_EXPIRES))
    orig.result(20)
    ra, rt = agent.wait(), trunk.wait()
    sipp_ok(ra, "agent phone 100 (refresher=uas, never refreshes, gets BYE)")
    sipp_ok(rt, "trunk (answers, gets the BYE of the reaped call)")
    invite = ra.received_requests("INVITE")[0]
    assert "timer" in (invite.header("Supported") or ""), "Supported: timer expected:\n%s" % invite.text
    assert (invite.header("Session-Expires") or "").strip() == str(SESSION_EXPIRES), invite.text
    assert (invite.header("Min-SE") or "").strip() == str(MIN_SE), invite.text
    assert "UPDATE" in (invite.header("Allow") or ""), "our Allow must list UPDATE:\n%s" % invite.text
    assert rt.received_requests("BYE"), "the trunk got no BYE:\n%s" % rt.report()
    assert ct.wait_until(lambda: hangups(mon, mark, "PJSIP/100-"), 5), (
        "the agent's channel must be hung up: %s" % mon.events(mark, "Hangup"))
    reaped = hangups(mon, mark, "PJSIP/100-")[0]
    assert reaped.get("Cause") == "18" and reaped.get("Cause-txt") == "No user responding", reaped
    no_channels_left(mon)


def test_refresher_uac_gets_our_refresh_at_half_the_interval_and_the_call_stays_up(pbx, peers, recorders):
    mon = recorders("monitor")
    mark = mon.mark()
    agent = peers.phone("100", str(SCENARIOS / "uas_answer_session_refresher_uac.xml"), timeout=50, keys=keys())
    trunk = trunk_answering(peers)
    orig = originate(pbx)
    assert agent.wait_for_message(sent_ok_invite, 15) is not None, "the agent phone never answered"
    t_answer = time.monotonic()
    first = agent.wait_for_message(received("UPDATE"), SESSION_EXPIRES + 5)
    t_first = time.monotonic()
    assert first is not None, "no refreshing UPDATE within %d s" % (SESSION_EXPIRES + 5)
    assert 0.5 * SESSION_EXPIRES - 1.5 <= t_first - t_answer <= 0.5 * SESSION_EXPIRES + 1.5, (
        "refresh %.1f s after the answer; expected about %d s" % (t_first - t_answer, SESSION_EXPIRES // 2))
    assert re.match(r"%d\b" % SESSION_EXPIRES, first.header("Session-Expires") or ""), first.text
    orig.result(20)
    ra, rt = agent.wait(), trunk.wait()
    t_end = time.monotonic()
    sipp_ok(ra, "agent phone 100 (refresher=uac, gets two UPDATEs, then hangs up)")
    sipp_ok(rt, "trunk (answers, gets the BYE after the agent hangs up)")
    assert len(ra.received_requests("UPDATE")) >= 2 and t_end - t_answer > SESSION_EXPIRES, (
        "the call must stay up past the interval with our refreshes:\n%s" % ra.report())
    assert not ra.received_requests("BYE"), "the refreshed call was reaped:\n%s" % ra.report()
    assert rt.received_requests("BYE"), "the trunk got no BYE:\n%s" % rt.report()
    assert ct.wait_until(lambda: hangups(mon, mark, "PJSIP/100-"), 5), mon.events(mark, "Hangup")
    assert hangups(mon, mark, "PJSIP/100-")[0].get("Cause") == "16", hangups(mon, mark, "PJSIP/100-")
    no_channels_left(mon)


def test_422_with_min_se_is_retried_once_with_the_larger_interval(pbx, peers, recorders):
    mon = recorders("monitor")
    min_se = 12
    agent = peers.phone("100", str(SCENARIOS / "uas_answer_session_too_small.xml"), timeout=40,
                        keys=keys(minse=min_se))
    trunk = trunk_answering(peers)
    orig = originate(pbx)
    orig.result(20)
    ra, rt = agent.wait(), trunk.wait()
    sipp_ok(ra, "agent phone 100 (422, then answers the retried INVITE, hangs up)")
    sipp_ok(rt, "trunk")
    invites = ra.received_requests("INVITE")
    assert len(invites) == 2, "expected the INVITE and one retry:\n%s" % ra.report()
    first, retry = invites
    assert (first.header("Session-Expires") or "").strip() == str(SESSION_EXPIRES), first.text
    assert (retry.header("Session-Expires") or "").split(";")[0].strip() == str(min_se), retry.text
    assert (retry.header("Min-SE") or "").strip() == str(min_se), retry.text
    assert retry.header("Call-ID") == first.header("Call-ID"), (first.text, retry.text)
    tag = lambda m: re.search(r";\s*tag=([^;\s]+)", m.header("From") or "").group(1)
    assert tag(retry) == tag(first), (first.text, retry.text)
    cseq = lambda m: int((m.header("CSeq") or "0").split()[0])
    assert cseq(retry) == cseq(first) + 1, (first.text, retry.text)
    assert rt.received_requests("BYE"), "the trunk got no BYE:\n%s" % rt.report()
    no_channels_left(mon)
