"""Click-to-call failures and hang-ups: the agent does not answer within Timeout, the agent is busy,
the destination is busy, the agent hangs up while the destination rings, either side hangs up after
connect, and AMI Hangup of a live or ringing call. b2 and b3 are compared with the reference."""

from __future__ import annotations

import re
import time

import c2chelp as h
import calltools as ct

NUMBER = "0391234567"


def start(pbx, peers, recorders, agent_scn, dest_scn=None, timeout_ms=10000):
    crm, mon = recorders("crm"), recorders("monitor")
    marks = crm.mark(), mon.mark()
    agent = peers.phone("100", agent_scn)
    trunk = peers.trunk(dest_scn) if dest_scn else None
    t0 = time.monotonic()
    orig = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret",
                                  ct.c2c_variables_form("100", NUMBER, timeout_ms=timeout_ms))
    return crm, mon, marks, agent, trunk, orig, t0


def assert_failure_response(final, reason: str, action_id: str):
    assert final.get("Event") == "OriginateResponse", final
    assert final.get("ActionID") == action_id
    assert final.get("Response") == "Failure", final
    assert final.get("Reason") == reason, "OriginateResponse Reason %s expected: %s" % (reason, dict(final))
    assert final.get("Channel") == "Local/100@c2c", (
        "on failure Channel is the requested one: %s" % final.get("Channel"))
    assert final.get("Uniqueid") == "<unknown>", final
    assert (final.get("Context"), final.get("Exten")) == ("from_c2c", NUMBER), final
    assert (final.get("CallerIDNum"), final.get("CallerIDName")) == (NUMBER, "c2c: %s" % NUMBER), final


def test_agent_does_not_answer_within_timeout(pbx, peers, recorders, peer_log):
    crm, mon, (mc, mm), agent, _, orig, t0 = start(
        pbx, peers, recorders, ct.uas_scenario(peers.workdir, "noanswer", wait=15000), timeout_ms=3000)
    res = orig.result(15)
    elapsed = time.monotonic() - t0
    assert isinstance(res, list) and len(res) == 2, res
    assert_failure_response(res[1], "3", orig.action_id)
    assert 2.5 <= elapsed <= 6.0, "Timeout 3000 ms, but OriginateResponse came after %.1f s" % elapsed
    ra = agent.wait()
    assert ra.returncode == 0 and ra.received_requests("CANCEL"), (
        "the agent's phone must get CANCEL after the Timeout:\n" + ra.report())
    ev = h.wait_call_over(crm, mc)
    h.check_call_stream(ev, read_call_only=True)
    h.wait_call_over(mon, mm)
    cmp = h.compare_with_reference("b2_c2c_phone_noanswer", ev, "100", None, peer_log)
    h.assert_matches_reference(cmp, "b2_c2c_phone_noanswer")


def test_agent_busy(pbx, peers, recorders, peer_log):
    crm, mon, (mc, mm), agent, _, orig, t0 = start(
        pbx, peers, recorders, ct.uas_scenario(peers.workdir, "reject", ring=None, code=486,
                                               reason="Busy Here"))
    res = orig.result(10)
    assert isinstance(res, list) and len(res) == 2, res
    assert_failure_response(res[1], "0", orig.action_id)   # busy behind a Local channel: 0, as Asterisk
    ra = agent.wait()
    assert ra.returncode == 0, ra.report()
    ev = h.wait_call_over(crm, mc)
    h.check_call_stream(ev, read_call_only=True)
    cmp = h.compare_with_reference("b3_c2c_phone_busy", ev, "100", None, peer_log)
    h.assert_matches_reference(cmp, "b3_c2c_phone_busy")


def dest_channel_events(ev, name):
    return [m for m in ev if m.event == name and (m.get("Channel") or "").startswith("PJSIP/carrier-")]


def test_destination_busy(pbx, peers, recorders):
    crm, mon, (mc, mm), agent, trunk, orig, t0 = start(
        pbx, peers, recorders, ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"),
        ct.uas_scenario(peers.workdir, "reject", ring=300, code=486, reason="Busy Here"))
    res = orig.result(10)
    _, final = h.originate_parts(res)
    assert final.get("Reason") == "4", "the agent answered: Reason 4 (%s)" % dict(final)
    ra, rt = agent.wait(), trunk.wait()
    assert rt.returncode == 0, rt.report()
    assert ra.returncode == 0 and ra.received_requests("BYE"), (
        "after the destination's 486 the agent's phone must be hung up (BYE):\n" + ra.report())
    ev = h.wait_call_over(crm, mc)
    hang = dest_channel_events(ev, "Hangup")
    assert hang and hang[0].get("Cause") == "17", "trunk leg Hangup: %s" % hang
    ends = [m.get("DialStatus") for m in ev if m.event == "DialEnd" and
            (m.get("DestChannel") or "").startswith("PJSIP/carrier-")]
    assert ends == ["BUSY"], ends
    h.check_call_stream(ev, read_call_only=True)


