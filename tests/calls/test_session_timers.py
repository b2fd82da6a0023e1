"""RFC 4028 session timers on calls, against the real binary with SIPp phones.

This module's server runs with short session timers (`--sip-session-expires 8 --sip-min-se 3`). 100
calls 101 (a registered SIPp UAS that answers and waits for BYE):
- a phone that asks for a session timer and refreshes it (re-INVITE, then UPDATE) keeps its call up past
  the interval; every refresh gets 200 with Session-Expires;
- a phone that asks for one and stops refreshing is reaped: Centralino sends it BYE at
  interval - min(32 s, interval/3) (RFC 4028 §10), hangs up the callee with BYE too, and AMI shows
  Hangup with cause 18 "No user responding" (pjsip ends an expired session as a 408, which
  ast_sip_hangup_sip2cause() maps to AST_CAUSE_NO_USER_RESPONSE);
- a phone without timer support is refreshed by Centralino (refresher=uas): it gets a re-INVITE with
  Session-Expires at half the interval;
- a Session-Expires below --sip-min-se gets 422 with Min-SE.
"""

from __future__ import annotations

import re
import time

import calltools as ct
from calltools import SCENARIOS, hangups, no_channels_left, sipp_ok

SESSION_EXPIRES = 8      # --sip-session-expires of this module's server, and what the phones ask for
MIN_SE = 3               # --sip-min-se
# RFC 4028 §10: the refreshee ends the session at interval - min(32, interval/3).
EXPIRY = SESSION_EXPIRES - min(32, SESSION_EXPIRES // 3)


pbx = ct.pbx_fixture("session_timers", "--sip-session-expires", str(SESSION_EXPIRES), "--sip-min-se", str(MIN_SE))


def callee(peers):
    return peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait", wait=30000),
                       timeout=40)


def keys(se: int) -> dict:
    return {"se": str(se), "minse": str(MIN_SE), "rtp_port": str(ct.free_ports(1)[0])}


def answered(msg: ct.SipMsg) -> bool:
    return msg.direction == "received" and msg.is_response and msg.method == "INVITE" and msg.status == 200


def test_a_phone_that_refreshes_keeps_its_call_past_the_interval(pbx, peers, recorders):
    mon = recorders("monitor")
    mark = mon.mark()
    pause_ms = 3000     # refresh at 3 s and 6 s, BYE at 9 s: past the 8 s interval
    b = callee(peers)
    a = peers.caller("100", "101", str(SCENARIOS / "uac_call_session_refresh.xml"), pause_ms=pause_ms,
                     timeout=40, keys=keys(SESSION_EXPIRES))
    rc, rb = a.wait(), b.wait()
    sipp_ok(rc, "caller 100 (session timer, refreshes with re-INVITE and UPDATE, then BYE)")
    sipp_ok(rb, "callee 101 (answers, waits for the BYE)")

    finals = [m for m in rc.received() if m.is_response and m.status >= 200]
    ok = [m for m in finals if m.method == "INVITE" and m.status == 200]
    assert len(ok) >= 2, "the INVITE and the refreshing re-INVITE must both get 200:\n%s" % rc.report()
    first = ok[0]
    assert re.fullmatch(r"%d\s*;\s*refresher=uac" % SESSION_EXPIRES, first.header("Session-Expires") or ""), (
        "the 200 must grant Session-Expires %d;refresher=uac:\n%s" % (SESSION_EXPIRES, first.text))
    assert "timer" in (first.header("Require") or ""), "Require: timer expected in the 200:\n%s" % first.text
    assert "timer" in (first.header("Supported") or ""), "Supported: timer expected in the 200:\n%s" % first.text
    update_ok = [m for m in finals if m.method == "UPDATE"]
    assert [m.status for m in update_ok] == [200], "the refreshing UPDATE must get 200:\n%s" % rc.report()
    for m in (ok[1], update_ok[0]):
        assert (m.header("Session-Expires") or "").startswith(str(SESSION_EXPIRES)), (
            "a refresh's 200 must carry Session-Expires:\n%s" % m.text)
    assert not rc.received_requests("BYE"), "the refreshing phone's call was reaped:\n%s" % rc.report()
    assert rb.received_requests("BYE"), "the callee never got the BYE"
    ct.wait_until(lambda: len(mon.events(mark, "Hangup")) >= 2, 5)
    causes = [(h.get("Channel"), h.get("Cause")) for h in mon.events(mark, "Hangup")]
    assert len(causes) == 2 and all(c == "16" for _, c in causes), causes
    no_channels_left(mon)


