"""Live calls and click-to-call over the REST API (issue 13), against the real binary: SIPp as the
agent's phone and the trunk, raw AMI sessions of the tenants recording the events, API tokens made
through the panel (the system administrator's, and one per tenant administrator of acme and globex).

- `POST /api/v1/calls` places the KalliopePBX click-to-call: the agent's phone rings with
  `"c2c: <to>" <to>`, answers, the trunk gets the number without the outbound prefix, and the tenant's
  AMI sessions see the call (Newchannel of `Local/100@c2c-…;1` whose Uniqueid is the call's id, every
  event with that Linkedid, the OriginateResponse with Response Success);
- `GET /api/v1/calls` lists it for its tenant only; `DELETE /api/v1/calls/{id}` ends it (BYE to the
  phone and to the trunk), and another tenant's token can neither see nor hang it up;
- what can be told at once is refused with a JSON error and nothing rings: unknown extension, phone not
  registered, phone busy (ringing), a destination `from_c2c` does not match, the tenant's channel
  limit, invalid values (400), the system administrator's token without a tenant (400), a tenant's
  token naming another tenant (403).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

import c2chelp as h
import calltools as ct
import refcompare
from calltools import DOMAIN_A, TENANT_A_UUID, TENANT_B_UUID, Server
from panel import Panel, api  # tests/common: the admin panel and the REST API

ADMIN_PASSWORD = "rest-calls-admin-1"
NUMBER = "0391234567"


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    """This module's own server, with a known system administrator password (for the tokens)."""
    srv = Server(tmp_path_factory.mktemp("pbx"), name="restcalls", extra_args=["--admin-password", ADMIN_PASSWORD])
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def tokens(pbx):
    """{"system": …, "acme": …, "globex": …}: API tokens of the system administrator and of one
    administrator of each tenant."""
    system = Panel(pbx.http_port, "admin", ADMIN_PASSWORD)
    made = {"system": system.new_token("system")}
    for key, uuid, domain in (("acme", TENANT_A_UUID, DOMAIN_A), ("globex", TENANT_B_UUID, "globex.test")):
        system.new_tenant_admin(uuid, "ops", "ops-pass-%s-1" % key)
        made[key] = Panel(pbx.http_port, "ops@%s" % domain, "ops-pass-%s-1" % key).new_token(key)
    return made


def error_of(status_body: tuple) -> tuple:
    status, body = status_body
    assert isinstance(body, dict) and "error" in body, (status, body)
    return status, body["error"]["code"]