def test_agent_hangs_up_while_destination_rings(pbx, peers, recorders):
    crm, mon, (mc, mm), agent, trunk, orig, t0 = start(
        pbx, peers, recorders, ct.uas_scenario(peers.workdir, "answer", ring=300, end="bye", hold=1500),
        ct.uas_scenario(peers.workdir, "noanswer", wait=15000))
    res = orig.result(10)
    assert h.originate_parts(res)[1].get("Reason") == "4"
    ra, rt = agent.wait(), trunk.wait()
    assert ra.returncode == 0, ra.report()
    assert rt.returncode == 0 and rt.received_requests("CANCEL"), (
        "the ringing destination must get CANCEL when the agent hangs up:\n" + rt.report())
    ev = h.wait_call_over(crm, mc)
    ends = [m.get("DialStatus") for m in ev if m.event == "DialEnd" and
            (m.get("DestChannel") or "").startswith("PJSIP/carrier-")]
    assert ends == ["CANCEL"], ends
    h.check_call_stream(ev, read_call_only=True)
    assert not ct.channels_now(mon)


def test_agent_hangs_up_after_connect(pbx, peers, recorders):
    crm, mon, (mc, mm), agent, trunk, orig, t0 = start(
        pbx, peers, recorders, ct.uas_scenario(peers.workdir, "answer", ring=300, end="bye", hold=2500),
        ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"))
    res = orig.result(10)
    assert h.originate_parts(res)[1].get("Reason") == "4"
    ra, rt = agent.wait(), trunk.wait()
    assert ra.returncode == 0, ra.report()
    assert rt.returncode == 0 and rt.received_requests("BYE"), (
        "the destination must get BYE when the agent hangs up:\n" + rt.report())
    ev = h.wait_call_over(crm, mc)
    causes = {m.get("Channel").split("-")[0]: m.get("Cause") for m in ev if m.event == "Hangup"}
    assert set(causes.values()) == {"16"}, causes
    h.check_call_stream(ev, read_call_only=True)


def test_ami_hangup_of_connected_call(pbx, peers, recorders):
    crm, mon, (mc, mm), agent, trunk, orig, t0 = start(
        pbx, peers, recorders, ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"),
        ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"))
    up = crm.wait_for(lambda m: m.event == "DialEnd" and m.get("DialStatus") == "ANSWER" and
                      (m.get("DestChannel") or "").startswith("PJSIP/carrier-"), 10, mc)
    assert up is not None, "the destination never answered"
    phone = next(m.get("Channel") for m in crm.events(mc, "Newchannel")
                 if m.get("Channel", "").startswith("PJSIP/100-"))
    resp = crm.action([("Action", "Hangup"), ("Channel", phone)])
    assert resp[0].get("Response") == "Success", resp
    ra, rt = agent.wait(), trunk.wait()
    assert ra.received_requests("BYE") and ra.returncode == 0, ra.report()
    assert rt.received_requests("BYE") and rt.returncode == 0, rt.report()
    assert h.originate_parts(orig.result(5))[1].get("Reason") == "4"
    ev = h.wait_call_over(crm, mc)
    h.check_call_stream(ev, read_call_only=True)
    assert not ct.channels_now(mon)


def test_ami_hangup_with_cause_while_destination_rings(pbx, peers, recorders):
    """ami-reference 8.3 variant: Hangup Cause 21 on ;1 while the trunk rings -> DialEnd CANCEL,
    HangupRequest trunk Cause 21, Hangup trunk 21 Call Rejected; the trunk gets CANCEL."""
    crm, mon, (mc, mm), agent, trunk, orig, t0 = start(
        pbx, peers, recorders, ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"),
        ct.uas_scenario(peers.workdir, "noanswer", wait=15000))
    ringing = crm.wait_for(lambda m: m.event == "DialState" and
                           (m.get("DestChannel") or "").startswith("PJSIP/carrier-"), 10, mc)
    assert ringing is not None, "the trunk never rang"
    l1 = ringing.get("Channel")
    assert l1 and l1.endswith(";1"), ringing
    resp = crm.action([("Action", "Hangup"), ("Channel", l1), ("Cause", "21")])
    assert resp[0].get("Response") == "Success", resp
    ra, rt = agent.wait(), trunk.wait()
    assert rt.received_requests("CANCEL") and rt.returncode == 0, rt.report()
    assert ra.received_requests("BYE") and ra.returncode == 0, ra.report()
    ev = h.wait_call_over(crm, mc)
    ends = [m.get("DialStatus") for m in ev if m.event == "DialEnd" and
            (m.get("DestChannel") or "").startswith("PJSIP/carrier-")]
    assert ends == ["CANCEL"], ends
    hang = dest_channel_events(ev, "Hangup")
    assert hang and (hang[0].get("Cause"), hang[0].get("Cause-txt")) == ("21", "Call Rejected"), hang
    h1 = [m for m in ev if m.event == "Hangup" and m.get("Channel") == l1]
    assert h1 and h1[0].get("Cause") == "21", h1
    assert not [m for m in ev if m.event == "SoftHangupRequest" and m.get("Channel") == l1], (
        "no SoftHangupRequest for the channel that AMI hung up (ami-reference 8.3)")
