"""INVITEs from carrier trunks through the SIP edge (issue 12; deploy/kamailio/kamailio.cfg,
route[TRUNK]), against the real binaries: PostgreSQL as the store and cluster database, a Centralino
node n1 on it (`--database`, `--node-id`; the calls suite's tenants, their trunks at 127.0.0.1),
Kamailio, and raw SIP "carriers" on loopback addresses.

A carrier's INVITE has the carrier's From domain, no tenant's: the edge finds the tenant by the
source address in the store's `trunk` table (host = the carrier's IP address) and sends the INVITE
to that tenant's home node, with the carrier's address in X-Centralino-Source.

- a carrier at a trunk's address (127.0.0.1: acme's and globex's trunks, both homed on n1) is
  dispatched to n1: the final response is n1's, not the edge's;
- initech is homed on `probe` (a raw socket standing for a node, answering the edge's OPTIONS) with
  its trunk at 127.0.0.3: a carrier there reaches `probe`, record-routed by the edge, with
  X-Centralino-Source naming the carrier's address (a value the carrier sent itself is dropped);
- a carrier at an unknown address (127.0.0.2) gets 403 from the edge and nothing reaches a node;
- an address shared by trunks of tenants on different home nodes is ambiguous: 403 from the edge.

Not covered (not built): n1 taking the call (a node does not accept INVITEs from trunks yet, see
docs/cluster.md "What remains of issue 12"), hence no test of the node honouring the header.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from typing import List

import pytest

import calltools as ct
import pgserver
import sipwire
from calltools import TENANT_A_UUID, TENANT_B_UUID, TENANT_C_UUID
from conftest import homes

DID = "0399998888"
PROBE_SET = 9


class ProbeNode:
    """A UDP socket in a dispatcher set of its own: answers OPTIONS with 200 (so the edge keeps it
    active), records every INVITE and answers it 480."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.invites: List[sipwire.Message] = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                msg = sipwire.parse_message(data)
            except Exception:   # not SIP: ignored
                continue
            if msg.is_response or msg.method not in ("OPTIONS", "INVITE"):
                continue
            if msg.method == "INVITE":
                self.invites.append(msg)
            status = "200 OK" if msg.method == "OPTIONS" else "480 Temporarily Unavailable"
            lines = ["SIP/2.0 " + status] + ["Via: " + v for v in msg.get_all("Via")]
            to = msg.get("To") or ""
            lines += ["From: " + (msg.get("From") or ""), "To: " + (to if ";tag=" in to else to + ";tag=probe"),
                      "Call-ID: " + (msg.get("Call-ID") or ""), "CSeq: " + (msg.get("CSeq") or ""),
                      "Content-Length: 0", "", ""]
            self.sock.sendto("\r\n".join(lines).encode(), peer)

    def stop(self) -> None:
        self._stop = True
        self._thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, private_postgres, kamailio_class):
    pg = private_postgres
    base = tmp_path_factory.mktemp("trunk")
    with pgserver.store_in(base / "n1" / "data", pg.url):
        node = ct.Server(base / "n1", name="n1",
                         extra_args=["--node-id", "n1", "--database", pg.url, "--cluster-heartbeat-seconds", "1",
                                     "--sip-trusted-edges", "127.0.0.1/32"])
    probe = ProbeNode()
    edge = None
    try:
        assert ct.wait_until(lambda: set(homes(pg)) >= {TENANT_A_UUID, TENANT_B_UUID, TENANT_C_UUID}, 10), (
            node.log_text()[-3000:])
        # `probe` stays alive for n1's failover (a heartbeat in the future) and homes initech.
        pg.psql("INSERT INTO cluster_node (node_id, sip_uri, dispatcher_set, heartbeat_at) VALUES "
                "('probe', 'sip:127.0.0.1:%d', %d, now() + interval '1 day')" % (probe.port, PROBE_SET))
        pg.psql("UPDATE cluster_tenant SET home_node = 'probe' WHERE tenant_uuid = '%s'" % TENANT_C_UUID)
        pg.psql("UPDATE trunk SET host = '127.0.0.3' WHERE tenant_id = (SELECT id FROM tenant WHERE uuid = '%s')"
                % TENANT_C_UUID)
        edge = kamailio_class(base, pg.url)
        yield pg, node, probe, edge
    finally:
        if edge is not None:
            edge.stop()
        probe.stop()
        node.stop()


