"""Two Centralino nodes, n1 and n2, on one PostgreSQL (docs/cluster.md, "Nodes, homes and the event
bus"), against the real binaries. As a real cluster runs, the module's own PostgreSQL is both nodes'
store (`--database`: each applies the calls suite's YAML to it, n2 last, so the trunks are n2's) and
holds the cluster tables and the event bus; the nodes share the store's secret key file.

- the nodes create the cluster tables, write their rows (their own dispatcher sets) and heartbeats;
  n1, alone at first, homes every tenant; n2 joins and takes none;
- an operator moves tenant A to n2: n1 refuses A's Originate ("Tenant homed on node n2"); a
  click-to-call placed on n2 is seen by A's CRM logged in on n1, with `SystemName: n2` and
  uniqueids `n2-<epoch>.<n>`, once each; tenant B's CRM on n1 gets none of it;
- an event over PostgreSQL's NOTIFY limit goes through `cluster_event_payload` and arrives whole;
- PostgreSQL restarts: both nodes reconnect, /healthz fails while it is down, events flow again
  without a restart and n1 counts the events n2 published while the database was away as lost;
- kill -9 n2: within the failover time tenant A is homed on n1 again, and a click-to-call on n1 works.
"""

from __future__ import annotations

import re
import shutil
import time
import urllib.error
import urllib.request
from types import SimpleNamespace
from typing import Optional

import pytest

import calltools as ct
import pgserver
import sipwire
from calltools import DOMAIN_A, DOMAIN_B, PASSWORDS, TENANT_A_UUID, TENANT_B_UUID, TENANT_C_UUID, Sipp
from conftest import heartbeat_age, homes

NUMBER = "0391234567"
HEARTBEAT = 1
FAILOVER = 4
# The YAML's tenants (each node's store also has a default tenant of its own).
TENANTS = {TENANT_A_UUID, TENANT_B_UUID, TENANT_C_UUID}


def start_node(base, name: str, pg, extra=()) -> ct.Server:
    """A node whose store is the module's PostgreSQL (`--database`), which is its cluster database too."""
    with pgserver.store_in(base / name / "data", pg.url):
        return ct.Server(base / name, name=name,
                         extra_args=["--node-id", name,
                                     "--cluster-heartbeat-seconds", str(HEARTBEAT),
                                     "--cluster-failover-seconds", str(FAILOVER)] + list(extra))


def http_get(node: ct.Server, path: str):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (node.http_port, path), timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


def metric(node: ct.Server, name: str) -> float:
    """The sum of a metric's samples at /metrics (every label set)."""
    _, text = http_get(node, "/metrics")
    values = [float(m.group(2)) for m in re.finditer(r"^%s(\{[^}]*\})? (\S+)$" % re.escape(name), text, re.M)]
    assert values, "%s not in /metrics:\n%s" % (name, text[-3000:])
    return sum(values)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, private_postgres):
    pg = private_postgres
    base = tmp_path_factory.mktemp("nodes")
    n1 = start_node(base, "n1", pg)
    try:
        assert ct.wait_until(lambda: TENANTS <= set(homes(pg)), 10), "n1 did not place the tenants: %s" % n1.log_text()[-3000:]
        # n2 takes forwarded actions (--cluster-bind), n1 does not; nodes share the data directory's
        # secret key (one PostgreSQL store: it opens the store's secrets), which signs forwarded actions.
        (base / "n2" / "data").mkdir(parents=True)
        shutil.copy(n1.data_dir / "secret.key", base / "n2" / "data" / "secret.key")
        n2 = start_node(base, "n2", pg, ["--cluster-bind", "127.0.0.1:%d" % ct.free_ports(1)[0]])
        # n2 applied the YAML last: the store's trunks (for either node) are n2's.
        n1.trunk_a, n1.trunk_b, n1.trunk_c = n2.trunk_a, n2.trunk_b, n2.trunk_c
    except BaseException:
        n1.stop()
        raise
    yield SimpleNamespace(pg=pg, n1=n1, n2=n2)
    n2.stop()
    n1.stop()


