"""Two tenants with the same extension numbers (acme and globex both have 100 and 101): calls and
click-to-calls in parallel never cross, each AMI user sees only its own tenant's calls, and every
attempt to originate into the other tenant is refused with Response: Error and produces no call."""

from __future__ import annotations

import re
import time

import c2chelp as h
import calltools as ct
from calltools import DOMAIN_A, DOMAIN_B, SCENARIOS, TENANT_A_UUID, TENANT_B_UUID


def uids(events):
    out = set()
    for m in events:
        for k, v in m.pairs:
            if k.endswith("Uniqueid") and k != "BridgeUniqueid" and v not in ("<unknown>", ""):
                out.add(v)
    return out


def test_parallel_click_to_calls_do_not_cross(pbx, peers, recorders):
    crm, mon, crm_b, mon_b = (recorders(u) for u in ("crm", "monitor", "crm_b", "monitor_b"))
    marks = [r.mark() for r in (crm, mon, crm_b, mon_b)]
    ans = ct.uas_scenario(peers.workdir, "answer", ring=500, end="wait")
    dest = ct.uas_scenario(peers.workdir, "answer", ring=500, end="bye", hold=1000)
    pa = peers.phone("100", ans, domain=DOMAIN_A, name="phone100_acme")
    pb = peers.phone("100", ans, domain=DOMAIN_B, name="phone100_globex")
    ta, tb = peers.trunk(dest, domain=DOMAIN_A), peers.trunk(dest, domain=DOMAIN_B)
    oa = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", "0391111111"))
    ob = ct.PanoramiskOriginate(pbx.ami_port, "crm_b", "s3cretB",
                                ct.c2c_variables_form("100", "0392222222", tenant_uuid=TENANT_B_UUID))
    fa, fb = h.originate_parts(oa.result(15))[1], h.originate_parts(ob.result(15))[1]
    assert fa.get("Reason") == "4" and fb.get("Reason") == "4", (dict(fa), dict(fb))
    for p in (pa, pb, ta, tb):
        r = p.wait()
        assert r.returncode == 0, r.report()
    assert [i.ruri.split("@")[0] for i in ta.wait().received_requests("INVITE")] == ["sip:391111111"]
    assert [i.ruri.split("@")[0] for i in tb.wait().received_requests("INVITE")] == ["sip:392222222"]
    assert len(pa.wait().received_requests("INVITE")) == 1 and len(pb.wait().received_requests("INVITE")) == 1
    ev = [h.wait_call_over(r, m) for r, m in zip((crm, mon, crm_b, mon_b), marks)]
    for e, ro in zip(ev, (True, False, True, False)):
        h.check_call_stream(e, read_call_only=ro)      # one call (one Linkedid) per stream
    a_ids, b_ids = uids(ev[0]) | uids(ev[1]), uids(ev[2]) | uids(ev[3])
    assert a_ids and b_ids and not (a_ids & b_ids), "a tenant saw the other tenant's channels: %s" % (a_ids & b_ids)
    assert uids(ev[0]) == uids(ev[1]) and uids(ev[2]) == uids(ev[3])
    for e, other in ((ev[1], TENANT_B_UUID), (ev[3], TENANT_A_UUID)):
        assert not [m for m in e if other in repr(m)], "the other tenant's uuid leaked into a stream"
    resp_a = [m.get("ActionID") for m in ev[0] if m.event == "OriginateResponse"]
    resp_b = [m.get("ActionID") for m in ev[2] if m.event == "OriginateResponse"]
    assert resp_a == [oa.action_id] and resp_b == [ob.action_id], (resp_a, resp_b)


