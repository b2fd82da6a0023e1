"""Forwarded actions (docs/cluster.md, "Forwarded actions"), against two real nodes on a private
PostgreSQL: tenants A and B are homed on n2; their AMI users and REST tokens talk to n1, which
forwards every action that touches calls to n2 over the control channel (--cluster-bind).

- each forwarded action (Setvar, Getvar, Status, CoreShowChannels, BlindTransfer, Redirect, Hangup of
  one channel and of a /regex/) answers on n1 as the same user's session on n2 answers it: the same
  response, the same list events with the session's ActionID, the same Complete event;
- tenant B's sessions on n1 (forwarded to n2 like A's) find none of A's channels: every action on them
  is answered as for a channel that does not exist, and B's lists are empty;
- the REST API on n1 places (POST), lists (GET) and ends (DELETE) tenant A's call running on n2;
- a forwarded action that takes longer than --cluster-forward-timeout-seconds is answered
  'Forwarded action timed out' (a sync Originate whose phone rings longer).
"""

from __future__ import annotations

import re
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from types import SimpleNamespace
from typing import List

import pytest

import calltools as ct
from calltools import DOMAIN_A, TENANT_A_UUID, TENANT_B_UUID, Sipp
from panel import Panel, api  # tests/common: the admin panel and the REST API
from conftest import homes

NUMBER = "0391234567"
HEARTBEAT = 1
FAILOVER = 30
FORWARD_TIMEOUT = 3
ADMIN_PASSWORD = "forwarding-admin-1"
TENANTS = {TENANT_A_UUID, TENANT_B_UUID, ct.TENANT_C_UUID}
# Values that differ between two reads of the same channel a moment apart.
VOLATILE = {"ActionID", "Duration", "Seconds"}


def start_node(base, name: str, pg, extra=()) -> ct.Server:
    return ct.Server(base / name, name=name,
                     extra_args=["--node-id", name, "--cluster-database", pg.url,
                                 "--cluster-heartbeat-seconds", str(HEARTBEAT),
                                 "--cluster-failover-seconds", str(FAILOVER),
                                 "--cluster-bind", "127.0.0.1:%d" % ct.free_ports(1)[0]] + list(extra))


def metric(node: ct.Server, name: str, labels: str = "") -> float:
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % node.http_port, timeout=5) as reply:
        text = reply.read().decode()
    values = [float(m.group(2)) for m in re.finditer(r"^%s(\{[^}]*\})? (\S+)$" % re.escape(name), text, re.M)
              if labels in (m.group(1) or "")]
    return sum(values)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, private_postgres):
    pg = private_postgres
    base = tmp_path_factory.mktemp("forwarding")
    n1 = start_node(base, "n1", pg, ["--admin-password", ADMIN_PASSWORD,
                                     "--cluster-forward-timeout-seconds", str(FORWARD_TIMEOUT)])
    try:
        assert ct.wait_until(lambda: TENANTS <= set(homes(pg)), 10), n1.log_text()[-3000:]
        (base / "n2" / "data").mkdir(parents=True)
        shutil.copy(n1.data_dir / "secret.key", base / "n2" / "data" / "secret.key")
        n2 = start_node(base, "n2", pg)
    except BaseException:
        n1.stop()
        raise
    try:
        assert ct.wait_until(lambda: "n2" in pg.psql("SELECT node_id FROM cluster_node WHERE heartbeat_at IS NOT NULL"), 10)
        pg.psql("UPDATE cluster_tenant SET home_node = 'n2' WHERE tenant_uuid IN ('%s', '%s'); NOTIFY centralino_cluster, 'homes'"
                % (TENANT_A_UUID, TENANT_B_UUID))
        # Both nodes know: an action of A sent to n1 is forwarded (n1 counts it) and run by n2 (which
        # would refuse it, naming n1, while it still thought A homed there).
        probe = ct.AMIRecorder(n1.ami_port, "monitor", "m0nitor")
        try:
            def forwarded():
                before = metric(n1, "centralino_cluster_forwarded_actions_total", 'side="sent"')
                reply = probe.action([("Action", "Getvar"), ("Channel", "PJSIP/none-00000000"), ("Variable", "X")])[0]
                after = metric(n1, "centralino_cluster_forwarded_actions_total", 'side="sent"')
                return after > before and reply.get("Message") == "No such channel"
            assert ct.wait_until(forwarded, 10, step=0.5), n1.log_text()[-3000:]
        finally:
            probe.close()
    except BaseException:
        n2.stop()
        n1.stop()
        raise
    yield SimpleNamespace(pg=pg, n1=n1, n2=n2)
    n2.stop()
    n1.stop()