def test_a_phone_that_stops_refreshing_is_reaped_with_bye(pbx, peers, recorders):
    mon = recorders("monitor")
    mark = mon.mark()
    b = callee(peers)
    a = peers.caller("100", "101", str(SCENARIOS / "uac_call_session_no_refresh.xml"), timeout=40,
                     keys=keys(SESSION_EXPIRES))
    assert a.wait_for_message(answered, 15) is not None, "the call was not answered"
    t_answer = time.monotonic()
    bye = a.wait_for_message(lambda m: m.direction == "received" and not m.is_response and m.method == "BYE",
                             SESSION_EXPIRES + 10)
    t_bye = time.monotonic()
    assert bye is not None, "no BYE within %d s of an unrefreshed %d s session" % (SESSION_EXPIRES + 10, SESSION_EXPIRES)
    elapsed = t_bye - t_answer
    # Before the interval is over (RFC 4028 §10), not long before the expiry point (wide liveness bounds).
    assert EXPIRY - 1.5 <= elapsed <= SESSION_EXPIRES + 1.5, (
        "BYE %.1f s after the answer; expected about %d s (interval %d s)" % (elapsed, EXPIRY, SESSION_EXPIRES))
    rc, rb = a.wait(), b.wait()
    sipp_ok(rc, "caller 100 (session timer, never refreshed, gets BYE)")
    sipp_ok(rb, "callee 101 (gets the BYE of the reaped call)")
    assert rb.received_requests("BYE"), "the other side got no BYE:\n%s" % rb.report()
    assert ct.wait_until(lambda: hangups(mon, mark, "PJSIP/100-") and hangups(mon, mark, "PJSIP/101-"), 5), (
        "both channels must be hung up: %s" % mon.events(mark, "Hangup"))
    reaped = hangups(mon, mark, "PJSIP/100-")[0]
    assert reaped.get("Cause") == "18" and reaped.get("Cause-txt") == "No user responding", reaped
    no_channels_left(mon)


def test_a_phone_without_timer_support_is_refreshed_by_centralino(pbx, peers, recorders):
    mon = recorders("monitor")
    b = callee(peers)
    a = peers.caller("100", "101", str(SCENARIOS / "uac_call_session_refreshee.xml"), pause_ms=2000,
                     timeout=40, keys=keys(SESSION_EXPIRES))
    first = a.wait_for_message(answered, 15)
    assert first is not None, "the call was not answered"
    t_answer = time.monotonic()
    assert re.fullmatch(r"%d\s*;\s*refresher=uas" % SESSION_EXPIRES, first.header("Session-Expires") or ""), (
        "Centralino must refresh a phone without timer support (refresher=uas):\n%s" % first.text)
    assert first.header("Require") is None, "no Require: timer to a phone without timer support:\n%s" % first.text
    reinvite = a.wait_for_message(lambda m: m.direction == "received" and not m.is_response and m.method == "INVITE",
                                  SESSION_EXPIRES + 5)
    elapsed = time.monotonic() - t_answer
    assert reinvite is not None, "Centralino never refreshed the session"
    assert SESSION_EXPIRES / 2 - 1.5 <= elapsed <= SESSION_EXPIRES / 2 + 2, (
        "refresh %.1f s after the answer; expected at half the %d s interval" % (elapsed, SESSION_EXPIRES))
    assert (reinvite.header("Session-Expires") or "").startswith(str(SESSION_EXPIRES)), reinvite.text
    assert "m=audio" in reinvite.body, "the refreshing re-INVITE must carry our SDP:\n%s" % reinvite.text
    rc, rb = a.wait(), b.wait()
    sipp_ok(rc, "caller 100 (refreshed by Centralino, then BYE)")
    sipp_ok(rb, "callee 101")
    no_channels_left(mon)


def test_a_session_interval_below_min_se_gets_422(pbx, peers, recorders):
    mon = recorders("monitor")
    mark = mon.mark()
    a = peers.caller("100", "101", str(SCENARIOS / "uac_call_session_too_small.xml"), timeout=20,
                     keys=keys(MIN_SE - 1))
    rc = a.wait()
    sipp_ok(rc, "caller 100 (INVITE with too small a Session-Expires, gets 422)")
    refused = [m for m in rc.received() if m.is_response and m.status == 422]
    assert refused, "no 422:\n%s" % rc.report()
    assert (refused[0].header("Min-SE") or "").strip() == str(MIN_SE), (
        "the 422 must carry Min-SE: %d:\n%s" % (MIN_SE, refused[0].text))
    assert not mon.events(mark, "Newchannel"), "a refused INVITE must not create a channel"
