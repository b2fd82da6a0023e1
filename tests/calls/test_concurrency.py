"""20 click-to-calls at once: 20 agents (extensions 200-219, one SIPp UAS for all of them) answer,
the trunk answers 20 calls, the agents hang up; everything connects, both SIPp sides see every call
end, no channel remains, and a later call still works."""

from __future__ import annotations

import calltools as ct
from calltools import CONCURRENT_AGENTS, SCENARIOS

N = len(CONCURRENT_AGENTS)


def test_twenty_click_to_calls_at_once(pbx, peers, recorders):
    mon = recorders("monitor")
    mark = mon.mark()
    port = peers.register(CONCURRENT_AGENTS)
    agents = peers.phone(CONCURRENT_AGENTS[0], ct.uas_scenario(peers.workdir, "answer", ring=300,
                                                                  end="bye", hold=2500),
                         calls=N, port=port, timeout=30, name="agents200-219")
    trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"), calls=N, timeout=30)
    numbers = ["03910000%02d" % i for i in range(N)]
    acts = [ct.c2c_variables_form(a, n) for a, n in zip(CONCURRENT_AGENTS, numbers)]
    results = ct.originate_many(pbx.ami_port, "crm", "s3cret", acts, timeout=30)
    reasons = []
    for aid, r in results:
        assert not isinstance(r, BaseException), "Originate %s: %r" % (aid, r)
        assert len(r) == 2 and r[1].get("ActionID") == aid, r
        reasons.append(r[1].get("Reason"))
    assert reasons == ["4"] * N, "OriginateResponse reasons: %s" % reasons
    ra, rt = agents.wait(), trunk.wait()
    assert ra.returncode == 0 and ra.stat("Successful call") == N, ra.report()
    assert rt.returncode == 0 and rt.stat("Successful call") == N, rt.report()
    got = sorted(i.ruri.split("@")[0][4:] for i in rt.received_requests("INVITE"))
    assert got == sorted(n[1:] for n in numbers), "numbers at the trunk: %s" % got
    assert len(rt.received_requests("BYE")) == N, "trunk got %d BYEs" % len(rt.received_requests("BYE"))
    agent_users = sorted(i.ruri.split("@")[0][4:] for i in ra.received_requests("INVITE"))
    assert agent_users == sorted(CONCURRENT_AGENTS), agent_users
    bye_ok = [m for m in ra.received() if m.is_response and m.status == 200 and m.method == "BYE"]
    assert len(bye_ok) == N, "agents' BYEs answered: %d" % len(bye_ok)
    # all channels gone
    left = []
    assert ct.wait_until(lambda: not left.__setitem__(slice(None), ct.channels_now(mon)) and not left, 10, 0.3), (
        "channels left: %s" % [m.get("Channel") for m in left])
    evs = mon.events(mark)
    made = {m.get("Channel") for m in evs if m.event == "Newchannel"}
    gone = {m.get("Channel") for m in evs if m.event == "Hangup"}
    assert len(made) == 4 * N and made == gone, (len(made), len(gone), sorted(made - gone))
    assert len({m.get("Linkedid") for m in evs if m.get("Linkedid")}) == N
    # a later call still works
    callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=100, end="wait"))
    caller = peers.caller("100", "101", str(SCENARIOS / "uac_call.xml"), pause_ms=300)
    assert caller.wait().returncode == 0, caller.wait().report()
    assert callee.wait().returncode == 0, callee.wait().report()