def shape(messages: List[ct.Msg]) -> List[tuple]:
    """A reply as (name, [(field, value)]) per message, without the values that change by themselves."""
    return [(m.event or "Response", [(k, v if k not in VOLATILE else "") for k, v in m.pairs if k not in ("ActionID",)])
            for m in messages]


def start_call(n2: ct.Server, crm: ct.AMIRecorder, workdir):
    """A click-to-call of tenant A (agent 100 registered on n2), its Originate sent through `crm` (on
    n1): (agent SIPp, trunk SIPp, the agent's channel name, the trunk's)."""
    port = ct.register_phone(n2, workdir, "100", DOMAIN_A)
    agent = Sipp(ct.uas_scenario(workdir, "answer", ring=200, end="wait"), workdir, local_port=port, timeout=40, tag="agent100")
    trunk = Sipp(ct.uas_scenario(workdir, "answer", ring=200, end="wait"), workdir,
                 local_port=n2.trunk_port(DOMAIN_A), timeout=40, tag="trunk")
    mark = crm.mark()
    form = ct.c2c_variables_form("100", NUMBER)
    headers = [(k, v) for k, v in form.items() if k != "Variable"] + [("Variable", v) for v in form["Variable"]]
    reply = crm.action(headers)[0]
    assert reply.get("Response") == "Success", reply

    def up(prefix):
        return [m.get("Channel") for m in crm.events(mark, name="Newstate")
                if m.get("Channel", "").startswith(prefix) and m.get("ChannelStateDesc") == "Up"]
    assert ct.wait_until(lambda: up("PJSIP/100-") and up("PJSIP/carrier-"), 15), [(m.event, m.get("Channel")) for m in crm.events(mark)]
    return agent, trunk, up("PJSIP/100-")[0], up("PJSIP/carrier-")[0]


