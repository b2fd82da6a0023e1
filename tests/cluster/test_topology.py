"""Issue 12's test topology, against the real binaries, one host per network namespace (created and
removed by the test; tests/common/netns.py `BridgedHosts`: veth pairs to one bridge, 10.x.y.0/24):

    db (PostgreSQL) ── edge (Kamailio, deploy/kamailio/kamailio.cfg) ── n1, n2 (centralino serve)
    phones (SIPp: 200 phones, then the answering phone and the trunks) ── crm (AMI clients)

Both nodes keep their store AND the cluster in the one PostgreSQL (`--database`, the same secret.key),
heartbeat 1 s, failover 4 s; n2 takes forwarded actions (`--cluster-bind`). In order:

1. n1 starts alone and homes every tenant; n2 joins; the operator moves tenant A (acme) to n2. 200
   phones (100 of A, 100 of B) register through the edge from the phones host: every registration is
   in PostgreSQL with the edge's Path, A's held by n2, B's by n1.
2. A's CRM, logged in on n1 from the crm host, places a click-to-call: n1 forwards it to n2, the call
   runs on n2 (the trunk hears n2), the agent's phone rings through the edge (its INVITE carries the
   edge's Via and Record-Route); the CRM gets Response: Success, the OriginateResponse and the call
   events, all with SystemName: n2; B's CRM on n1 gets nothing of it.
3. kill -9 n2: within the failover time A is homed on n1, n1 takes over n2's registrations of A from
   PostgreSQL (no phone registers again) and the next click-to-call rings the agent through the edge
   along the stored Path, running on n1.
4. n2 comes back (takes no tenant); PostgreSQL restarts: both nodes reconnect, /healthz is 503 while
   it is down, events flow both ways again without a restart, n1 counts the events n2 published while
   the database was down as lost, and a phone registers again through the edge to n1.
"""

from __future__ import annotations

import random
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import List

import pytest

import calltools as ct
import netns
from calltools import TENANT_A_UUID, TENANT_B_UUID
from topology import (AMI_PORT, HTTP_PORT, SIP_PORT, CONTROL_PORT, HostKamailio, HostNode, HostPostgres, HostSipp)
from conftest import heartbeat_age, homes, options_ok

DOMAIN_A, DOMAIN_B = ct.DOMAIN_A, ct.DOMAIN_B
HEARTBEAT = 1
FAILOVER = 4
PHONES_PER_TENANT = 100
FIRST_EXT = {DOMAIN_A: 2000, DOMAIN_B: 3000}
PHONE_PORT = 5070          # every phone registers from this port of the phones host (one SIPp socket)
TRUNK_PORT = {DOMAIN_A: 5090, DOMAIN_B: 5091}
NUMBER = "0391234567"
HOSTS = {"db": 2, "edge": 3, "phones": 5, "crm": 6, "n1": 11, "n2": 12}


def password(domain: str, ext: int) -> str:
    return "pw-%s-%d" % (domain.split(".")[0], ext)


def provisioning(hosts) -> str:
    crm = "%s/32" % hosts.ip("crm")

    def tenant(name, uuid, domain, users):
        exts = "\n".join('      - { number: "%d", password: "%s" }' % (n, password(domain, n))
                         for n in range(FIRST_EXT[domain], FIRST_EXT[domain] + PHONES_PER_TENANT))
        amis = "\n".join('      - { username: %s, password: %s, permit: ["%s"], read: %s, write: "%s" }' % (u + (crm,) + r)
                         for u, r in users)
        return ("  - name: %s\n    uuid: %s\n    domain: %s\n    extensions:\n%s\n    trunks:\n"
                "      - { name: carrier, host: %s, port: %d }\n    outbound_routes:\n"
                "      - { prefix: \"0\", trunk: carrier, strip: 1 }\n    ami_users:\n%s\n"
                % (name, uuid, domain, exts, hosts.ip("phones"), TRUNK_PORT[domain], amis))
    return "tenants:\n" + tenant("acme", TENANT_A_UUID, DOMAIN_A, [
        (("crm", "s3cret"), ("call", "call,originate")), (("monitor", "m0nitor"), ("all", "all"))]) + tenant(
        "globex", TENANT_B_UUID, DOMAIN_B, [(("crm_b", "s3cretB"), ("call", "call,originate"))])