def originates_answered(port: int) -> float:
    """`centralino_originate_duration_seconds_count{result="answered"}` in /metrics (0 before the first)."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as reply:
        text = reply.read().decode()
    m = re.search(r'(?m)^centralino_originate_duration_seconds_count\{result="answered"\} (\S+)$', text)
    return float(m.group(1)) if m else 0.0


def test_click_to_call_listed_and_hung_up_over_rest(pbx, peers, recorders, tokens):
    port = pbx.http_port
    crm, mon, mon_b = recorders("crm"), recorders("monitor"), recorders("monitor_b")
    m_crm, m_mon, m_b = crm.mark(), mon.mark(), mon_b.mark()
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=500, end="wait"))
    trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=500, end="wait"))

    answered_before = originates_answered(port)
    status, body = api(port, tokens["acme"], "POST", "/api/v1/calls", {"from": "100", "to": NUMBER, "timeout_ms": 10000})
    assert status == 201, body
    call_id = body["id"]
    assert body["from"] == "100" and body["to"] == NUMBER and body["tenant"] == TENANT_A_UUID, body

    # the tenant's AMI sessions see the call: its first channel is the Local ;1 with the call's id
    first = mon.wait_for(lambda m: m.event == "Newchannel", 5, m_mon)
    assert first is not None and first.get("Uniqueid") == call_id, first
    assert re.fullmatch(r"Local/100@c2c-[0-9a-f]{8};1", first.get("Channel") or ""), first
    final = crm.wait_for(lambda m: m.event == "OriginateResponse", 10, m_crm)
    assert final is not None, "the crm session (read=call) never got the OriginateResponse"
    assert (final.get("Response"), final.get("Reason"), final.get("Uniqueid")) == ("Success", "4", call_id), final
    assert (final.get("Context"), final.get("Exten")) == ("from_c2c", NUMBER), final
    assert (final.get("CallerIDNum"), final.get("CallerIDName")) == (NUMBER, "c2c: %s" % NUMBER), final
    assert originates_answered(port) == answered_before + 1, "the REST Originate is in the Originate latency histogram"

    # listed while it lasts, once both legs are up
    def listed():
        s, calls = api(port, tokens["acme"], "GET", "/api/v1/calls")
        assert s == 200, calls
        mine = [c for c in calls if c["id"] == call_id]
        return mine[0] if mine and mine[0]["state"] == "up" else None
    assert ct.wait_until(lambda: listed() is not None, 8, 0.2), api(port, tokens["acme"], "GET", "/api/v1/calls")
    call = listed()
    assert (call["from"], call["to"]) == ("100", NUMBER), call
    assert call["duration"] >= 0 and re.match(r"\d{4}-\d\d-\d\dT", call["started"]), call
    names = [c["name"] for c in call["channels"]]
    assert len(names) == 4 and names[0] == first.get("Channel"), names
    assert any(n.startswith("PJSIP/100-") for n in names) and any(n.startswith("PJSIP/carrier-") for n in names), names
    assert api(port, tokens["acme"], "GET", "/api/v1/calls/%s" % call_id)[1]["id"] == call_id

    # what the phone and the trunk got: the Originate's caller ID, the number without the prefix
    inv = agent.wait_for_message(lambda m: not m.is_response and m.method == "INVITE", 5)
    assert inv is not None and h.from_header_parts(inv) == ("c2c: %s" % NUMBER, NUMBER), inv and inv.header("From")
    tinv = trunk.wait_for_message(lambda m: not m.is_response and m.method == "INVITE", 5)
    assert tinv is not None and re.match(r"sip:391234567@", tinv.ruri), tinv and tinv.start

    # another tenant's token neither sees nor ends it; a system token must name the tenant
    assert api(port, tokens["globex"], "GET", "/api/v1/calls") == (200, [])
    assert error_of(api(port, tokens["globex"], "GET", "/api/v1/calls/%s" % call_id))[0] == 404
    assert error_of(api(port, tokens["globex"], "DELETE", "/api/v1/calls/%s" % call_id))[0] == 404
    assert error_of(api(port, tokens["globex"], "GET", "/api/v1/calls?tenant=%s" % TENANT_A_UUID))[0] == 403
    assert error_of(api(port, tokens["system"], "GET", "/api/v1/calls"))[0] == 400
    s, calls = api(port, tokens["system"], "GET", "/api/v1/calls?tenant=%s" % TENANT_A_UUID)
    assert s == 200 and [c["id"] for c in calls] == [call_id], calls
    assert api(port, tokens["system"], "GET", "/api/v1/calls?tenant=%s" % TENANT_B_UUID) == (200, [])

    # hang-up: both sides get a BYE, no channel is left, the list is empty
    assert api(port, tokens["acme"], "DELETE", "/api/v1/calls/%s" % call_id) == (204, None)
    ra, rt = agent.wait(10), trunk.wait(10)
    ct.sipp_ok(ra, "agent phone 100 (waits for the BYE)")
    ct.sipp_ok(rt, "trunk (waits for the BYE)")
    assert ra.received_requests("BYE") and rt.received_requests("BYE")
    ev = h.wait_call_over(mon, m_mon)
    h.check_call_stream(ev, read_call_only=False)
    ct.no_channels_left(mon)
    assert api(port, tokens["acme"], "GET", "/api/v1/calls") == (200, [])
    assert error_of(api(port, tokens["acme"], "DELETE", "/api/v1/calls/%s" % call_id))[0] == 404
    assert not [m for m in mon_b.since(m_b) if m.event], "globex's session saw acme's call"


def test_system_token_places_a_call_to_an_extension_naming_the_tenant(pbx, peers, recorders, tokens):
    mon = recorders("monitor")
    mark = mon.mark()
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"))
    callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=300, end="bye", hold=1000))
    status, body = api(pbx.http_port, tokens["system"], "POST", "/api/v1/calls",
                       {"from": "100", "to": "101", "tenant": TENANT_A_UUID})
    assert status == 201 and body["timeout_ms"] == 30000, body
    ra, rc = agent.wait(15), callee.wait(15)
    ct.sipp_ok(ra, "agent phone 100")
    ct.sipp_ok(rc, "callee 101 (hangs up after 1 s)")
    ev = h.wait_call_over(mon, mark)
    assert next(m for m in ev if m.event == "Newchannel").get("Uniqueid") == body["id"]
    h.check_call_stream(ev, read_call_only=False)
    assert api(pbx.http_port, tokens["acme"], "GET", "/api/v1/calls") == (200, [])


def test_refusals_ring_nothing(pbx, peers, recorders, tokens):
    port, acme = pbx.http_port, tokens["acme"]
    mon = recorders("monitor")
    peers.register(["100"])
    mark = mon.mark()

    def post(body=None, raw=None, token=acme):
        return error_of(api(port, token, "POST", "/api/v1/calls", body, raw=raw))

    assert post({"from": "999", "to": NUMBER}) == (404, "unknown_extension")
    assert post({"from": "102", "to": NUMBER}) == (409, "unavailable")   # 102 never registers here
    assert post({"from": "100", "to": "5"}) == (404, "unknown_destination")   # from_c2c is _X.
    for bad in ({"from": "100", "to": NUMBER, "timeout_ms": -5}, {"from": "100", "to": NUMBER, "timeout_ms": 0},
                {"from": "100", "to": NUMBER, "timeout_ms": 10 ** 9}, {"from": "1x0", "to": NUMBER},
                {"from": "100", "to": "03912a"}, {"from": "100", "to": "0" * 33}, {"from": "", "to": NUMBER},
                {"from": "100", "to": NUMBER + "\r\nAction: Logoff"}):
        assert post(bad)[0] == 400, bad
    for raw in (b'{"from": "100", "to": "%s", "timeout_ms": 1e300}' % NUMBER.encode(),
                b'{"from": "100", "to": "%s", "timeout_ms": NaN}' % NUMBER.encode(),
                b'{"from": "100", "to": "%s", "timeout_ms": 1000.5}' % NUMBER.encode(),
                b'{"from": 100, "to": "%s"}' % NUMBER.encode(), b"[]", b"{"):
        assert post(raw=raw)[0] == 400, raw
    assert post({"from": "100", "to": NUMBER}, token=None) == (401, "unauthenticated")
    assert post({"from": "100", "to": NUMBER}, token=tokens["system"])[0] == 400   # no tenant named
    assert post({"from": "100", "to": NUMBER, "tenant": TENANT_A_UUID}, token=tokens["globex"])[0] == 403
    assert post({"from": "100", "to": NUMBER, "tenant": "not-a-uuid"}, token=tokens["system"])[0] == 404
    assert ct.wait_until(lambda: False, 0.5) is False
    assert not mon.events(mark, "Newchannel"), "a refused click-to-call created channels"


def test_busy_phone_then_hang_up_while_ringing(pbx, peers, recorders, tokens):
    port, acme = pbx.http_port, tokens["acme"]
    mon = recorders("monitor")
    mark = mon.mark()
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "noanswer", ring=None))
    status, body = api(port, acme, "POST", "/api/v1/calls", {"from": "100", "to": NUMBER, "timeout_ms": 20000})
    assert status == 201, body
    assert agent.wait_for_message(lambda m: not m.is_response and m.method == "INVITE", 5) is not None
    assert ct.wait_until(lambda: [c["state"] for c in api(port, acme, "GET", "/api/v1/calls")[1]] == ["ringing"], 5, 0.1), \
        api(port, acme, "GET", "/api/v1/calls")
    status, err = error_of(api(port, acme, "POST", "/api/v1/calls", {"from": "100", "to": NUMBER}))
    assert (status, err) == (409, "busy")
    assert api(port, acme, "DELETE", "/api/v1/calls/%s" % body["id"]) == (204, None)
    ra = agent.wait(10)
    ct.sipp_ok(ra, "agent phone 100 (rings until CANCEL)")
    assert ra.received_requests("CANCEL"), "the ringing phone never got a CANCEL"
    final = mon.wait_for(lambda m: m.event == "OriginateResponse", 5, mark)
    assert final is not None and final.get("Response") == "Failure", final
    h.wait_call_over(mon, mark)
    ct.no_channels_left(mon)


def test_tenant_channel_limit(pbx, peers, recorders, tokens):
    port = pbx.http_port
    peers.register(["100"])
    mon = recorders("monitor")
    mark = mon.mark()
    path = "/api/v1/tenants/%s" % TENANT_A_UUID
    assert api(port, tokens["system"], "PUT", path, {"name": "acme", "limits": {"channels": 2}})[0] == 200
    try:
        assert ct.wait_until(
            lambda: api(port, tokens["system"], "GET", path + "/capacity")[1].get("channelsLimit") == 2, 5, 0.1)
        status, body = api(port, tokens["acme"], "POST", "/api/v1/calls", {"from": "100", "to": NUMBER})
        assert (status, body["error"]["code"]) == (429, "tenant_limit"), body
        assert "2 concurrent channels" in body["error"]["message"], body
    finally:
        assert api(port, tokens["system"], "PUT", path, {"name": "acme", "limits": {}})[0] == 200
    assert not mon.events(mark, "Newchannel")


def test_openapi_documents_the_call_routes(pbx):
    status, doc = api(pbx.http_port, None, "GET", "/api/v1/openapi.json")
    assert status == 200
    assert set(doc["paths"]["/calls"]) >= {"get", "post", "parameters"}, doc["paths"]["/calls"]
    assert set(doc["paths"]["/calls/{id}"]) >= {"get", "delete", "parameters"}
    post = doc["paths"]["/calls"]["post"]
    assert set(post["responses"]) >= {"201", "400", "404", "409", "429"}
    assert set(doc["components"]["schemas"]["ClickToCallInput"]["required"]) == {"from", "to"}
    assert "calls" in doc["components"]["schemas"]["Live"]["properties"]


def cdrs_of(port: int, token: str, linkedid: str, timeout: float = 5.0) -> list:
    """The call's CDRs (GET /api/v1/cdr, written in batches off the loops): once they stop changing."""
    seen: list = []

    def settled():
        nonlocal seen
        status, body = api(port, token, "GET", "/api/v1/cdr?limit=100")
        assert status == 200, body
        now = [r for r in body["records"] if r["linkedid"] == linkedid]
        done = bool(now) and now == seen
        seen = now
        return done
    assert ct.wait_until(settled, timeout, 0.3), "no CDR with linkedid %s" % linkedid
    return seen