def test_forwarded_actions_answer_as_on_the_home_node(cluster, tmp_path):
    n1, n2 = cluster.n1, cluster.n2
    on_n1 = ct.AMIRecorder(n1.ami_port, "monitor", "m0nitor")
    on_n2 = ct.AMIRecorder(n2.ami_port, "monitor", "m0nitor")
    crm = ct.AMIRecorder(n1.ami_port, "crm", "s3cret")
    b_on_n1 = ct.AMIRecorder(n1.ami_port, "monitor_b", "m0nitorB")
    agent = trunk = None
    try:
        agent, trunk, agent_channel, trunk_channel = start_call(n2, crm, tmp_path)
        sent_before = metric(n1, "centralino_cluster_forwarded_actions_total", 'side="sent"')

        # Setvar through n1, read back through both.
        set_reply = on_n1.action([("Action", "Setvar"), ("Channel", agent_channel), ("Variable", "CRM_TAG"), ("Value", "t-42")])
        assert shape(set_reply) == [("Response", [("Response", "Success"), ("Message", "Variable Set")])], set_reply
        for recorder in (on_n1, on_n2):
            got = recorder.action([("Action", "Getvar"), ("Channel", agent_channel), ("Variable", "CRM_TAG")])
            assert shape(got) == [("Response", [("Response", "Success"), ("Variable", "CRM_TAG"), ("Value", "t-42")])], got

        # Lists: the same events, each with the session's ActionID, and the same Complete.
        for action in ([("Action", "Status")],
                       [("Action", "Status"), ("Channel", agent_channel), ("Variables", "CRM_TAG,C2C_SRC")],
                       [("Action", "CoreShowChannels")]):
            forwarded, local = on_n1.action(action), on_n2.action(action)
            assert shape(forwarded) == shape(local), (action, forwarded, local)
            assert forwarded[0].get("EventList") == "start" and forwarded[-1].get("EventList") == "Complete", forwarded
            aid = forwarded[0].get("ActionID")
            assert aid and all(m.get("ActionID") == aid for m in forwarded), forwarded
            assert len(forwarded) >= 3, "the call's channels are listed: %s" % forwarded
        status = on_n1.action([("Action", "Status"), ("Channel", agent_channel), ("Variables", "CRM_TAG")])
        assert [m.get("Variable") for m in status if m.event == "Status"] == ["CRM_TAG=t-42"], status
        # The Status event's field order is the single node's (ActionID last, as Asterisk writes it).
        assert [m for m in status if m.event == "Status"][0].keys[-1] == "ActionID"

        # Errors answered on n2, as n2 answers them.
        for action in ([("Action", "Getvar"), ("Channel", "PJSIP/none-00000001"), ("Variable", "CRM_TAG")],
                       [("Action", "Setvar"), ("Channel", "PJSIP/none-00000001"), ("Variable", "A"), ("Value", "1")],
                       [("Action", "Status"), ("Channel", "PJSIP/none-00000001")],
                       [("Action", "BlindTransfer"), ("Channel", "PJSIP/none-00000001"), ("Exten", "101")],
                       [("Action", "Redirect"), ("Channel", agent_channel), ("Context", "nosuchcontext"),
                        ("Exten", "0000999"), ("Priority", "1")],
                       [("Action", "Hangup"), ("Channel", "/^PJSIP.nobody-/")]):
            forwarded, local = on_n1.action(action), on_n2.action(action)
            assert shape(forwarded) == shape(local), (action, forwarded, local)
        # The session's own permissions hold: crm (write=call,originate) may not CoreShowChannels.
        denied = crm.action([("Action", "CoreShowChannels")])[0]
        assert (denied.get("Response"), denied.get("Message")) == ("Error", "Permission denied"), denied

        # Tenant B (homed on n2 too, forwarded the same way) cannot reach A's channels.
        b_mark = b_on_n1.mark()
        for action, message in (
                ([("Action", "Hangup"), ("Channel", agent_channel)], "No such channel"),
                ([("Action", "Setvar"), ("Channel", agent_channel), ("Variable", "CRM_TAG"), ("Value", "b")], "No such channel"),
                ([("Action", "Getvar"), ("Channel", agent_channel), ("Variable", "CRM_TAG")], "No such channel"),
                ([("Action", "Status"), ("Channel", agent_channel)], "No such channel"),
                ([("Action", "BlindTransfer"), ("Channel", agent_channel), ("Exten", "101")], "Channel specified does not exist"),
                ([("Action", "Redirect"), ("Channel", agent_channel), ("Context", "default"), ("Exten", "101"), ("Priority", "1")],
                 "Channel does not exist: %s" % agent_channel)):
            reply = b_on_n1.action(action)[0]
            assert (reply.get("Response"), reply.get("Message")) == ("Error", message), (action, reply)
        for action in ([("Action", "Status")], [("Action", "CoreShowChannels")], [("Action", "Hangup"), ("Channel", "/.*/")]):
            listed = b_on_n1.action(action)
            assert listed[-1].get("ListItems") == "0", (action, listed)
        assert not [m for m in b_on_n1.since(b_mark) if m.event in ("Hangup", "VarSet")], "B touched A's call"
        assert on_n2.action([("Action", "Getvar"), ("Channel", agent_channel), ("Variable", "CRM_TAG")])[0].get("Value") == "t-42"

        # Hangup of a /regex/ through n1: A's channels of the call are hung up on n2, listed back.
        mark = on_n1.mark()
        hung = on_n1.action([("Action", "Hangup"), ("Channel", "/^PJSIP.(100|carrier)-/")], timeout=10)
        assert hung[0].get("Message") == "Channels hung up will follow", hung
        names = sorted(m.get("Channel") for m in hung if m.event == "ChannelHungup")
        assert names == sorted([agent_channel, trunk_channel]), hung
        assert hung[-1].event == "ChannelsHungupListComplete" and hung[-1].get("ListItems") == "2", hung
        ct.sipp_ok(agent.wait(10), "agent phone (hung up through n1)")
        ct.sipp_ok(trunk.wait(10), "trunk (hung up through n1)")
        agent = trunk = None
        assert on_n1.wait_for(lambda m: m.event == "Hangup" and m.get("Channel") == agent_channel and m.get("SystemName") == "n2", 5, mark)
        assert metric(n1, "centralino_cluster_forwarded_actions_total", 'side="sent"') - sent_before >= 20
    finally:
        for peer in (agent, trunk):
            if peer is not None:
                peer.stop()
        for recorder in (on_n1, on_n2, crm, b_on_n1):
            recorder.close()


