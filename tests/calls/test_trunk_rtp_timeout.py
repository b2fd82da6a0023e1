"""A trunk's own RTP inactivity timeout (`rtp_timeout` on the trunk, issue 10): with the node's
`--rtp-timeout 0` (never reap) and acme's trunk at `rtp_timeout: 3`, a click-to-call whose external
party (SIPp as the carrier) answers and sends no RTP is reaped about 3 s after the answer: the trunk
leg is hung up with Cause 44 "Requested channel not available", BYE goes to the carrier and to the
agent. The same call through globex's trunk (no `rtp_timeout`: the node's value, never) is not reaped
and ends when its carrier hangs up."""

from __future__ import annotations

import time

import pytest

import c2chelp as h
import calltools as ct
from calltools import TENANT_B_UUID

NUMBER = "0391234567"
TRUNK_RTP_TIMEOUT = 3       # seconds, acme's trunk
GLOBEX_HOLD_MS = 9000       # globex's carrier hangs up after this (well past acme's reaping)


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    """The node never reaps (--rtp-timeout 0); acme's carrier trunk has rtp_timeout 3."""
    original = ct.provisioning_yaml

    def yaml_with_trunk_timeout(trunk_a, trunk_b, trunk_c):
        text = original(trunk_a, trunk_b, trunk_c)
        acme = "host: 127.0.0.1, port: %d }" % trunk_a
        assert text.count(acme) == 1
        return text.replace(acme, "host: 127.0.0.1, port: %d, rtp_timeout: %d }" % (trunk_a, TRUNK_RTP_TIMEOUT))

    ct.provisioning_yaml = yaml_with_trunk_timeout
    try:
        srv = ct.Server(tmp_path_factory.mktemp("pbxtrunkrtp"), name="trunk_rtp_timeout", extra_args=["--rtp-timeout", "0"])
    finally:
        ct.provisioning_yaml = original
    yield srv
    srv.stop()


def _trunk_leg(m: ct.Msg, key: str = "Channel") -> bool:
    return (m.get(key) or "").startswith("PJSIP/carrier-")


def test_a_silent_carrier_is_reaped_after_its_trunks_rtp_timeout(pbx, peers, recorders):
    mon, crm_b = recorders("monitor"), recorders("crm_b")
    mark, mark_b = mon.mark(), crm_b.mark()
    # Neither SIPp sends RTP: the agents' legs keep the node's value (never), only acme's trunk leg is reaped.
    # One scenario file for the three that wait for a BYE: writing it again while a SIPp parses it races.
    answer_wait = ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait", wait=30000)
    agent = peers.phone("100", answer_wait, timeout=40)
    carrier = peers.trunk(answer_wait, timeout=40)
    agent_b = peers.phone("100", answer_wait, domain=ct.DOMAIN_B, timeout=40)
    carrier_b = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=300, end="bye", hold=GLOBEX_HOLD_MS),
                            domain=ct.DOMAIN_B, timeout=40)
    orig = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER))
    orig_b = ct.PanoramiskOriginate(pbx.ami_port, "crm_b", "s3cretB",
                                    ct.c2c_variables_form("100", NUMBER, tenant_uuid=TENANT_B_UUID))

    up = mon.wait_for(lambda m: m.event == "Newstate" and _trunk_leg(m) and m.get("ChannelStateDesc") == "Up", 20, mark)
    assert up is not None, "acme's carrier never answered:\n%s" % mon.since(mark)
    t_up = time.monotonic()
    hang = mon.wait_for(lambda m: m.event == "Hangup" and _trunk_leg(m), TRUNK_RTP_TIMEOUT + 8, mark)
    t_hang = time.monotonic()
    assert hang is not None, "the silent carrier was not hung up within %d s of the answer" % (TRUNK_RTP_TIMEOUT + 8)
    elapsed = t_hang - t_up
    assert TRUNK_RTP_TIMEOUT - 0.5 <= elapsed <= TRUNK_RTP_TIMEOUT + 4, (
        "hung up %.1f s after the answer; the trunk's rtp_timeout is %d s" % (elapsed, TRUNK_RTP_TIMEOUT))
    assert hang.get("Cause") == "44" and hang.get("Cause-txt") == "Requested channel not available", hang
    soft = [m for m in mon.events(mark, "SoftHangupRequest") if m.get("Channel") == hang.get("Channel")]
    assert soft and soft[0].get("Cause") == "1", "SoftHangupRequest Cause 1 (AST_SOFTHANGUP_DEV) expected: %s" % soft

    rc, ra = carrier.wait(), agent.wait()
    assert rc.returncode == 0 and rc.received_requests("BYE"), "the carrier got no BYE:\n" + rc.report()
    assert ra.returncode == 0 and ra.received_requests("BYE"), "the agent got no BYE:\n" + ra.report()
    _, final = h.originate_parts(orig.result(15))
    assert final.get("Response") == "Success", final
    events = h.wait_call_over(mon, mark, timeout=10)
    agent_hang = [m for m in events if m.event == "Hangup" and (m.get("Channel") or "").startswith("PJSIP/100-")]
    assert agent_hang, "the agent's channel stayed up"

    # globex's trunk has no rtp_timeout: the node's 0 applies, its call lives until its carrier's BYE.
    rcb, rab = carrier_b.wait(), agent_b.wait()
    assert rcb.returncode == 0, "globex's carrier could not hang up its call itself:\n" + rcb.report()
    assert rab.returncode == 0 and rab.received_requests("BYE"), rab.report()
    orig_b.result(15)
    events_b = h.wait_call_over(crm_b, mark_b, timeout=10)
    hangs_b = [m for m in events_b if m.event == "Hangup"]
    assert hangs_b and all(m.get("Cause") != "44" for m in hangs_b), "globex's call was reaped: %s" % hangs_b