def comparable(records: list) -> list:
    """CDR fields that must be the same for the same call placed twice: no ids, times or name suffixes."""
    drop = {"id", "start", "answer", "end", "duration", "billsec", "uniqueid", "linkedid"}
    return sorted(
        sorted((k, re.sub(r"-[0-9a-f]{8}(;[12])?$", r"-X\1", v) if isinstance(v, str) else v) for k, v in r.items() if k not in drop)
        for r in records)


def test_rest_and_ami_click_to_call_make_the_same_events_and_cdrs(pbx, peers, recorders, tokens, peer_log):
    """The same click-to-call placed by the KalliopePBX form over AMI and by POST /api/v1/calls: the
    tenant's read=call stream of the REST call matches the Asterisk 20 reference b1 (apart from the
    OriginateResponse, whose ActionID only an AMI Originate has; its fields are checked above), and both
    calls leave the same call detail records."""
    crm = recorders("crm")
    ids, streams = [], []
    for how in ("ami", "rest"):
        mark = crm.mark()
        agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=1000, end="wait"))
        trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=1000, end="bye", hold=1500))
        if how == "ami":
            res = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER)).result(20)
            _, final = h.originate_parts(res)
            ids.append(final.get("Uniqueid"))
        else:
            status, body = api(pbx.http_port, tokens["acme"], "POST", "/api/v1/calls",
                               {"from": "100", "to": NUMBER, "timeout_ms": 10000})
            assert status == 201, body
            ids.append(body["id"])
        ct.sipp_ok(agent.wait(), "agent phone 100 (%s)" % how)
        ct.sipp_ok(trunk.wait(), "trunk (%s)" % how)
        streams.append(h.wait_call_over(crm, mark))
    rest = streams[1]
    h.check_call_stream(rest, read_call_only=True)
    assert next(m for m in rest if m.event == "Newchannel").get("Uniqueid") == ids[1]
    finals = [m for m in rest if m.event == "OriginateResponse"]
    assert len(finals) == 1 and finals[0].get("Response") == "Success" and "ActionID" not in finals[0].keys, finals
    reference = [m for m in refcompare.load_reference("b1_c2c_success") if m.event != "OriginateResponse"]
    cmp = refcompare.compare(reference, [m for m in rest if m.event != "OriginateResponse"], "100", None)
    peer_log("REST click-to-call against b1_c2c_success (crm_readcall, OriginateResponse aside)", cmp.summary())
    h.assert_matches_reference(cmp, "b1_c2c_success")

    ami_cdrs, rest_cdrs = (cdrs_of(pbx.http_port, tokens["acme"], i) for i in ids)
    peer_log("CDRs", "AMI:\n%s\nREST:\n%s" % (json.dumps(ami_cdrs, indent=1), json.dumps(rest_cdrs, indent=1)))
    assert comparable(rest_cdrs) == comparable(ami_cdrs)
    assert {r["disposition"] for r in rest_cdrs} == {"ANSWERED"}, rest_cdrs