def originate_headers(agent: str, tenant: str = TENANT_A_UUID):
    form = ct.c2c_variables_form(agent, NUMBER, tenant)
    headers = [(k, v) for k, v in form.items() if k != "Variable"]
    return headers + [("Variable", v) for v in form["Variable"]]


SDP = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       b"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def invite_from_phone(node: ct.Server, ext: str = "100", domain: str = DOMAIN_A, to: str = "101") -> sipwire.Message:
    """A phone of `domain` calls `to` on `node` (answering the digest challenge): the final response."""
    with sipwire.SipClient(node.sip_port) as phone:
        ruri = "sip:%s@%s" % (to, domain)
        caller = "sip:%s@%s" % (ext, domain)
        headers = [("Contact", "<sip:%s@127.0.0.1:%d>" % (ext, phone.local[1])), ("Content-Type", "application/sdp")]
        first = phone.request("INVITE", ruri, ruri, from_=caller, extra=headers, body=SDP)
        if first.status != 401:
            return first
        auth = sipwire.digest_authorization(sipwire.pick_challenge(first), "INVITE", ruri, ext, PASSWORDS[(domain, ext)])
        return phone.request("INVITE", ruri, ruri, from_=caller, extra=headers + [("Authorization", auth)], body=SDP)


def click_to_call(node: ct.Server, workdir, via: Optional[ct.Server] = None) -> dict:
    """A click-to-call of tenant A's agent 100 (registered on `node`) to the trunk, the Originate sent
    to `via` (default `node`): the final message."""
    port = ct.register_phone(node, workdir, "100", DOMAIN_A)
    agent = Sipp(ct.uas_scenario(workdir, "answer", ring=300, end="wait"), workdir, local_port=port,
                 timeout=25, tag="agent100")
    trunk = Sipp(ct.uas_scenario(workdir, "answer", ring=300, end="bye", hold=1000), workdir,
                 local_port=node.trunk_port(DOMAIN_A), timeout=25, tag="trunk")
    res = ct.PanoramiskOriginate((via or node).ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER)).result(25)
    ct.sipp_ok(agent.wait(), "agent phone")
    ct.sipp_ok(trunk.wait(), "trunk")
    return ct.final_originate_message(res)


def test_nodes_join_heartbeat_and_home_every_tenant(cluster):
    pg = cluster.pg

    def both_beating():
        rows = pg.psql("SELECT node_id, dispatcher_set, sip_uri, extract(epoch FROM now() - heartbeat_at) "
                       "FROM cluster_node ORDER BY node_id")
        found = [line.split("|") for line in rows.splitlines()]
        return [r[0] for r in found] == ["n1", "n2"] and all(float(r[3]) < 2 * HEARTBEAT + 1 for r in found)

    assert ct.wait_until(both_beating, 10), pg.psql("SELECT * FROM cluster_node")
    nodes = [line.split("|") for line in pg.psql("SELECT node_id, dispatcher_set, sip_uri FROM cluster_node ORDER BY node_id").splitlines()]
    assert sorted(int(n[1]) for n in nodes) == [1, 2], "each node its own dispatcher set: %s" % nodes
    assert nodes[1][2] == "sip:127.0.0.1:%d" % cluster.n2.sip_port, nodes
    # Kamailio's view of them.
    assert len(pg.psql("SELECT destination FROM dispatcher").splitlines()) == 2
    before = pg.psql("SELECT heartbeat_at FROM cluster_node WHERE node_id = 'n2'")
    assert ct.wait_until(lambda: pg.psql("SELECT heartbeat_at FROM cluster_node WHERE node_id = 'n2'") != before, 3 * HEARTBEAT)
    # n1 was alone when it placed the tenants; n2 joined and took none.
    time.sleep(2 * HEARTBEAT)
    assert set(homes(pg).values()) == {"n1"}, homes(pg)
    domains = pg.psql("SELECT domain FROM cluster_tenant ORDER BY domain").splitlines()
    assert {DOMAIN_A, DOMAIN_B, ct.DOMAIN_C} <= set(domains), domains
    assert metric(cluster.n2, "centralino_cluster_heartbeats_total") >= 2
    assert http_get(cluster.n1, "/healthz")[0] == 200