def node_args(hosts, name: str) -> List[str]:
    args = ["--cluster-heartbeat-seconds", str(HEARTBEAT), "--cluster-failover-seconds", str(FAILOVER),
            "--sip-trusted-edges", "%s/32" % hosts.ip("edge"),
            "--sip-lockout-failures", "100000", "--sip-lockout-account-failures", "3",
            "--ami-lockout-failures", "100000", "--ami-auth-delay-ms", "100",
            "--sip-qualify-interval", "3600", "--rtp-ports", "20000-20999"]
    if name == "n2":
        args += ["--cluster-bind", "%s:%d" % (hosts.ip("n2"), CONTROL_PORT)]
    return args


@pytest.fixture(scope="module")
def topo(tmp_path_factory):
    base = tmp_path_factory.mktemp("topology")
    subnet = "10.%d.%d" % (random.randint(200, 250), random.randint(1, 250))
    prefix = "ctopo%04x" % random.randint(0, 0xFFFF)
    started = []
    with netns.bridged_hosts(prefix, HOSTS, subnet) as hosts:
        try:
            t = SimpleNamespace(hosts=hosts, base=base)
            t.pg = HostPostgres(hosts)
            started.append(t.pg)
            # The tenants into the shared store, once (from n1's host); n2 gets the same key file.
            (base / "n1" / "data").mkdir(parents=True)
            yaml = base / "tenants.yaml"
            yaml.write_text(provisioning(hosts))
            res = subprocess.run(
                hosts.exec_prefix("n1") + [ct.centralino_bin(), "apply", "--data-dir", str(base / "n1" / "data"),
                                           "--database", t.pg.url, str(yaml)],
                capture_output=True, text=True, timeout=60)
            assert res.returncode == 0, "apply failed:\n%s\n%s" % (res.stdout, res.stderr)
            (base / "n2" / "data").mkdir(parents=True)
            shutil.copy(base / "n1" / "data" / "secret.key", base / "n2" / "data" / "secret.key")
            t.n1 = HostNode(hosts, "n1", base / "n1", t.pg.url, node_args(hosts, "n1"))
            started.append(t.n1)
            assert ct.wait_until(lambda: {TENANT_A_UUID, TENANT_B_UUID} <= set(homes(t.pg)), 10), t.n1.log_text()[-3000:]
            t.n2 = HostNode(hosts, "n2", base / "n2", t.pg.url, node_args(hosts, "n2"))
            started.append(t.n2)
            assert ct.wait_until(lambda: live_nodes(t.pg) == ["n1", "n2"], 10), t.pg.psql("SELECT * FROM cluster_node")
            # The edge reads the dispatcher (both nodes) at its start.
            t.edge = HostKamailio(hosts, base / "edge", t.pg.url)
            started.append(t.edge)
            assert ct.wait_until(lambda: edge_answers(hosts, hosts.ip("edge")), 15, step=0.3), t.edge.log()
            yield t
        finally:
            for proc in reversed(started):
                try:
                    proc.stop()
                except Exception as error:  # noqa: BLE001 (the others still stop; the hosts go anyway)
                    print("stopping %r: %r" % (proc, error))


# -- helpers ----------------------------------------------------------------------------------------

def live_nodes(pg) -> List[str]:
    try:
        return pg.psql("SELECT node_id FROM cluster_node WHERE heartbeat_at > now() - interval '3 seconds' "
                       "ORDER BY node_id").splitlines()
    except RuntimeError:
        return []


def edge_answers(hosts, address: str) -> bool:
    """An OPTIONS from the phones host to `address`:5060 gets 200."""
    with netns.entered(hosts.host("phones")):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    return options_ok((address, SIP_PORT), 0.5, source=hosts.ip("phones"), sock=sock)


def crm_session(t, node: HostNode, user: str, secret: str) -> ct.AMIRecorder:
    """An AMI session from the crm host to `node`."""
    with netns.entered(t.hosts.host("crm")):
        return ct.AMIRecorder(AMI_PORT, user, secret, host=node.address)


