"""Click-to-call, both KalliopePBX forms, driven by panoramisk (its async Originate resolves on the
OriginateResponse with the same ActionID), with SIPp as the agent's phone (registered extension 100),
the destination (SIPp trunk or extension 101), and two raw-socket AMI sessions recording the events:
crm (read=call, the reference's user) and monitor (read=all).

The crm stream is compared with the Asterisk 20 reference transcripts b1 (external, variables form),
b4 (internal 101) and b5 (wrapper form): see refcompare.py for what "the same" means.
"""

from __future__ import annotations

import re

import pytest

import c2chelp as h
import calltools as ct
from calltools import TENANT_A_UUID

NUMBER = "0391234567"   # the reference's number; the trunk must see 391234567


def run(pbx, peers, recorders, action, dest_kind: str):
    """Agent 100 answers after 1 s; the destination answers after 1 s and hangs up 1.5 s later
    (as in the reference: the far end ends the call)."""
    crm, mon = recorders("crm"), recorders("monitor")
    m_crm, m_mon = crm.mark(), mon.mark()
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=1000, end="wait"))
    dest_scn = ct.uas_scenario(peers.workdir, "answer", ring=1000, end="bye", hold=1500)
    dest = peers.phone("101", dest_scn) if dest_kind == "101" else peers.trunk(dest_scn)
    orig = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", action)
    res = orig.result(20)
    ra, rd = agent.wait(), dest.wait()
    ev_crm = h.wait_call_over(crm, m_crm)
    ev_mon = h.wait_call_over(mon, m_mon)
    return orig, res, ra, rd, ev_crm, ev_mon


def common_checks(orig, res, ra, rd, ev_crm, ev_mon, channel_prefix, context, exten, cid_num,
                  cid_name="c2c: %s" % NUMBER):
    queued, final = h.originate_parts(res)
    assert queued.get("ActionID") == orig.action_id and final.get("ActionID") == orig.action_id
    assert final.get("Response") == "Success" and final.get("Reason") == "4", final
    assert re.fullmatch(re.escape(channel_prefix) + r"-[0-9a-f]{8};1", final.get("Channel") or ""), final
    assert (final.get("Context"), final.get("Exten")) == (context, exten), final
    assert (final.get("CallerIDNum"), final.get("CallerIDName")) == (cid_num, cid_name), final
    first = next(m for m in ev_crm if m.event == "Newchannel")
    assert final.get("Uniqueid") == first.get("Uniqueid"), (final, first)
    assert first.get("Channel") == final.get("Channel")
    # SIPp sides: both completed; the agent's phone got the far end's hang-up
    assert ra.returncode == 0, "agent phone 100:\n" + ra.report()
    assert rd.returncode == 0, "destination:\n" + rd.report()
    assert ra.received_requests("BYE"), "agent never got the BYE after the destination hung up"
    inv = ra.received_requests("INVITE")[0]
    name, user = h.from_header_parts(inv)
    assert (name, user) == (cid_name, cid_num), (
        "the agent's phone should display the Originate CallerID (reference: From: \"%s\" <sip:%s@...>): %s"
        % (cid_name, cid_num, inv.header("From")))
    # event streams
    h.check_call_stream(ev_crm, read_call_only=True)
    h.check_call_stream(ev_mon, read_call_only=False)
    dp = [m for m in ev_mon if m.event in ("VarSet", "Newexten")]
    assert dp, "monitor (read=all) must get the dialplan-class VarSet/Newexten events"
    assert {m.get("Privilege") for m in dp} == {"dialplan,all"}, {m.get("Privilege") for m in dp}
    tenant_vars = [m for m in ev_mon if m.event == "VarSet" and m.get("Variable") == "__TENANT_UUID"]
    assert tenant_vars and all(m.get("Value") == TENANT_A_UUID for m in tenant_vars), tenant_vars
    orig_resp = [m for m in ev_crm if m.event == "OriginateResponse"]
    assert len(orig_resp) == 1 and orig_resp[0].get("ActionID") == orig.action_id, (
        "the other crm session reads call and must also get the OriginateResponse: %s" % orig_resp)


