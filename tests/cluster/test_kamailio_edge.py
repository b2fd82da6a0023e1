"""The SIP edge (deploy/kamailio/kamailio.cfg) in front of one Centralino node, against the real
binaries: PostgreSQL with deploy/kamailio/schema.sql (node1 and the tenants acme and globex homed on
it), Kamailio configured only by -A defines, Centralino, SIPp phones and trunk.

- phones register THROUGH the edge: Centralino's digest challenge is relayed back, the binding is
  stored with the edge's Path (with the phone's source in `received`);
- the digest lockout stays per tenant account behind the edge (one shared source address);
- an AMI click-to-call rings the phone through the edge (the INVITE arrives from the edge with its
  Record-Route and Via), the call connects and ends with BYE through the edge;
- a phone's own call placed through the edge reaches Centralino: to another phone behind the edge,
  and to the tenant's trunk;
- a domain with no home node gets 404 from the edge, and a request from a node without a Route
  through the edge is refused (no open relay).
- no open relay for strangers either: an in-dialog request from a non-node (To tag, Route: the edge)
  toward a third address gets 403 and never reaches it. The node trusts the edge's Path because it
  runs with --sip-trusted-edges 127.0.0.1/32.
"""

from __future__ import annotations

import re
import socket
import time
import uuid
from pathlib import Path
from typing import Dict, List

import calltools as ct
import sipwire
from calltools import DOMAIN_A, DOMAIN_B, PASSWORDS, Sipp

NUMBER = "0391234567"


def register_through(edge, workdir: Path, ext: str, domain: str = DOMAIN_A) -> int:
    """SIPp registers `ext`@`domain` via the edge from a fresh port; returns that port."""
    port = ct.free_ports(1)[0]
    csv = workdir / ("users_%s_%d.csv" % (ext, port))
    csv.write_text("SEQUENTIAL\n%s;[authentication username=%s password=%s];%s\n"
                   % (ext, ext, PASSWORDS[(domain, ext)], domain))
    reg = Sipp(str(ct.SCENARIOS / "register.xml"), workdir, local_port=port,
               remote="127.0.0.1:%d" % edge.port, calls=1, inf=csv, timeout=15, tag="register%s" % ext)
    res = reg.wait()
    assert res.returncode == 0, "REGISTER of %s@%s through the edge failed\n%s\nkamailio:\n%s" % (
        ext, domain, res.report(), edge.kamailio.log()[-3000:])
    statuses = [m.status for m in res.received() if m.is_response]
    assert statuses == [401, 200], "Centralino's challenge, then 200, relayed by the edge: %s" % statuses
    return port


def uas_with_record_route(workdir: Path, **kw) -> str:
    """The calls suite's answering phone, echoing Record-Route in its responses as a real phone does."""
    path = Path(ct.uas_scenario(workdir, "answer", **kw))
    text = path.read_text().replace("[last_CSeq:]", "[last_CSeq:]\n      [last_Record-Route:]")
    out = path.with_name("rr_" + path.name)
    out.write_text(text)
    return str(out)


def node_log(edge) -> str:
    return edge.pbx.log_path.read_text(errors="replace")


def test_register_through_the_edge_stores_the_path(edge, tmp_path):
    port = register_through(edge, tmp_path, "100", DOMAIN_A)
    register_through(edge, tmp_path, "100", DOMAIN_B)
    assert ct.wait_until(lambda: "globex.test" in node_log(edge) and "path=" in node_log(edge), 5)
    lines = [l for l in node_log(edge).splitlines() if "SIP registration" in l and "100@acme.test" in l]
    assert lines, node_log(edge)[-3000:]
    # Path: the edge's own address, loose routing, and the phone's source address (NAT).
    assert re.search(r"<sip:127\.0\.0\.1:%d;lr;received=sip:127\.0\.0\.1:%d>" % (edge.port, port), lines[-1]), lines[-1]
    assert "from=udp:127.0.0.1:%d" % edge.port in lines[-1], "the REGISTER came from the edge: " + lines[-1]


def test_lockout_stays_per_tenant_account_behind_the_edge(edge):
    def register(domain: str, password: str, expires: int = 600):
        # A fresh socket each time: a late retransmitted 401 of a slowed failure cannot be taken for
        # the answer to the next request.
        with sipwire.SipClient(edge.port) as phone:
            contact = ["<sip:102@127.0.0.1:%d>" % phone.local[1]]
            return phone.register("102", password, domain, contacts=contact, expires=expires)[1]

    for _ in range(3):
        final = register(DOMAIN_A, "wrong-password")
        assert final.status == 401, final.text()
    locked = register(DOMAIN_A, PASSWORDS[(DOMAIN_A, "102")])
    assert locked.status == 403, "102@acme is locked out after 3 failures:\n" + locked.text()
    # The same extension number of the other tenant, through the same edge (same source address).
    other = register(DOMAIN_B, PASSWORDS[(DOMAIN_B, "102")])
    assert other.status == 200, "globex's 102 is not locked out by acme's failures:\n" + other.text()


