"""AMI security with live calls (issue 9, defect 3): a catastrophic `Hangup Channel: /regex/` on real
channel names must neither stall the call engine nor other sessions.

Phone 100 (SIPp) rings without answering a click-to-call, so the tenant has live channels
(Local/100@c2c-…;1/;2 and PJSIP/100-…) for the pattern to run against. Bounds are wide liveness bounds.
"""

from __future__ import annotations

import re
import time

import calltools as ct

NUMBER = "0391234567"
LIVE = 5.0  # a liveness bound (a backtracking matcher would stall for minutes)
EVIL = "/^(.*)*(.*)*X$/"          # exponential for a backtracking matcher on a 20+ character name


def timed(rec: ct.AMIRecorder, headers, timeout: float = 15.0):
    start = time.monotonic()
    msgs = rec.action(headers, timeout=timeout)
    return time.monotonic() - start, msgs


def test_catastrophic_hangup_regex_leaves_engine_and_sessions_live(pbx, peers, recorders):
    mon, evil, probe = recorders("monitor"), recorders("monitor"), recorders("crm")
    peers.phone("100", ct.uas_scenario(peers.workdir, "noanswer", wait=30000), timeout=40)
    action = ct.c2c_variables_form("100", NUMBER, timeout_ms=25000)
    headers = [(k, vv) for k, v in action.items() for vv in (v if isinstance(v, list) else [v])]
    resp = mon.action(headers)[0]
    assert resp.get("Message") == "Originate successfully queued", resp
    chans = []

    def ringing() -> bool:
        chans[:] = ct.channels_now(mon)
        return len(chans) >= 3
    assert ct.wait_until(ringing, 10, 0.1), "the click-to-call never rang phone 100: %r" % [
        m.get("Channel") for m in chans]
    names = [m.get("Channel") for m in chans]
    assert any(re.fullmatch(r"Local/100@c2c-[0-9a-f]{8};1", n) for n in names), names

    mark = evil.mark()
    evil.send([("Action", "Hangup"), ("Channel", EVIL), ("ActionID", "evil")])
    # while it runs: a Ping of another session, and an engine-bound action, are answered promptly
    took, pong = timed(probe, [("Action", "Ping")])
    assert pong[0].get("Ping") == "Pong" and took < LIVE, (took, pong)
    took, listed = timed(mon, [("Action", "CoreShowChannels")])
    assert took < LIVE, "the engine stalled for %.1fs behind the pattern" % took
    assert len([m for m in listed if m.event == "CoreShowChannel"]) >= 3, listed
    # the evil pattern gets a fast, clean answer: valid ERE, it matches nothing
    done = evil.wait_for(lambda m: m.event == "ChannelsHungupListComplete" and m.get("ActionID") == "evil", 10, mark)
    assert done is not None and done.get("ListItems") == "0", evil.since(mark)

    # a sane pattern still works on the same channels
    hung = mon.action([("Action", "Hangup"), ("Channel", "/^Local/100@c2c-[0-9a-f]+;1$/")], timeout=10)
    items = [m for m in hung if m.event == "ChannelHungup"]
    assert [m.get("Channel") for m in items] == [n for n in names if n.endswith(";1") and n.startswith("Local/100@c2c-")], hung
    assert ct.wait_until(lambda: not ct.channels_now(mon), 8, 0.2), "the call ends once ;1 is hung up"
