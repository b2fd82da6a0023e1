"""Click-to-call on a lossy network (issue 10, "lost BYEs leave phones in calls").

Centralino, the agent's phone and the trunk (SIPp) run in a network namespace of the test's own;
an nftables `input` rule drops 20% of Centralino's SIP datagrams on arrival at the peers
(`udp sport <sip port> numgen random mod 100 < 20 drop`), so its INVITEs, ACKs, BYEs and its 200s
to the trunk's BYEs are lost now and then. The transaction layer must retransmit them: 20
click-to-calls in a row connect, every leg ends with a BYE that reached its peer (counted at the
SIPp peers: the agent's phone receives a BYE in every call, the trunk's BYE is answered 200 in every
call), and no channel is left. The same with 20% of the peers' datagrams dropped on arrival at
Centralino instead (`udp dport <sip port>`): SIPp retransmits, Centralino absorbs the retransmissions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import calltools as ct
from conftest import Peers, hang_up_leftovers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from netns import network_namespace  # noqa: E402

CALLS = 20
LOSS_PERCENT = 20
NUMBER = "0391234567"


def lossy_uas_scenario(workdir: Path, name: str, ack_optional: bool, **options) -> str:
    """A SIPp phone or trunk (`calltools.uas_scenario(workdir, "answer", ...)`) that survives loss.

    When its 100, 180 and 200 were all lost, Centralino retransmits the INVITE (Timer A) after the 200
    went out. SIPp's own retransmission detection is off by then (it only covers the first message
    sent after a request), so the scenario absorbs the retransmitted INVITE with an optional receive;
    SIPp keeps retransmitting the 200 on its own timer until the ACK arrives, as a UAS core must
    (RFC 3261 section 13.3.1.4). No jump back to the 200: SIPp sends nothing new while a message
    with retransmissions is unacknowledged, so a jump would leave the call "sending" and the ACK that
    follows would abort it (that made this test flaky).

    `ack_optional`: the agent's phone waits for the BYE, and when every ACK to its 200 was lost the
    BYE may come first (RFC 3261 allows a BYE to an unconfirmed dialog from the UAC)."""
    path = Path(ct.uas_scenario(workdir, "answer", **options))
    text = path.read_text()
    ack = '<recv request="ACK" rtd="true" crlf="true"/>'
    assert text.count(ack) == 1, "uas_answer template changed"
    lossy = path.with_name(name)
    optional = ' optional="true"' if ack_optional else ""
    text = text.replace(ack, '<recv request="INVITE" optional="true"/>\n'
                             '  <recv request="ACK" rtd="true" crlf="true"%s/>' % optional)
    lossy.write_text(text)
    return str(lossy)


@pytest.mark.timeout(420)
@pytest.mark.parametrize("lost", ["centralino", "peers"])
def test_click_to_calls_survive_lost_datagrams(tmp_path, peer_log, lost):
    """lost=centralino: 20% of Centralino's datagrams dropped on arrival at the peers; lost=peers: 20%
    of the peers' datagrams dropped on arrival at Centralino (SIPp retransmits; Centralino must absorb
    the retransmissions and retransmit its own answers)."""
    with network_namespace("closs") as ns:
        server = ct.Server(tmp_path / "pbx", name="lossy")
        peers = Peers(server, tmp_path, peer_log)
        try:
            port = peers.register(["100"])
            ns.nft("table inet centralino_loss {\n chain in {\n  type filter hook input priority 0; policy accept;\n"
                   "  udp %s %d numgen random mod 100 < %d drop\n }\n}\n"
                   % ("sport" if lost == "centralino" else "dport", server.sip_port, LOSS_PERCENT))
            agent_scn = lossy_uas_scenario(peers.workdir, "agent_lossy.xml", True, ring=300, end="wait", wait=60000)
            trunk_scn = lossy_uas_scenario(peers.workdir, "trunk_lossy.xml", False, ring=300, end="bye", hold=800)
            agent = peers.phone("100", agent_scn, calls=CALLS, timeout=360, port=port, name="agent 100")
            trunk = peers.trunk(trunk_scn, calls=CALLS, timeout=360)
            mon = ct.AMIRecorder(server.ami_port, "monitor", ct.AMI_USERS["monitor"][0], events="off")
            try:
                for n in range(CALLS):
                    orig = ct.PanoramiskOriginate(server.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER),
                                                  timeout=60)
                    res = orig.result(60)
                    final = res[-1] if isinstance(res, list) and res else res
                    assert final.get("Response") == "Success" and final.get("Reason") == "4", (
                        "click-to-call %d of %d did not connect: %r" % (n + 1, CALLS, res))
                    assert ct.wait_until(lambda: not ct.channels_now(mon), 60, 0.2), (
                        "call %d: channels left: %s" % (n + 1, [m.get("Channel") for m in ct.channels_now(mon)]))
                ra, rt = agent.wait(60), trunk.wait(60)
                peer_log("agent 100", ra.report())
                peer_log("trunk", rt.report())
                agent_byes = {m.header("Call-ID") for m in ra.received_requests("BYE")}
                assert len(agent_byes) == CALLS, "the agent's phone got a BYE in %d of %d calls" % (len(agent_byes), CALLS)
                assert ra.returncode == 0, "agent phone: every call must complete\n" + ra.report()
                assert rt.returncode == 0, "trunk: every BYE it sent must be answered\n" + rt.report()
                assert not ct.channels_now(mon)
                assert "drop" in ns.nft_list(), "the loss rule must still be in place"
            finally:
                mon.close()
        finally:
            peers.finish()
            if server.alive:
                hang_up_leftovers(server, peer_log)
            server.stop()
