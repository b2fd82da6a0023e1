"""A node that joins after the SIP edge started (docs/cluster.md, "The tables"), against the real
binaries: PostgreSQL, Kamailio with deploy/kamailio/kamailio.cfg (DS_RELOAD_INTERVAL=1), Centralino
nodes n1 and n2 on one PostgreSQL store (`--database`, `--node-id`), SIPp and raw SIP phones.

- the edge starts while n1 is the only node (its dispatcher list: n1's set);
- n2 joins (writes its cluster_node row: a new dispatcher set) and tenant A is moved to it: without a
  restart of the edge, a REGISTER of A through the edge reaches n2 within RELOAD_WITHIN seconds (the
  edge's timer saw the dispatcher view change and reloaded it; before, it answered 503 for ever: the
  set was unknown), and an INVITE of A's phone through the edge is served by n2 (its trunk rings).
"""

from __future__ import annotations

import shutil
import time

import pytest

import calltools as ct
import pgserver
import sipwire
from calltools import DOMAIN_A, DOMAIN_B, PASSWORDS, TENANT_A_UUID, TENANT_B_UUID, Sipp
from conftest import homes

NUMBER = "0391234567"
HEARTBEAT = 1
# The edge checks the dispatcher view every second here; a REGISTER must get through within this.
RELOAD_WITHIN = 8


def start_node(base, name: str, pg, extra=()) -> ct.Server:
    """A node on the module's PostgreSQL as store and cluster database, trusting the edge's Path."""
    with pgserver.store_in(base / name / "data", pg.url):
        return ct.Server(base / name, name=name,
                         extra_args=["--node-id", name, "--database", pg.url,
                                     "--cluster-heartbeat-seconds", str(HEARTBEAT),
                                     "--cluster-failover-seconds", "4",
                                     "--sip-trusted-edges", "127.0.0.1/32"] + list(extra))


def register(port: int, ext: str, domain: str = DOMAIN_A) -> sipwire.Message:
    """A REGISTER of `ext`@`domain` sent to `port` (the edge), answering the digest: the final response."""
    with sipwire.SipClient(port) as phone:
        _, final = phone.register(ext, PASSWORDS[(domain, ext)], domain,
                                  contacts=["<sip:%s@127.0.0.1:%d>" % (ext, phone.local[1])], expires=600)
        return final


def registrations(node: ct.Server, ext: str, domain: str) -> list:
    return [line for line in node.log_text().splitlines() if "SIP registration" in line and "%s@%s" % (ext, domain) in line]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, private_postgres, kamailio_class):
    pg = private_postgres
    base = tmp_path_factory.mktemp("join")
    n1 = start_node(base, "n1", pg)
    nodes = [n1]
    edge = None
    try:
        assert ct.wait_until(lambda: {TENANT_A_UUID, TENANT_B_UUID} <= set(homes(pg)), 10), n1.log_text()[-3000:]
        edge = kamailio_class(base, pg.url, extra_defines=["DS_RELOAD_INTERVAL=1"])
        yield pg, base, nodes, edge
    finally:
        if edge is not None:
            edge.stop()
        for node in reversed(nodes):
            node.stop()


def test_a_node_joining_after_the_edge_gets_its_tenants_traffic(cluster, tmp_path):
    pg, base, nodes, edge = cluster
    n1 = nodes[0]
    final = register(edge.port, "100")
    assert final.status == 200, "through the edge to n1: %s\nkamailio:\n%s" % (final.text(), edge.log()[-3000:])
    assert registrations(n1, "100", DOMAIN_A), n1.log_text()[-3000:]

    # n2 joins: the store's secret key is the cluster's (as on every node of one store).
    (base / "n2" / "data").mkdir(parents=True)
    shutil.copy(n1.data_dir / "secret.key", base / "n2" / "data" / "secret.key")
    n2 = start_node(base, "n2", pg)
    nodes.append(n2)
    assert ct.wait_until(lambda: "n2" in pg.psql("SELECT node_id FROM cluster_node"), 10), n2.log_text()[-3000:]
    assert pg.psql("SELECT count(*) FROM dispatcher") == "2"
    pg.psql("UPDATE cluster_tenant SET home_node = 'n2' WHERE tenant_uuid = '%s'" % TENANT_A_UUID)
    moved = time.monotonic()

    # The edge learns n2's set without a restart: A's REGISTER reaches n2 (503 until then).
    statuses = []
    while True:
        final = register(edge.port, "100")
        statuses.append(final.status)
        if final.status == 200 or time.monotonic() - moved > RELOAD_WITHIN:
            break
        time.sleep(0.5)
    took = time.monotonic() - moved
    assert final.status == 200, "A's REGISTER through the edge after n2 joined: %s (%s)\nkamailio:\n%s" % (
        statuses, final.text(), edge.log()[-3000:])
    assert set(statuses[:-1]) <= {503}, statuses
    assert ct.wait_until(lambda: registrations(n2, "100", DOMAIN_A), 3), "the REGISTER went to n2:\n" + n2.log_text()[-3000:]
    assert "dispatcher list changed in the database: reloaded" in edge.log()
    print("edge routed to the new node %.1f s after the move (%d attempts)" % (took, len(statuses)))

    # B stays on n1, through the same edge.
    final = register(edge.port, "101", DOMAIN_B)
    assert final.status == 200, final.text()
    assert ct.wait_until(lambda: registrations(n1, "101", DOMAIN_B), 3), n1.log_text()[-3000:]
    assert not registrations(n2, "101", DOMAIN_B)

    # An INVITE of A's phone through the edge is served by n2 (once n2 knows it is A's home): the
    # tenant's trunk (the store's, as n2 applied it last) hears n2's call.
    assert ct.wait_until(lambda: "node=n2 self=true tenant=%s" % TENANT_A_UUID in n2.log_text(), 5)
    trunk = Sipp(ct.uas_scenario(tmp_path, "answer", ring=300, end="wait"), tmp_path,
                 local_port=n2.trunk_port(DOMAIN_A), timeout=25, tag="trunk")
    caller = Sipp(str(ct.SCENARIOS / "uac_call.xml"), tmp_path, local_port=ct.free_ports(1)[0],
                  remote="127.0.0.1:%d" % edge.port, service=NUMBER, auth=("100", PASSWORDS[(DOMAIN_A, "100")]),
                  keys={"caller": "100", "domain": DOMAIN_A}, pause_ms=1000, timeout=25, tag="caller100")
    rc, rt = caller.wait(), trunk.wait()
    assert rc.returncode == 0, "A's call through the edge:\n%s\nkamailio:\n%s" % (rc.report(), edge.log()[-3000:])
    assert rt.returncode == 0, "trunk:\n" + rt.report()
    invite = rt.received_requests("INVITE")[0]
    assert invite.ruri.startswith("sip:391234567@"), invite.start
    assert "127.0.0.1:%d" % n2.sip_port in (invite.header("Via") or ""), "the call ran on n2: %s" % invite.header("Via")