def test_variables_form_external_number(pbx, peers, recorders, peer_log):
    orig, res, ra, rt, ev_crm, ev_mon = run(pbx, peers, recorders,
                                            ct.c2c_variables_form("100", NUMBER), "trunk")
    common_checks(orig, res, ra, rt, ev_crm, ev_mon, "Local/100@c2c", "from_c2c", NUMBER, NUMBER)
    inv = rt.received_requests("INVITE")
    assert len(inv) == 1 and re.match(r"sip:391234567@", inv[0].ruri), (
        "trunk Request-URI must carry the number without the outbound prefix: %s" % [i.start for i in inv])
    assert h.from_header_parts(inv[0]) == ("c2c: %s" % NUMBER, NUMBER), inv[0].header("From")
    h.assert_matches_reference(h.compare_with_reference("b1_c2c_success", ev_crm, "100", None, peer_log),
                               "b1_c2c_success")


def test_variables_form_internal_extension(pbx, peers, recorders, peer_log):
    act = ct.c2c_variables_form("100", "101")   # CallerId "c2c: 101" <101>, as in reference b4
    orig, res, ra, r101, ev_crm, ev_mon = run(pbx, peers, recorders, act, "101")
    common_checks(orig, res, ra, r101, ev_crm, ev_mon, "Local/100@c2c", "from_c2c", "101", "101",
                  cid_name="c2c: 101")
    inv = r101.received_requests("INVITE")
    assert len(inv) == 1 and inv[0].ruri.startswith("sip:101@127.0.0.1:"), [i.start for i in inv]
    h.assert_matches_reference(h.compare_with_reference("b4_c2c_internal_101", ev_crm, "100", "101",
                                                        peer_log), "b4_c2c_internal_101")


def test_wrapper_form(pbx, peers, recorders, peer_log):
    orig, res, ra, rt, ev_crm, ev_mon = run(pbx, peers, recorders, ct.c2c_wrapper_form("100", NUMBER),
                                            "trunk")
    common_checks(orig, res, ra, rt, ev_crm, ev_mon, "Local/100@c2c_%s" % TENANT_A_UUID,
                  "from_c2c_%s" % TENANT_A_UUID, NUMBER, "100")
    inv = rt.received_requests("INVITE")
    assert len(inv) == 1 and re.match(r"sip:391234567@", inv[0].ruri), [i.start for i in inv]
    # the wrapper contexts set the variables the variables form passes explicitly
    sets = {(m.get("Variable"), m.get("Value")) for m in ev_mon if m.event == "VarSet"}
    for var in (("C2C_SRC", "100"), ("C2C_DST", NUMBER), ("__TENANT_UUID", TENANT_A_UUID)):
        assert var in sets, "wrapper dialplan should Set %s=%s (VarSet seen by monitor): %s" % (
            var[0], var[1], sorted(v for v in sets if v[0] and v[0].lstrip("_").startswith(("C2C", "TENANT"))))
    h.assert_matches_reference(h.compare_with_reference("b5_c2c_wrapper_tenant", ev_crm, "100", None,
                                                        peer_log), "b5_c2c_wrapper_tenant")


def test_sync_originate_holds_the_session(pbx, peers, recorders):
    """Async: false (ami-reference 6.2): the reply waits until the agent answers (here 1.5 s of
    ringing), says 'Originate successfully queued', and no OriginateResponse follows."""
    import time
    crm = recorders("crm")
    mark = crm.mark()
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=1500, end="wait"))
    trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=300, end="bye", hold=800))
    act = dict(ct.c2c_variables_form("100", NUMBER), Async="false")
    headers = [(k, vv) for k, v in act.items() for vv in (v if isinstance(v, list) else [v])]
    t0 = time.monotonic()
    resp = crm.action(headers, timeout=15)[0]
    held = time.monotonic() - t0
    assert resp.get("Response") == "Success" and resp.get("Message") == "Originate successfully queued", resp
    assert held >= 1.3, "a synchronous Originate must wait for the agent to answer (1.5 s), replied after %.2f s" % held
    ra, rt = agent.wait(), trunk.wait()
    assert ra.returncode == 0 and rt.returncode == 0, ra.report() + rt.report()
    ev = h.wait_call_over(crm, mark)
    mine = [m for m in ev if m.event == "OriginateResponse" and m.get("ActionID") == resp.get("ActionID")]
    assert not mine, "no OriginateResponse for a synchronous Originate: %s" % mine
    h.check_call_stream(ev, read_call_only=True)