def test_parallel_internal_calls_same_numbers(pbx, peers, recorders):
    mon, mon_b = recorders("monitor"), recorders("monitor_b")
    ma, mb = mon.mark(), mon_b.mark()
    ans = ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait")
    ca = peers.phone("101", ans, domain=DOMAIN_A, name="phone101_acme")
    cb = peers.phone("101", ans, domain=DOMAIN_B, name="phone101_globex")
    # (each call stays up 4 s after its answer: the two may connect a second or two apart on a busy machine)
    ua = peers.caller("100", "101", str(SCENARIOS / "uac_call.xml"), domain=DOMAIN_A, pause_ms=4000)
    ub = peers.caller("100", "101", str(SCENARIOS / "uac_call.xml"), domain=DOMAIN_B, pause_ms=4000)
    # while both calls are up, each tenant lists exactly its own two channels
    assert ct.wait_until(lambda: len(mon.events(ma, "BridgeEnter")) >= 2 and
                         len(mon_b.events(mb, "BridgeEnter")) >= 2, 8), "calls did not connect"
    for r in (mon, mon_b):
        chans = sorted(m.get("Channel").split("-")[0] for m in ct.channels_now(r))
        assert chans == ["PJSIP/100", "PJSIP/101"], chans
    for p in (ua, ub, ca, cb):
        r = p.wait()
        assert r.returncode == 0, r.report()
    assert len(ca.wait().received_requests("INVITE")) == 1 and len(cb.wait().received_requests("INVITE")) == 1
    ea, eb = h.wait_call_over(mon, ma), h.wait_call_over(mon_b, mb)
    assert not (uids(ea) & uids(eb))
    assert len({m.get("Linkedid") for m in ea if m.get("Linkedid")}) == 1
    assert len({m.get("Linkedid") for m in eb if m.get("Linkedid")}) == 1


CROSS = [
    ("variable naming the other tenant", ct.c2c_variables_form("100", "0391234567", tenant_uuid=TENANT_B_UUID)),
    ("wrapper contexts of the other tenant", ct.c2c_wrapper_form("100", "0391234567", tenant_uuid=TENANT_B_UUID)),
    ("channel wrapper of the other tenant, own from_c2c",
     dict(ct.c2c_variables_form("100", "0391234567", tenant_uuid=None),
          Channel="Local/100@c2c_%s" % TENANT_B_UUID)),
    ("own channel, from_c2c wrapper of the other tenant",
     dict(ct.c2c_variables_form("100", "0391234567", tenant_uuid=None),
          Context="from_c2c_%s" % TENANT_B_UUID)),
    ("other tenant's wrapper, sync mode", dict(ct.c2c_wrapper_form("100", "0391234567", tenant_uuid=TENANT_B_UUID),
                                               Async="false")),
]


def test_cross_tenant_originate_refused(pbx, peers, recorders):
    crm, mon, mon_b = recorders("crm"), recorders("monitor"), recorders("monitor_b")
    ma, mb = mon.mark(), mon_b.mark()
    # both tenants' 100 and the trunks listen: nothing may reach them
    noans = ct.uas_scenario(peers.workdir, "noanswer", wait=20000)
    listeners = [peers.phone("100", noans, domain=DOMAIN_A, name="phone100_acme", timeout=20),
                 peers.phone("100", noans, domain=DOMAIN_B, name="phone100_globex", timeout=20),
                 peers.trunk(noans, domain=DOMAIN_A, timeout=20), peers.trunk(noans, domain=DOMAIN_B, timeout=20)]
    for what, act in CROSS:
        headers = []
        for k, v in act.items():
            for vv in (v if isinstance(v, list) else [v]):
                headers.append((k, vv))
        resp = crm.action(headers, timeout=5)
        r = resp[0]
        assert r.get("Response") == "Error" and (r.get("Message") or "").strip(), (
            "%s: must be refused with Response: Error and a Message; got %r" % (what, r))
    # the same through panoramisk
    res = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", CROSS[0][1]).result(10)
    assert len(res) == 1 and res[0].get("Response") == "Error", res
    # no call: no channel events in either tenant, nothing at the phones or trunks
    time.sleep(1.0)   # give a wrongly started call time to show up (nothing is expected)
    for r, m in ((mon, ma), (mon_b, mb)):
        made = [e for e in r.events(m) if e.event in ("Newchannel", "OriginateResponse", "DialBegin")]
        assert not made, "a refused Originate produced events: %s" % made
    assert not ct.channels_now(mon) and not ct.channels_now(mon_b)
    for p in listeners:
        got = p.stop().received_requests("INVITE")
        assert not got, "a refused Originate reached %s: %s" % (p.tag, [g.start for g in got])