def test_rest_calls_on_n1_place_list_and_end_the_call_on_n2(cluster, tmp_path):
    n1, n2 = cluster.n1, cluster.n2
    token = Panel(n1.http_port, "admin", ADMIN_PASSWORD).new_token("forwarding")
    a, b = "?tenant=%s" % TENANT_A_UUID, "?tenant=%s" % TENANT_B_UUID
    port = ct.register_phone(n2, tmp_path, "100", DOMAIN_A)
    agent = Sipp(ct.uas_scenario(tmp_path, "answer", ring=200, end="wait"), tmp_path, local_port=port, timeout=40, tag="agent100")
    trunk = Sipp(ct.uas_scenario(tmp_path, "answer", ring=200, end="wait"), tmp_path,
                 local_port=n2.trunk_port(DOMAIN_A), timeout=40, tag="trunk")
    try:
        status, body = api(n1.http_port, token, "POST", "/api/v1/calls",
                           {"from": "100", "to": NUMBER, "timeout_ms": 10000, "tenant": TENANT_A_UUID})
        assert status == 201, body
        call_id = body["id"]
        assert re.fullmatch(r"n2-\d+\.\d+", call_id), "the call runs on n2: %s" % body

        def listed():
            s, calls = api(n1.http_port, token, "GET", "/api/v1/calls" + a)
            assert s == 200, calls
            mine = [c for c in calls if c["id"] == call_id]
            return mine[0] if mine and mine[0]["state"] == "up" else None
        assert ct.wait_until(lambda: listed() is not None, 10, 0.3), api(n1.http_port, token, "GET", "/api/v1/calls" + a)
        assert listed()["from"] == "100" and listed()["to"] == NUMBER
        # The same list as n2's own answer would hold; tenant B's list (also on n2) is empty and
        # B cannot end A's call.
        assert api(n1.http_port, token, "GET", "/api/v1/calls" + b) == (200, [])
        assert api(n1.http_port, token, "DELETE", "/api/v1/calls/%s%s" % (call_id, b))[0] == 404
        assert api(n1.http_port, token, "DELETE", "/api/v1/calls/%s%s" % (call_id, a)) == (204, None)
        ct.sipp_ok(agent.wait(10), "agent phone (call ended over REST on n1)")
        ct.sipp_ok(trunk.wait(10), "trunk")
        agent = trunk = None
        assert ct.wait_until(lambda: api(n1.http_port, token, "GET", "/api/v1/calls" + a) == (200, []), 5, 0.3)
        assert api(n1.http_port, token, "DELETE", "/api/v1/calls/%s%s" % (call_id, a))[0] == 404
        # Refusals come back with their codes: extension 199 does not exist on n2.
        status, body = api(n1.http_port, token, "POST", "/api/v1/calls",
                           {"from": "199", "to": NUMBER, "tenant": TENANT_A_UUID})
        assert (status, body["error"]["code"]) == (404, "unknown_extension"), body
    finally:
        for peer in (agent, trunk):
            if peer is not None:
                peer.stop()


def test_a_forwarded_action_over_the_timeout_is_answered_timed_out(cluster, tmp_path):
    n1, n2 = cluster.n1, cluster.n2
    port = ct.register_phone(n2, tmp_path, "100", DOMAIN_A)
    # The agent's phone rings 3 s longer than n1 waits, then refuses.
    ring_ms = (FORWARD_TIMEOUT + 3) * 1000
    agent = Sipp(ct.uas_scenario(tmp_path, "reject", ring=ring_ms, code=486), tmp_path, local_port=port, timeout=40, tag="agent100")
    crm = ct.AMIRecorder(n1.ami_port, "crm", "s3cret")
    try:
        before = metric(n1, "centralino_cluster_forwarded_actions_total", 'side="timed_out"')
        form = ct.c2c_variables_form("100", NUMBER, timeout_ms=20000)
        form["Async"] = "false"
        headers = [(k, v) for k, v in form.items() if k != "Variable"] + [("Variable", v) for v in form["Variable"]]
        started = time.monotonic()
        reply = crm.action(headers, timeout=FORWARD_TIMEOUT + 5)[0]
        waited = time.monotonic() - started
        assert (reply.get("Response"), reply.get("Message")) == ("Error", "Forwarded action timed out"), reply
        assert FORWARD_TIMEOUT - 0.5 <= waited <= FORWARD_TIMEOUT + 2, waited
        assert metric(n1, "centralino_cluster_forwarded_actions_total", 'side="timed_out"') == before + 1
        # The session goes on: the next action is answered.
        assert crm.action([("Action", "Ping")])[0].get("Response") == "Success"
        ct.sipp_ok(agent.wait(15), "agent phone (rang, refused)")
        agent = None
    finally:
        if agent is not None:
            agent.stop()
        crm.close()