def http_get(t, node: HostNode, path: str):
    with netns.entered(t.hosts.host("crm")):
        try:
            with urllib.request.urlopen("http://%s:%d%s" % (node.address, HTTP_PORT, path), timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError as e:
            return None, str(e)


def metric(t, node: HostNode, name: str) -> float:
    _, text = http_get(t, node, "/metrics")
    values = [float(m.group(2)) for m in re.finditer(r"^%s(\{[^}]*\})? (\S+)$" % re.escape(name), text or "", re.M)]
    assert values, "%s not in /metrics of %s:\n%s" % (name, node.name, (text or "")[-2000:])
    return sum(values)


def registrations(t) -> List[List[str]]:
    """(domain, extension, node_id, path, source) of every stored registration."""
    rows = t.pg.psql("SELECT t.domain, r.extension, r.node_id, r.path, r.source FROM registration r "
                     "JOIN tenant t ON t.id = r.tenant_id WHERE r.expires_at > extract(epoch FROM now())")
    return [line.split("|") for line in rows.splitlines() if line]


def phone_uas(t, workdir: Path, tag: str) -> HostSipp:
    """The phones host answering on the port every phone registered from: a real phone echoes the
    Record-Route of the INVITE in its responses (the far end's BYE then comes through the edge)."""
    path = Path(ct.uas_scenario(workdir, "answer", ring=300, end="wait"))
    text = path.read_text().replace("[last_CSeq:]", "[last_CSeq:]\n      [last_Record-Route:]")
    rr = path.with_name("rr_" + path.name)
    rr.write_text(text)
    return HostSipp(t.hosts, "phones", str(rr), workdir, local_port=PHONE_PORT, timeout=25, tag=tag)


def trunk_uas(t, workdir: Path, domain: str = DOMAIN_A) -> HostSipp:
    return HostSipp(t.hosts, "phones", ct.uas_scenario(workdir, "answer", ring=300, end="bye", hold=1000), workdir,
                    local_port=TRUNK_PORT[domain], timeout=25, tag="trunk")


def originate(agent: int) -> List[tuple]:
    form = ct.c2c_variables_form(str(agent), NUMBER, TENANT_A_UUID)
    return [(k, v) for k, v in form.items() if k != "Variable"] + [("Variable", v) for v in form["Variable"]]


def click_to_call(t, tmp_path: Path, crm: ct.AMIRecorder, agent: int, tag: str):
    """A's click-to-call of `agent` to the trunk sent by `crm`: (reply, OriginateResponse, agent's
    SIPp result, trunk's SIPp result, mark of crm before)."""
    phone = phone_uas(t, tmp_path, tag)
    trunk = trunk_uas(t, tmp_path)
    time.sleep(0.3)   # both SIPp bound
    mark = crm.mark()
    reply = crm.action([("Action", "Originate")] + originate(agent), timeout=10)[0]
    answered = crm.wait_for(lambda m: m.event == "OriginateResponse", 25, mark)
    ra, rt = phone.wait(), trunk.wait()
    return reply, answered, ra, rt, mark


def edge_invite_checks(t, ra, agent: int) -> None:
    invite = ra.received_requests("INVITE")
    assert invite, "the agent's phone got no INVITE:\n" + ra.report()
    invite = invite[0]
    edge = r"%s(:%d)?;" % (re.escape(t.hosts.ip("edge")), SIP_PORT)   # Kamailio leaves out the default port
    assert invite.ruri == "sip:%d@%s:%d" % (agent, t.hosts.ip("phones"), PHONE_PORT), invite.start
    assert re.match(r"SIP/2.0/UDP " + edge, invite.header("Via") or ""), "not through the edge: %s" % invite.header("Via")
    assert re.match(r"<sip:" + edge + "lr", invite.header("Record-Route") or ""), invite.header("Record-Route")
    assert ra.received_requests("BYE"), "the far end's BYE reached the phone (through the edge)"
    assert not [m for m in ra.sent() if not m.is_response], "the phone sent no request (no REGISTER)"


# -- the steps ---------------------------------------------------------------------------------------

def test_1_200_phones_register_through_the_edge_into_postgres(topo, tmp_path):
    t = topo
    t.pg.psql("UPDATE cluster_tenant SET home_node = 'n2' WHERE tenant_uuid = '%s'; NOTIFY centralino_cluster, 'homes'"
              % TENANT_A_UUID)
    assert (homes(t.pg)[TENANT_A_UUID], homes(t.pg)[TENANT_B_UUID]) == ("n2", "n1"), homes(t.pg)
    # Both nodes have read the move (the edge reads the table at each request).
    time.sleep(2 * HEARTBEAT)
    csv = tmp_path / "phones.csv"
    lines = ["SEQUENTIAL"] + ["%d;[authentication username=%d password=%s];%s" % (n, n, password(d, n), d)
                              for d in (DOMAIN_A, DOMAIN_B)
                              for n in range(FIRST_EXT[d], FIRST_EXT[d] + PHONES_PER_TENANT)]
    csv.write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    reg = HostSipp(t.hosts, "phones", str(ct.SCENARIOS / "register.xml"), tmp_path, local_port=PHONE_PORT,
                   remote="%s:%d" % (t.hosts.ip("edge"), SIP_PORT), calls=2 * PHONES_PER_TENANT, inf=csv,
                   rate=50, limit=20, timeout=60, tag="register200")
    res = reg.wait()
    took = time.monotonic() - started
    assert res.returncode == 0, "the 200 REGISTERs through the edge:\n%s\nkamailio:\n%s" % (res.report(), t.edge.log()[-3000:])
    assert res.stat("Successful call") == 2 * PHONES_PER_TENANT, res.stats[-2000:]
    print("200 phones registered through the edge in %.1f s" % took)

    # The edge writes its own address without the default port.
    edge_path = "<sip:%s;lr;received=sip:%s:%d>" % (t.hosts.ip("edge"), t.hosts.ip("phones"), PHONE_PORT)
    assert ct.wait_until(lambda: len(registrations(t)) == 2 * PHONES_PER_TENANT, 5), len(registrations(t))
    rows = registrations(t)
    by = {(d, node): 0 for d in (DOMAIN_A, DOMAIN_B) for node in ("n1", "n2")}
    for domain, ext, node, path, source in rows:
        by[(domain, node)] += 1
        assert path == edge_path, "stored with the edge's Path: %r" % path
        assert source.startswith(t.hosts.ip("edge") + ":"), "the REGISTER came from the edge: %s" % source
    assert by == {(DOMAIN_A, "n2"): 100, (DOMAIN_A, "n1"): 0, (DOMAIN_B, "n1"): 100, (DOMAIN_B, "n2"): 0}, by
    assert homes(t.pg)[TENANT_A_UUID] == "n2"


def test_2_crm_on_n1_click_to_call_runs_on_n2_through_the_edge(topo, tmp_path):
    t = topo
    crm = crm_session(t, t.n1, "crm", "s3cret")
    crm_b = crm_session(t, t.n1, "crm_b", "s3cretB")
    try:
        mark_b = crm_b.mark()
        reply, answered, ra, rt, mark = click_to_call(t, tmp_path, crm, FIRST_EXT[DOMAIN_A], "agent-n2")
        assert reply.get("Response") == "Success", reply
        assert answered is not None and answered.get("Response") == "Success", (answered, crm.events(mark))
        assert answered.get("SystemName") == "n2", answered
        assert ra.returncode == 0, "agent phone:\n" + ra.report()
        assert rt.returncode == 0, "trunk:\n" + rt.report()
        edge_invite_checks(t, ra, FIRST_EXT[DOMAIN_A])
        trunk_invite = rt.received_requests("INVITE")[0]
        assert t.hosts.ip("n2") in (trunk_invite.header("Via") or ""), "the call runs on n2: %s" % trunk_invite.header("Via")
        assert ct.wait_until(lambda: len(crm.events(mark, name="Hangup")) >= 2, 10), [m.event for m in crm.events(mark)]
        calls = [m for m in crm.events(mark) if m.get("Uniqueid")]
        assert calls and all(m.get("SystemName") == "n2" for m in calls), [(m.event, m.get("SystemName")) for m in calls]
        ids = {m.get("Uniqueid") for m in calls}
        assert all(re.fullmatch(r"n2-\d+\.\d+", i) for i in ids), ids
        time.sleep(0.5)
        leaked = [m for m in crm_b.events(mark_b) if m.get("SystemName") == "n2" or m.get("Uniqueid") in ids]
        assert not leaked, "tenant B's CRM saw A's call: %s" % leaked
        assert metric(t, t.n1, "centralino_cluster_forwarded_actions_total") >= 1
    finally:
        crm.close()
        crm_b.close()


def test_3_kill_n2_n1_takes_its_phones_from_postgres(topo, tmp_path):
    t = topo
    before = {(d, e): (p, s) for d, e, _, p, s in registrations(t)}
    age = heartbeat_age(t.pg, "n2")  # the failover counts from n2's last heartbeat, which may be a second old
    aged = time.monotonic()
    t.n2.kill()
    killed = time.monotonic()
    assert ct.wait_until(lambda: homes(t.pg)[TENANT_A_UUID] == "n1", FAILOVER + 2 * HEARTBEAT + 3), (
        homes(t.pg), t.n1.log_text()[-3000:])
    moved = time.monotonic() - killed
    print("tenant A homed on n1 %.1f s after kill -9 n2 (failover %d s, heartbeat %d s)" % (moved, FAILOVER, HEARTBEAT))
    since_beat = time.monotonic() - aged + age
    assert since_beat >= FAILOVER - 0.5, "moved %.1f s after n2's last heartbeat" % since_beat
    # n1 took A's 100 bindings from PostgreSQL (stored now as its own), with the same Path and source.
    assert ct.wait_until(lambda: "cluster: registrations taken over" in t.n1.log_text(), 5), t.n1.log_text()[-3000:]
    assert ct.wait_until(lambda: all(r[2] == "n1" for r in registrations(t)), 5), [r for r in registrations(t) if r[2] != "n1"][:5]
    after = {(d, e): (p, s) for d, e, _, p, s in registrations(t)}
    assert after == before, "the same 200 bindings, Path and source unchanged"
    # The next click-to-call rings a phone of A through the edge, running on n1; no phone registered again.
    crm = crm_session(t, t.n1, "crm", "s3cret")
    try:
        agent = FIRST_EXT[DOMAIN_A] + 1
        reply, answered, ra, rt, mark = click_to_call(t, tmp_path, crm, agent, "agent-n1")
        assert reply.get("Response") == "Success", reply
        assert answered is not None and answered.get("Response") == "Success", (answered, crm.events(mark))
        assert ra.returncode == 0, "agent phone:\n%s\nkamailio:\n%s" % (ra.report(), t.edge.log()[-3000:])
        assert rt.returncode == 0, "trunk:\n" + rt.report()
        edge_invite_checks(t, ra, agent)
        assert t.hosts.ip("n1") in (rt.received_requests("INVITE")[0].header("Via") or "")
        ids = {m.get("Uniqueid") for m in crm.events(mark) if m.get("Uniqueid")}
        assert ids and all(re.fullmatch(r"n1-\d+\.\d+", i) for i in ids), ids
    finally:
        crm.close()


def test_4_postgres_restart_nodes_reconnect_count_lost_and_serve(topo, tmp_path):
    t = topo
    t.n2.start()   # back after its kill: it finds its tenant on n1 and takes nothing
    assert ct.wait_until(lambda: live_nodes(t.pg) == ["n1", "n2"], 10)
    time.sleep(2 * HEARTBEAT)
    assert (homes(t.pg)[TENANT_A_UUID], homes(t.pg)[TENANT_B_UUID]) == ("n1", "n1"), homes(t.pg)
    assert "registrations taken over" not in t.n2.log_text().split("===== start:")[-1], "n2 took nothing back"
    on_n1 = crm_session(t, t.n1, "monitor", "m0nitor")
    on_n2 = crm_session(t, t.n2, "monitor", "m0nitor")

    def user_event(rec, tag: str) -> None:
        got = rec.action([("Action", "UserEvent"), ("UserEvent", "TopologyProbe"), ("Tag", tag)])[0]
        assert got.get("Response") == "Success", got

    def arrived(rec, prefix: str) -> bool:
        return any(m.get("Tag", "").startswith(prefix) for m in rec.events(name="UserEvent"))

    try:
        user_event(on_n2, "before")
        assert ct.wait_until(lambda: arrived(on_n1, "before"), 5), "n2's events reach n1 before the restart"
        lost_before = metric(t, t.n1, "centralino_cluster_bus_lost_total")
        t.pg.halt()
        down = time.monotonic()
        try:
            assert ct.wait_until(lambda: http_get(t, t.n1, "/healthz")[0] == 503, 3 * HEARTBEAT + 2), http_get(t, t.n1, "/healthz")
            for index in range(3):
                user_event(on_n2, "down%d" % index)
            time.sleep(1)
        finally:
            t.pg.start()
        print("PostgreSQL down for %.1f s" % (time.monotonic() - down))
        for node in (t.n1, t.n2):
            assert ct.wait_until(lambda: http_get(t, node, "/healthz")[0] == 200, 15), node.log_text()[-3000:]
        deadline = time.monotonic() + 20
        index = 0
        while not arrived(on_n1, "after"):
            assert time.monotonic() < deadline, "no event of n2 reached n1 after the restart:\n" + t.n1.log_text()[-3000:]
            user_event(on_n2, "after%d" % index)
            index += 1
            time.sleep(0.5)
        user_event(on_n1, "back")
        assert ct.wait_until(lambda: arrived(on_n2, "back"), 10), "n1's events reach n2 again"
        assert not arrived(on_n1, "down")
        lost = metric(t, t.n1, "centralino_cluster_bus_lost_total") - lost_before
        print("events n2 published while PostgreSQL was down, counted lost on n1: %d" % lost)
        assert lost >= 3, "the 3 events n2 published while the database was down are lost on n1: %s" % lost
        assert "cluster bus: events lost" in t.n1.log_text()
        assert metric(t, t.n1, "centralino_cluster_bus_reconnects_total") >= 1
        assert metric(t, t.n2, "centralino_cluster_bus_reconnects_total") >= 1
        # Serving again without a restart: a phone of B registers through the edge (Kamailio reads
        # PostgreSQL again too) and n1 stores it.
        ext = FIRST_EXT[DOMAIN_B] + 7
        csv = tmp_path / "again.csv"
        csv.write_text("SEQUENTIAL\n%d;[authentication username=%d password=%s];%s\n" % (ext, ext, password(DOMAIN_B, ext), DOMAIN_B))
        stamp = t.pg.psql("SELECT r.call_id FROM registration r JOIN tenant t ON t.id = r.tenant_id "
                          "WHERE t.domain = '%s' AND r.extension = '%d'" % (DOMAIN_B, ext))
        res = HostSipp(t.hosts, "phones", str(ct.SCENARIOS / "register.xml"), tmp_path, local_port=PHONE_PORT + 1,
                       remote="%s:%d" % (t.hosts.ip("edge"), SIP_PORT), calls=1, inf=csv, timeout=15, tag="again").wait()
        assert res.returncode == 0, "REGISTER through the edge after the restart:\n%s\nkamailio:\n%s" % (res.report(), t.edge.log()[-3000:])

        def stored():
            return t.pg.psql("SELECT count(*) FROM registration r JOIN tenant t ON t.id = r.tenant_id WHERE t.domain = '%s' "
                             "AND r.extension = '%d' AND r.node_id = 'n1' AND r.call_id <> '%s'" % (DOMAIN_B, ext, stamp.splitlines()[0]))
        assert ct.wait_until(lambda: stored() == "1", 5), t.pg.psql("SELECT * FROM registration WHERE extension = '%d'" % ext)
        assert t.n1.alive and t.n2.alive
    finally:
        on_n1.close()
        on_n2.close()
