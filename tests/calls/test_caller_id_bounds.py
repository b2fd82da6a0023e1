"""Caller identity is bounded where a call enters (CallerID.maximumNameBytes 256, maximumNumberBytes 80),
against the real binary with SIPp peers and raw AMI:

- a phone's INVITE with a 7 KB display name and a 7 KB dialled number (outbound route "0" to the
  trunk): the call works; the caller's channel shows the directory's name (the SIP display name is never
  the caller ID) and an Exten of 80 bytes, the trunk channel a CallerIDNum of 80 bytes;
- an Originate whose CallerID has an 800-byte name and a 100-digit number (AMI's lines end at 1 KB): the channel's connected line
  (NewConnectedLine) and OriginateResponse's CallerIDName/Num are 256 and 80 bytes.
"""

from __future__ import annotations

import calltools as ct
import c2chelp as h
from calltools import DOMAIN_A, SCENARIOS

# Under the SIP parser's 8 KB line limit (SIPLimits.maximumLineLength: a longer From, To or request line
# already gets 400), far over the caller ID's.
LONG_NAME = "N" * 7_000
LONG_NUMBER = "0" + "3" * 7_000   # outbound route "0" (strip 1) toward the trunk


def long_caller_scenario(workdir) -> str:
    """uac_call.xml with a 10 KB quoted display name in From."""
    text = (SCENARIOS / "uac_call.xml").read_text()
    plain = "From: <sip:[caller]@[domain]>"
    assert plain in text
    path = workdir / "uac_call_long_display.xml"
    path.write_text(text.replace(plain, 'From: "%s" <sip:[caller]@[domain]>' % LONG_NAME))
    return str(path)


def test_long_display_name_and_dialled_number_are_bounded(pbx, peers, recorders):
    mon = recorders("monitor")
    mark = mon.mark()
    trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait"))
    caller = peers.caller("100", LONG_NUMBER, long_caller_scenario(peers.workdir), pause_ms=1000)
    ct.sipp_ok(caller.wait(20), "caller 100 (7 KB display name and number; hangs up after 1 s)")
    ct.sipp_ok(trunk.wait(20), "trunk (answers, waits for BYE)")
    h.wait_call_over(mon, mark)
    created = {m.get("Channel"): m for m in mon.events(mark, "Newchannel")}
    mine = [m for c, m in created.items() if c.startswith("PJSIP/100-")]
    out = [m for c, m in created.items() if c.startswith("PJSIP/carrier-")]
    assert len(mine) == 1 and len(out) == 1, sorted(created)
    assert mine[0].get("CallerIDName") == "Ext 100" and mine[0].get("CallerIDNum") == "100", mine[0].pairs
    assert mine[0].get("Exten") == LONG_NUMBER[:80], len(mine[0].get("Exten") or "")
    # as app_dial: the dialled channel shows the number its caller dialled (NewCallerid, after Newchannel)
    out_ids = [m for m in mon.events(mark, "NewCallerid") if m.get("Channel") == out[0].get("Channel")]
    assert out_ids and out_ids[0].get("CallerIDNum") == LONG_NUMBER[:80], [len(m.get("CallerIDNum") or "") for m in out_ids]
    for m in mon.events(mark):
        for key, value in m.pairs:
            assert len(value.encode()) <= 256, "%s: %s of %d bytes" % (m.event, key, len(value.encode()))


def test_originate_caller_id_is_bounded(pbx, peers, recorders):
    mon = recorders("monitor")
    mark = mon.mark()
    phone = peers.phone("101", ct.uas_scenario(peers.workdir, "reject", ring=None, code=486, reason="Busy Here"))
    caller_id = '"%s" <%s>' % ("N" * 800, "5" * 100)   # AMI lines end at 1024 bytes (AMILimits)
    res = mon.action([("Action", "Originate"), ("Channel", "PJSIP/101"), ("Application", "Wait"), ("Data", "1"),
                      ("CallerID", caller_id), ("Async", "true")], timeout=10)
    assert res[0].get("Response") == "Success", res[0].pairs
    ct.sipp_ok(phone.wait(20), "phone 101 (486)")
    response = mon.wait_for(lambda m: m.event == "OriginateResponse", 10, mark)
    assert response is not None, "no OriginateResponse"
    assert response.get("CallerIDName") == "N" * 256 and response.get("CallerIDNum") == "5" * 80, (
        len(response.get("CallerIDName") or ""), len(response.get("CallerIDNum") or ""))
    made = [m for m in mon.events(mark, "NewConnectedLine") if (m.get("Channel") or "").startswith("PJSIP/101-")]
    assert made, [m.pairs for m in mon.events(mark) if (m.get("Channel") or "").startswith("PJSIP/101-")]
    assert made[0].get("ConnectedLineName") == "N" * 256, len(made[0].get("ConnectedLineName") or "")
    assert made[0].get("ConnectedLineNum") == "5" * 80, len(made[0].get("ConnectedLineNum") or "")
