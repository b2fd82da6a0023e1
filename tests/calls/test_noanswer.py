"""Destinations that never answer, ended by the generated dialplan's Dial timeout (30 s for
extensions). Both cases run at the same time (internal call in acme, click-to-call in globex) so the
suite pays the 30 s only once."""

from __future__ import annotations

import time

import c2chelp as h
import calltools as ct
from calltools import DOMAIN_A, DOMAIN_B, SCENARIOS, TENANT_B_UUID


def test_dial_timeout_internal_call_and_c2c_destination(pbx, peers, recorders):
    mon, crm_b = recorders("monitor"), recorders("crm_b")
    ma, mb = mon.mark(), crm_b.mark()
    noans = ct.uas_scenario(peers.workdir, "noanswer", wait=45000)
    # acme: 100 calls 101, which rings for ever
    callee = peers.phone("101", noans, domain=DOMAIN_A, name="phone101_acme", timeout=45)
    caller = peers.caller("100", "101", str(SCENARIOS / "uac_call_fail.xml"), domain=DOMAIN_A, timeout=45)
    # globex: click-to-call from agent 100 to extension 101, which rings for ever
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait", wait=45000),
                        domain=DOMAIN_B, name="phone100_globex", timeout=45)
    dest = peers.phone("101", noans, domain=DOMAIN_B, name="phone101_globex", timeout=45)
    t0 = time.monotonic()
    orig = ct.PanoramiskOriginate(pbx.ami_port, "crm_b", "s3cretB",
                                  ct.c2c_variables_form("100", "101", tenant_uuid=TENANT_B_UUID), timeout=45)
    rc, rcallee, ragent, rdest = caller.wait(), callee.wait(), agent.wait(), dest.wait()
    elapsed = time.monotonic() - t0
    # internal call
    assert rcallee.returncode == 0 and rcallee.received_requests("CANCEL"), (
        "after the 30 s Dial timeout the callee must get CANCEL:\n" + rcallee.report())
    assert rc.returncode == 0, rc.report()
    assert 28 <= elapsed <= 40, "Dial(...,30) should give up after about 30 s, took %.1f s" % elapsed
    ends = [m.get("DialStatus") for m in mon.events(ma, "DialEnd")]
    assert ends == ["NOANSWER"], ends
    # click-to-call
    assert h.originate_parts(orig.result(5))[1].get("Reason") == "4"
    assert rdest.returncode == 0 and rdest.received_requests("CANCEL"), rdest.report()
    assert ragent.returncode == 0 and ragent.received_requests("BYE"), (
        "the agent must be hung up when the destination does not answer:\n" + ragent.report())
    ev = h.wait_call_over(crm_b, mb)
    h.check_call_stream(ev, read_call_only=True)
    dest_end = [m.get("DialStatus") for m in ev if m.event == "DialEnd" and
                (m.get("DestChannel") or "").startswith("PJSIP/101-")]
    assert dest_end == ["NOANSWER"], dest_end
    dest_h = [m for m in ev if m.event == "Hangup" and (m.get("Channel") or "").startswith("PJSIP/101-")]
    assert dest_h and dest_h[0].get("Cause") == "19", "destination leg Hangup: %s" % dest_h
    # what the caller of the internal call got, last: RFC 3398 maps cause 19 to 480; 408 (cause 18),
    # 487 and Asterisk's 603 fallback are tolerated; a 5xx server error is not
    finals = rc.received_finals()
    assert finals and finals[-1] in (480, 408, 487, 603), (
        "caller after the Dial timeout (NOANSWER) got %s (AMI Hangup: %s):\n%s" % (
            finals, [(m.get("Channel"), m.get("Cause"), m.get("Cause-txt")) for m in mon.events(ma, "Hangup")],
            rc.report()))