def test_click_to_call_rings_the_phone_through_the_edge(edge, tmp_path):
    port = register_through(edge, tmp_path, "100", DOMAIN_A)
    agent = Sipp(uas_with_record_route(tmp_path, ring=500, end="wait"), tmp_path, local_port=port,
                 timeout=25, tag="agent100")
    trunk = Sipp(ct.uas_scenario(tmp_path, "answer", ring=500, end="bye", hold=1500), tmp_path,
                 local_port=edge.pbx.trunk_port(DOMAIN_A), timeout=25, tag="trunk")
    orig = ct.PanoramiskOriginate(edge.pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER))
    res = orig.result(25)
    ra, rt = agent.wait(), trunk.wait()
    assert ra.returncode == 0, "agent phone (behind the edge):\n%s\nkamailio:\n%s" % (ra.report(), edge.kamailio.log()[-3000:])
    assert rt.returncode == 0, "trunk:\n" + rt.report()
    final = ct.final_originate_message(res)
    assert final.get("Response") == "Success", final
    invite = ra.received_requests("INVITE")[0]
    # It came through the edge: the edge's Via on top, its Record-Route, the contact as Request-URI.
    assert invite.ruri == "sip:100@127.0.0.1:%d" % port, invite.start
    assert ("127.0.0.1:%d" % edge.port) in (invite.header("Via") or ""), invite.header("Via")
    assert re.search(r"<sip:127\.0\.0\.1:%d;lr[^>]*>" % edge.port, invite.header("Record-Route") or ""), (
        "no Record-Route of the edge: %s" % invite.header("Record-Route"))
    assert not invite.header("Route"), "the edge consumed its own Route entry: %s" % invite.header("Route")
    # The far end hung up: the BYE reached the phone through the edge too (loose routing).
    byes = ra.received_requests("BYE")
    assert byes, "the agent never got the BYE"
    assert ("127.0.0.1:%d" % edge.port) in (byes[0].header("Via") or ""), byes[0].header("Via")
    trunk_invite = rt.received_requests("INVITE")[0]
    assert trunk_invite.ruri.startswith("sip:391234567@"), trunk_invite.start


def test_phone_calls_through_the_edge_reach_centralino(edge, tmp_path):
    callee_port = register_through(edge, tmp_path, "101", DOMAIN_A)
    callee = Sipp(uas_with_record_route(tmp_path, ring=300, end="wait"), tmp_path, local_port=callee_port,
                  timeout=25, tag="callee101")
    register_through(edge, tmp_path, "100", DOMAIN_A)
    caller = Sipp(str(ct.SCENARIOS / "uac_call.xml"), tmp_path, local_port=ct.free_ports(1)[0],
                  remote="127.0.0.1:%d" % edge.port, service="101", auth=("100", PASSWORDS[(DOMAIN_A, "100")]),
                  keys={"caller": "100", "domain": DOMAIN_A}, pause_ms=1000, timeout=25, tag="caller100")
    rc, re_ = caller.wait(), callee.wait()
    assert rc.returncode == 0, "caller through the edge:\n%s\nkamailio:\n%s" % (rc.report(), edge.kamailio.log()[-3000:])
    assert re_.returncode == 0, "callee behind the edge:\n" + re_.report()
    # Centralino's 200 to the caller carries the edge's Record-Route (copied by Centralino), so the
    # caller's ACK and BYE went through the edge as well.
    ok = [m for m in rc.received() if m.is_response and m.status == 200 and "INVITE" in (m.header("CSeq") or "")][0]
    assert "127.0.0.1:%d" % edge.port in (ok.header("Record-Route") or ""), ok.header("Record-Route")
    assert re_.received_requests("BYE"), "the caller's BYE reached the callee"

    # To the tenant's trunk: the edge hands the call to Centralino, which dials the trunk.
    trunk = Sipp(ct.uas_scenario(tmp_path, "answer", ring=300, end="wait"), tmp_path,
                 local_port=edge.pbx.trunk_port(DOMAIN_A), timeout=25, tag="trunk")
    caller = Sipp(str(ct.SCENARIOS / "uac_call.xml"), tmp_path, local_port=ct.free_ports(1)[0],
                  remote="127.0.0.1:%d" % edge.port, service=NUMBER, auth=("100", PASSWORDS[(DOMAIN_A, "100")]),
                  keys={"caller": "100", "domain": DOMAIN_A}, pause_ms=1000, timeout=25, tag="caller100t")
    rc, rt = caller.wait(), trunk.wait()
    assert rc.returncode == 0, "caller to the trunk:\n" + rc.report()
    assert rt.returncode == 0, "trunk:\n" + rt.report()
    assert rt.received_requests("INVITE")[0].ruri.startswith("sip:391234567@")


