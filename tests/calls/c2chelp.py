"""Shared pieces of the click-to-call tests: run one Originate with panoramisk while SIPp plays the
agent's phone and the destination, record the AMI streams, and check them."""

from __future__ import annotations

import re
from typing import List, Optional, Sequence

import calltools as ct
import refcompare

# Value differences in these fields (after removing Dest/LocalOne/LocalTwo prefixes) are reported but
# not asserted: Asterisk's Exten/Priority bookkeeping on outbound channels and the bridge entry order
# (BridgeNumChannels) are cosmetic for a CRM.
SOFT_FIELDS = {"Exten", "Priority", "BridgeNumChannels"}


def base_field(name: str) -> str:
    for pre in ("LocalOne", "LocalTwo", "Dest", "Source"):
        if name.startswith(pre) and len(name) > len(pre):
            return name[len(pre):]
    return name


def split_value_diffs(diffs: Sequence[str]):
    hard, soft = [], []
    for d in diffs:
        m = re.match(r"^\S+ \S+ (\S+): reference", d) or re.match(r"^OriginateResponse (\S+):", d)
        field = m.group(1) if m else ""
        (soft if base_field(field) in SOFT_FIELDS or d.startswith("DeviceStateChange extra")
         or "PJSIP behaviour" in d else hard).append(d)
    return hard, soft


def wait_call_over(rec: ct.AMIRecorder, mark: int, timeout: float = 8.0) -> List[ct.Msg]:
    """Wait until every channel that got a Newchannel in the recorder's stream has hung up."""
    def over():
        evs = rec.events(mark)
        made = {m.get("Channel") for m in evs if m.event == "Newchannel"}
        gone = {m.get("Channel") for m in evs if m.event == "Hangup"}
        return bool(made) and made <= gone
    ct.wait_until(over, timeout)
    ct.wait_until(lambda: False, 0.3)   # let trailing DeviceStateChange/ExtensionStatus arrive
    return rec.since(mark)


def originate_parts(res) -> tuple:
    """(queued response, OriginateResponse) from panoramisk's result list."""
    assert isinstance(res, list) and len(res) == 2, "panoramisk result: %r" % (res,)
    queued, final = res
    assert queued.get("Response") == "Success" and queued.get("Message") == "Originate successfully queued", queued
    assert final.get("Event") == "OriginateResponse", final
    return queued, final


def globex_phones(peers, hold: int, timeout: float = 25) -> tuple:
    """globex's agent 100 (answers, waits for the BYE) and destination 101 (answers, hangs up after
    `hold` ms), registered and running."""
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait"), domain=ct.DOMAIN_B,
                        timeout=timeout, name="phone100_globex")
    dest = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=200, end="bye", hold=hold),
                       domain=ct.DOMAIN_B, timeout=timeout, name="phone101_globex")
    return agent, dest


def assert_globex_click_to_call_connects(pbx, agent, dest) -> None:
    """globex's CRM places 100 -> 101 (the variables form): it connects (Reason 4), the agent gets the
    destination's BYE, and both phones' scenarios complete."""
    orig = ct.PanoramiskOriginate(pbx.ami_port, "crm_b", "s3cretB",
                                  ct.c2c_variables_form("100", "101", tenant_uuid=ct.TENANT_B_UUID))
    _, final = originate_parts(orig.result(20))
    assert final.get("Response") == "Success" and final.get("Reason") == "4", final
    ra, rd = agent.wait(), dest.wait()
    assert ra.returncode == 0 and ra.received_requests("BYE"), ra.report()
    assert rd.returncode == 0, rd.report()


def check_call_stream(events: Sequence[ct.Msg], read_call_only: bool) -> None:
    """Privilege and Linkedid rules on one session's stream of one call."""
    evs = [m for m in events if m.event]
    assert evs, "no events at all"
    if read_call_only:
        bad = [m.event for m in evs if m.event in ("VarSet", "Newexten")]
        assert not bad, "a read=call user must not get dialplan-class events: %s" % bad
        privs = {m.get("Privilege") for m in evs}
        assert privs == {"call,all"}, "Privilege of call events must be 'call,all': %s" % privs
    linked = {m.get("Linkedid") for m in evs if m.get("Linkedid")}
    first = next(m for m in evs if m.event == "Newchannel")
    assert first.get("Channel", "").endswith(";1"), "the first channel of a c2c is the Local ;1: %r" % first
    assert linked == {first.get("Uniqueid")}, (
        "every leg must carry the ;1 uniqueid %s as Linkedid; got %s" % (first.get("Uniqueid"), linked))
    for m in evs:
        for k in ("DestLinkedid", "LocalOneLinkedid", "LocalTwoLinkedid"):
            if m.get(k):
                assert m.get(k) == first.get("Uniqueid"), m


def compare_with_reference(ref_name: str, events: Sequence[ct.Msg], agent: str, dest: Optional[str],
                           log) -> refcompare.Comparison:
    ref = refcompare.load_reference(ref_name)
    cmp = refcompare.compare(ref, events, agent, dest)
    log("comparison with %s (crm_readcall)" % ref_name, cmp.summary())
    return cmp


def assert_matches_reference(cmp: refcompare.Comparison, ref_name: str) -> None:
    hard, soft = split_value_diffs(cmp.value_diffs)
    problems = cmp.errors + hard
    assert not problems, ("event stream differs from %s beyond the documented differences "
                          "(Local optimisation, SIP/ vs PJSIP/, ids):\n%s\n(cosmetic, not asserted:\n%s)"
                          % (ref_name, "\n".join(problems), "\n".join(soft)))


def from_header_parts(msg: ct.SipMsg):
    frm = msg.header("From") or ""
    m = re.match(r'\s*(?:"([^"]*)"\s*)?<sips?:([^@>;]+)@', frm)
    return (m.group(1), m.group(2)) if m else (None, None)