def test_a_tenants_crm_on_n1_sees_the_call_running_on_n2(cluster, tmp_path):
    pg, n1, n2 = cluster.pg, cluster.n1, cluster.n2
    # The operator moves tenant A to n2 (and tells the nodes at once).
    pg.psql("UPDATE cluster_tenant SET home_node = 'n2' WHERE tenant_uuid = '%s'; NOTIFY centralino_cluster, 'homes'"
            % TENANT_A_UUID)
    crm = ct.AMIRecorder(n1.ami_port, "crm", "s3cret")
    crm_b = ct.AMIRecorder(n1.ami_port, "crm_b", "s3cretB")
    local = ct.AMIRecorder(n2.ami_port, "crm", "s3cret")
    b_on_n2 = ct.AMIRecorder(n2.ami_port, "crm_b", "s3cretB")
    try:
        # A phone of tenant A calling through n1 is told to come back (the edge sends it to n2).
        def refused_on_n1():
            refused = invite_from_phone(n1)
            return refused.status == 503 and refused.get("retry-after") == "5"
        assert ct.wait_until(refused_on_n1, 3 * HEARTBEAT + 2, step=0.3), invite_from_phone(n1).text()
        # Tenant B (homed on n1) still calls on n1: past the home check (no such extension 999).
        assert invite_from_phone(n1, domain=DOMAIN_B, to="999").status != 503
        # n1 takes no forwarded actions (no --cluster-bind): n2 refuses tenant B's Originate, naming n1.
        reply = b_on_n2.action([("Action", "Originate")] + originate_headers("100", TENANT_B_UUID))[0]
        assert (reply.get("Response"), reply.get("Message")) == ("Error", "Tenant homed on node n1"), reply
        time.sleep(0.5)
        mark, mark_local, mark_b = crm.mark(), local.mark(), crm_b.mark()

        # The CRM's click-to-call goes to n1; n1 forwards it to n2, which runs the call; the
        # OriginateResponse comes back to the CRM over the event bus.
        final = click_to_call(n2, tmp_path, via=n1)
        assert final.get("Response") == "Success", final
        assert metric(n1, "centralino_cluster_forwarded_actions_total") >= 1
        assert metric(n2, "centralino_cluster_forwarded_actions_total") >= 1, "n2 took the forwarded Originate"
        assert "cluster control listening on 127.0.0.1:" in "".join(n2.stdout_lines)

        def hung_up_on_n1():
            return len(crm.events(mark, name="Hangup")) >= 2
        assert ct.wait_until(hung_up_on_n1, 10), [m.event for m in crm.events(mark)]
        remote = [m for m in crm.events(mark) if m.get("SystemName") == "n2"]
        assert remote, "no event of n2 reached tenant A's CRM on n1"
        assert all(m.get("SystemName") == "n2" for m in crm.events(mark) if m.get("Uniqueid")), "every call event is n2's"
        ids = [m.get("Uniqueid") for m in crm.events(mark, name="Newchannel")]
        assert ids and all(re.fullmatch(r"n2-\d+\.\d+", i) for i in ids), ids
        assert len(ids) == len(set(ids)), "each channel announced once on n1: %s" % ids
        assert all((m.get("Linkedid") or "").startswith("n2-") for m in crm.events(mark, name="Newchannel"))
        # The same events as a session of the same user on n2 itself (which also carry SystemName).
        assert ct.wait_until(lambda: len(local.events(mark_local, name="Hangup")) >= 2, 5)
        assert [m.get("Uniqueid") for m in local.events(mark_local, name="Newchannel")] == ids
        assert all(m.get("SystemName") == "n2" for m in local.events(mark_local) if m.get("Uniqueid"))
        # Tenant B's CRM on n1 saw nothing of tenant A's call.
        leaked = [m for m in crm_b.events(mark_b) if m.get("SystemName") == "n2" or m.get("Uniqueid") in ids]
        assert not leaked, leaked
        assert metric(n1, "centralino_cluster_bus_delivered_total") >= len(remote)
        assert metric(n2, "centralino_cluster_bus_published_total") >= len(remote)
    finally:
        crm.close()
        crm_b.close()
        local.close()
        b_on_n2.close()