def test_unknown_domain_gets_404_and_nodes_need_a_route(edge):
    with sipwire.SipClient(edge.port) as phone:
        first, _ = phone.register("100", "x", "unknown.test", contacts=["<sip:100@127.0.0.1:9>"], expires=600)
        assert first.status == 404, first.text()
        first, _ = phone.register("100", "x", "bad'domain.test", contacts=["<sip:100@127.0.0.1:9>"], expires=600)
        assert first.status in (400, 404), first.text()


def test_in_dialog_request_from_a_stranger_is_relayed_only_to_a_node(edge):
    """No open relay: a stranger's in-dialog MESSAGE/INFO (a To tag, Route: the edge) toward a third
    address is refused by the edge and never reaches that address."""
    third = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    third.bind(("127.0.0.1", 0))
    third.settimeout(1.0)
    target = "sip:victim@127.0.0.1:%d" % third.getsockname()[1]
    try:
        for method in ("MESSAGE", "INFO"):
            with sipwire.SipClient(edge.port) as stranger:
                request = stranger.build(method, target, [
                    ("Max-Forwards", "70"),
                    ("From", "<sip:stranger@%s>;tag=dlg0" % DOMAIN_A),
                    ("To", "<sip:victim@%s>;tag=dlg1" % DOMAIN_A),
                    ("Call-ID", stranger.call_id),
                    ("CSeq", "2 %s" % method),
                    ("Route", "<sip:127.0.0.1:%d;lr>" % edge.port),
                    ("Content-Type", "text/plain"),
                ], body=b"hello")
                reply = stranger.transaction(request)
                assert reply.status in (403, 404), "%s toward a non-node: %s" % (method, reply.text())
        try:
            data, _ = third.recvfrom(65535)
        except socket.timeout:
            data = None
        assert data is None, "the edge relayed a stranger's in-dialog request: %r" % data
    finally:
        third.close()


def test_edge_keeps_the_nat_binding_and_probes_the_nodes(edge, tmp_path):
    """A second edge with a 10 s keep-alive (nat_traversal's minimum): a phone registered through it gets OPTIONS from the edge
    (nat_traversal); a tenant homed on a node that does not answer gets 503 once probing marked it."""
    db = edge.db
    # node2: a socket that never answers (a hung node).
    hung = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    hung.bind(("127.0.0.1", 0))
    db.psql("INSERT INTO cluster_node (node_id, sip_uri, dispatcher_set) VALUES ('node2', 'sip:127.0.0.1:%d', 2)"
            % hung.getsockname()[1])
    db.psql("INSERT INTO cluster_tenant (tenant_uuid, domain, home_node) VALUES ('%s', '%s', 'node2')"
            % (ct.TENANT_C_UUID, ct.DOMAIN_C))
    # The fixture's class, not `from conftest import`: run with tests/calls, `conftest` is that one.
    second = type(edge.kamailio)(tmp_path, db.url, natping_interval=10)
    started = time.monotonic()
    try:
        with sipwire.SipClient(second.port) as phone:
            _, final = phone.register("101", PASSWORDS[(DOMAIN_B, "101")], DOMAIN_B,
                                      contacts=["<sip:101@127.0.0.1:%d>" % phone.local[1]], expires=600)
            assert final.status == 200, final.text()
            deadline = time.monotonic() + 20
            got = None
            while time.monotonic() < deadline and (got is None or got.is_response):
                got = phone.recv_message(max(deadline - time.monotonic(), 0.01))
            assert got is not None and not got.is_response, "no keep-alive from the edge within 20 s"
            assert got.method == "OPTIONS", got.text()
            assert got.start.startswith("OPTIONS sip:"), got.start
            phone.register("101", PASSWORDS[(DOMAIN_B, "101")], DOMAIN_B,
                           contacts=["<sip:101@127.0.0.1:%d>" % phone.local[1]], expires=0)
        # node2 never answers the probes (sent every second, each failing after tm's 5 s): after a
        # few misses its set has no active node, and the edge answers 503 at once.
        # Under load a probe may be late: a request sent to node2 meanwhile times out (408) instead.
        time.sleep(max(0.0, 12 - (time.monotonic() - started)))
        for _ in range(3):
            with sipwire.SipClient(second.port) as phone:
                first, _ = phone.register("100", "x", ct.DOMAIN_C, contacts=["<sip:100@127.0.0.1:9>"], expires=600)
            if first.status != 408:
                break
        assert first.status == 503, first.text()
    finally:
        second.stop()
        hung.close()
        db.psql("DELETE FROM cluster_tenant WHERE home_node = 'node2'; DELETE FROM cluster_node WHERE node_id = 'node2'")