def carrier_invite(edge_port: int, source_ip: str, extra=()) -> sipwire.Message:
    """A carrier's INVITE for DID (From: the carrier's own domain) from `source_ip`: the final response."""
    with sipwire.SipClient(edge_port, local_ip=source_ip) as carrier:
        sdp = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n"
               "a=rtpmap:0 PCMU/8000\r\n" % (source_ip, source_ip)).encode()
        request = carrier.build("INVITE", "sip:%s@127.0.0.1:%d" % (DID, edge_port), [
            ("Max-Forwards", "70"),
            ("From", "<sip:+390612345678@carrier.example>;tag=%s" % uuid.uuid4().hex[:8]),
            ("To", "<sip:%s@127.0.0.1>" % DID),
            ("Call-ID", carrier.call_id),
            ("CSeq", "1 INVITE"),
            ("Contact", "<sip:carrier@%s:%d>" % carrier.local),
            ("Content-Type", "application/sdp"),
        ] + list(extra), body=sdp)
        final = carrier.transaction(request, timeout=10)
        carrier.send_raw(("ACK sip:%s@127.0.0.1:%d SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\nFrom: %s\r\n"
                          "To: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
                          % (DID, edge_port, final.get("Via"), final.get("From"), final.get("To"),
                             carrier.call_id)).encode())
        return final


def test_carrier_at_a_trunk_address_reaches_the_home_node(cluster):
    pg, node, probe, edge = cluster
    final = carrier_invite(edge.port, "127.0.0.1")
    # n1 answered (its own Server header), not the edge: the node does not take trunk calls yet.
    assert final.get("Server") == "Centralino", "the edge did not hand the INVITE to n1:\n%s\nkamailio:\n%s" % (
        final.text(), edge.log()[-3000:])
    assert not probe.invites


def test_carrier_invite_carries_its_source_to_the_home_node(cluster):
    pg, node, probe, edge = cluster
    final = carrier_invite(edge.port, "127.0.0.3", extra=[("X-Centralino-Source", "10.9.9.9:5060")])
    assert final.status == 480, final.text() + "\nkamailio:\n" + edge.log()[-3000:]
    assert ct.wait_until(lambda: len(probe.invites) == 1, 3), "probe got %d INVITEs" % len(probe.invites)
    invite = probe.invites[0]
    sources = invite.get_all("X-Centralino-Source")
    assert len(sources) == 1 and sources[0].startswith("127.0.0.3:"), sources
    assert "127.0.0.1:%d" % edge.port in (invite.get("Record-Route") or ""), invite.get("Record-Route")
    assert "carrier.example" in (invite.get("From") or ""), invite.get("From")


def test_carrier_at_an_unknown_address_is_refused_by_the_edge(cluster):
    pg, node, probe, edge = cluster
    before = len(probe.invites)
    final = carrier_invite(edge.port, "127.0.0.2")
    assert final.status == 403, final.text()
    assert final.get("Server") == "Centralino edge", final.text()
    assert "no trunk's" in edge.log(), edge.log()[-3000:]
    time.sleep(0.5)
    assert len(probe.invites) == before


def test_an_address_of_trunks_on_two_home_nodes_is_ambiguous(cluster):
    pg, node, probe, edge = cluster
    pg.psql("UPDATE trunk SET host = '127.0.0.3' WHERE tenant_id = (SELECT id FROM tenant WHERE uuid = '%s')"
            % TENANT_B_UUID)
    try:
        before = len(probe.invites)
        final = carrier_invite(edge.port, "127.0.0.3")
        assert final.status == 403 and final.get("Server") == "Centralino edge", final.text()
        time.sleep(0.5)
        assert len(probe.invites) == before
    finally:
        pg.psql("UPDATE trunk SET host = '127.0.0.1' WHERE tenant_id = (SELECT id FROM tenant WHERE uuid = '%s')"
                % TENANT_B_UUID)