def test_redirect_and_hangup_sent_to_n1_act_on_the_call_on_n2(cluster, tmp_path):
    n1, n2 = cluster.n1, cluster.n2
    port = ct.register_phone(n2, tmp_path, "100", DOMAIN_A)
    agent = Sipp(ct.uas_scenario(tmp_path, "answer", ring=300, end="wait"), tmp_path, local_port=port,
                 timeout=25, tag="agent100")
    trunk = Sipp(ct.uas_scenario(tmp_path, "answer", ring=300, end="wait"), tmp_path,
                 local_port=n2.trunk_port(DOMAIN_A), timeout=25, tag="trunk")
    crm = ct.AMIRecorder(n1.ami_port, "crm", "s3cret")
    try:
        mark = crm.mark()
        reply = crm.action([("Action", "Originate")] + originate_headers("100"))[0]
        assert reply.get("Response") == "Success", reply
        answered = crm.wait_for(lambda m: m.event == "OriginateResponse", 15, mark)
        assert answered is not None and answered.get("Response") == "Success", answered
        # The agent's answered channel (a contact left registered by an earlier test is rung too).
        def agent_up():
            return [m.get("Channel") for m in crm.events(mark, name="Newstate")
                    if m.get("Channel", "").startswith("PJSIP/100-") and m.get("ChannelStateDesc") == "Up"]
        def trunk_up():
            return [m for m in crm.events(mark, name="Newstate")
                    if m.get("Channel", "").startswith("PJSIP/carrier-") and m.get("ChannelStateDesc") == "Up"]
        assert ct.wait_until(lambda: agent_up() and trunk_up(), 10), [(m.event, m.get("Channel")) for m in crm.events(mark)]
        agent_channel = agent_up()[0]
        # A Redirect sent to n1 is carried out on n2: the channel is found there, the target is not
        # in the dialplan (n1 itself would answer 'Channel does not exist').
        moved = crm.action([("Action", "Redirect"), ("Channel", agent_channel), ("Context", "nosuchcontext"),
                            ("Exten", "0000999"), ("Priority", "1")])[0]
        assert (moved.get("Response"), moved.get("Message")) == ("Error", "Redirect failed"), moved
        hung = crm.action([("Action", "Hangup"), ("Channel", agent_channel)])[0]
        assert (hung.get("Response"), hung.get("Message")) == ("Success", "Channel Hungup"), hung
        ct.sipp_ok(agent.wait(), "agent phone (hung up from n1)")
        ct.sipp_ok(trunk.wait(), "trunk")
        assert crm.wait_for(lambda m: m.event == "Hangup" and m.get("Channel") == agent_channel and m.get("SystemName") == "n2", 5, mark)
        missing = crm.action([("Action", "Hangup"), ("Channel", agent_channel)])[0]
        assert (missing.get("Response"), missing.get("Message")) == ("Error", "No such channel"), missing
    finally:
        crm.close()


def test_an_event_too_large_for_a_notify_crosses_through_the_table(cluster):
    n1, n2 = cluster.n1, cluster.n2
    on_n1 = ct.AMIRecorder(n1.ami_port, "monitor", "m0nitor")
    on_n2 = ct.AMIRecorder(n2.ami_port, "monitor", "m0nitor")
    try:
        # 24 headers of 900 bytes: about 22 KB of JSON, over PostgreSQL's 8,000-byte NOTIFY limit.
        headers = [("Part%02d" % i, ("%02d" % i) * 450) for i in range(24)]
        reply = on_n2.action([("Action", "UserEvent"), ("UserEvent", "Big"), ("Tag", "big")] + headers)[0]
        assert reply.get("Response") == "Success", reply
        got = on_n1.wait_for(lambda m: m.event == "UserEvent" and m.get("Tag") == "big", 5)
        assert got is not None, "the large event did not reach n1:\n" + n1.log_text()[-2000:]
        assert got.get("SystemName") == "n2"
        assert all(got.get(name) == value for name, value in headers), "every header arrived whole"
        assert metric(n2, "centralino_cluster_bus_stored_payloads_total") >= 1
        assert int(cluster.pg.psql("SELECT count(*) FROM cluster_event_payload")) >= 1
    finally:
        on_n1.close()
        on_n2.close()


def test_postgres_restart_nodes_reconnect_and_count_lost_events(cluster):
    pg, n1, n2 = cluster.pg, cluster.n1, cluster.n2
    on_n1 = ct.AMIRecorder(n1.ami_port, "monitor", "m0nitor")
    on_n2 = ct.AMIRecorder(n2.ami_port, "monitor", "m0nitor")

    def user_event(rec, tag: str) -> None:
        assert rec.action([("Action", "UserEvent"), ("UserEvent", "ClusterProbe"), ("Tag", tag)])[0].get("Response") == "Success"

    def arrived(rec, tag: str):
        return lambda: any(m.get("Tag") == tag for m in rec.events(name="UserEvent"))

    try:
        user_event(on_n2, "before")
        assert ct.wait_until(arrived(on_n1, "before"), 5)
        lost_before = metric(n1, "centralino_cluster_bus_lost_total")

        pg.halt()
        try:
            assert ct.wait_until(lambda: http_get(n1, "/healthz")[0] == 503, 3 * HEARTBEAT + 2), http_get(n1, "/healthz")
            for index in range(3):
                user_event(on_n2, "down%d" % index)
            time.sleep(1)
        finally:
            pg.start()

        for node in (n1, n2):
            assert ct.wait_until(lambda: http_get(node, "/healthz")[0] == 200, 15), node.log_text()[-3000:]
        # Serving again without a restart: events flow both ways (the first ones may still meet a
        # listener that has not reconnected; they are counted as lost too).
        deadline = time.monotonic() + 20
        index = 0
        while not any(m.get("Tag", "").startswith("after") for m in on_n1.events(name="UserEvent")):
            assert time.monotonic() < deadline, "no event of n2 reached n1 after the restart:\n" + n1.log_text()[-3000:]
            user_event(on_n2, "after%d" % index)
            index += 1
            time.sleep(0.5)
        user_event(on_n1, "back")
        assert ct.wait_until(arrived(on_n2, "back"), 10), "n1's events do not reach n2"
        assert not [m for m in on_n1.events(name="UserEvent") if m.get("Tag", "").startswith("down")]
        lost = metric(n1, "centralino_cluster_bus_lost_total") - lost_before
        assert lost >= 3, "the 3 events n2 published while the database was down are counted lost on n1: %s" % lost
        assert "cluster bus: events lost" in n1.log_text()
        assert metric(n1, "centralino_cluster_bus_reconnects_total") >= 1
        assert n1.alive and n2.alive
    finally:
        on_n1.close()
        on_n2.close()


def test_kill_n2_moves_its_tenants_to_n1_and_calls_work_there(cluster, tmp_path):
    pg, n1, n2 = cluster.pg, cluster.n1, cluster.n2
    assert homes(pg)[TENANT_A_UUID] == "n2"
    age = heartbeat_age(pg, "n2")  # the failover counts from n2's last heartbeat, which may be a second old
    aged = time.monotonic()
    n2.proc.kill()
    assert ct.wait_until(lambda: homes(pg)[TENANT_A_UUID] == "n1", FAILOVER + 2 * HEARTBEAT + 3), (
        homes(pg), n1.log_text()[-3000:])
    since_beat = time.monotonic() - aged + age
    assert since_beat >= FAILOVER - 0.5, "moved %.1f s after n2's last heartbeat" % since_beat
    assert "failover: tenant moved" in n1.log_text()
    assert metric(n1, "centralino_cluster_failover_tenants_total") >= 1
    # The next click-to-call of tenant A works on n1 (once n1 knows it is A's home).
    crm = ct.AMIRecorder(n1.ami_port, "crm", "s3cret")
    try:
        final = click_to_call(n1, tmp_path)
        assert final.get("Response") == "Success", final
        assert ct.wait_until(lambda: crm.events(name="Newchannel"), 5)
        assert all(re.fullmatch(r"n1-\d+\.\d+", m.get("Uniqueid")) for m in crm.events(name="Newchannel"))
    finally:
        crm.close()
