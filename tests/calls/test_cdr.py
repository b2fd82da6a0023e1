"""Call detail records (issue 13) against the real binary: SIPp as the agent's phone, the callee and the
trunk, raw AMI sessions of both tenants, API tokens made through the panel.

- an answered click-to-call (Originate with Account) leaves the records Asterisk writes for it: `;2` to
  the agent's phone and `;1` to the trunk, both ANSWERED, with billable seconds and the Account;
- a busy phone leaves BUSY, an unanswered one NO ANSWER; an internal call its caller's record;
- `Event: Cdr` (Privilege cdr,all, cdr_manager's fields in order) reaches the tenant's read=all session,
  never a read=call session, never the other tenant's;
- `GET /api/v1/cdr` returns them with its filters (number, disposition, date range, paging, CSV), a
  tenant token only its tenant's (naming another: 403), and refuses bad filters with 422.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

import c2chelp as h
import calltools as ct
from calltools import DOMAIN_A, SCENARIOS, TENANT_A_UUID, TENANT_B_UUID, Server
from server import store_sql
from test_rest_calls import Panel, api

ARTIFACTS = Path(os.environ.get("CENTRALINO_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")) / "calls"
ADMIN_PASSWORD = "cdr-admin-1"
NUMBER = "0391234567"
CDR_FIELDS = ["AccountCode", "Source", "Destination", "DestinationContext", "CallerID", "Channel",
              "DestinationChannel", "LastApplication", "LastData", "StartTime", "AnswerTime", "EndTime",
              "Duration", "BillableSeconds", "Disposition", "AMAFlags", "UniqueID", "UserField"]


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("pbx"), name="cdr", extra_args=["--admin-password", ADMIN_PASSWORD])
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def tokens(pbx):
    system = Panel(pbx.http_port, "admin", ADMIN_PASSWORD)
    made = {"system": system.new_token("system")}
    for key, uuid, domain in (("acme", TENANT_A_UUID, DOMAIN_A), ("globex", TENANT_B_UUID, "globex.test")):
        system.new_tenant_admin(uuid, "ops", "ops-pass-%s-1" % key)
        made[key] = Panel(pbx.http_port, "ops@%s" % domain, "ops-pass-%s-1" % key).new_token(key)
    return made


def cdr_events(rec, mark, linkedid_channels=None):
    return [m for m in rec.events(mark, "Cdr")]


def wait_cdrs(rec, mark, count, timeout=10.0):
    assert ct.wait_until(lambda: len(rec.events(mark, "Cdr")) >= count, timeout), (
        "expected %d Event: Cdr, got %s" % (count, [dict(m.pairs) for m in rec.events(mark, "Cdr")]))
    ct.wait_until(lambda: False, 0.3)   # any further one
    return rec.events(mark, "Cdr")


def stored(port, token, query="", expect=None, timeout=5.0):
    """GET /api/v1/cdr?query (polled until `expect(body)` holds: the writer flushes every 250 ms)."""
    result = {}

    def ok():
        status, body = api(port, token, "GET", "/api/v1/cdr" + (("?" + query) if query else ""))
        result["v"] = (status, body)
        return status == 200 and (expect is None or expect(body))
    assert ct.wait_until(ok, timeout, 0.2), result.get("v")
    return result["v"][1]


def by_channel(events, suffix):
    found = [m for m in events if (m.get("Channel") or "").endswith(suffix)]
    return found


def test_answered_click_to_call_records(pbx, peers, recorders, tokens):
    crm, mon, mon_b = recorders("crm"), recorders("monitor"), recorders("monitor_b")
    m_crm, m_mon, m_b = crm.mark(), mon.mark(), mon_b.mark()
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"))
    trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=300, end="bye", hold=2200))
    action = ct.c2c_variables_form("100", NUMBER)
    action["Account"] = "crm-42"
    orig = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", action)
    final = h.originate_parts(orig.result(15))[1]
    assert final.get("Reason") == "4", dict(final)
    ct.sipp_ok(trunk.wait(15), "trunk (answers, BYE after 2.2 s)")
    ct.sipp_ok(agent.wait(15), "agent phone (answers, waits for BYE)")
    h.wait_call_over(mon, m_mon)
    events = wait_cdrs(mon, m_mon, 2)

    # one record per party A / party B pair, as Asterisk for this Originate (no Local optimisation)
    to_trunk = [m for m in by_channel(events, ";1") if (m.get("DestinationChannel") or "").startswith("PJSIP/carrier-")]
    to_agent = [m for m in by_channel(events, ";2") if (m.get("DestinationChannel") or "").startswith("PJSIP/100-")]
    assert len(to_trunk) == 1 and len(to_agent) == 1, [dict(m.pairs) for m in events]
    t, a = to_trunk[0], to_agent[0]
    for m in (t, a):
        assert [k for k, _ in m.pairs if k not in ("Event", "Privilege")] == CDR_FIELDS, m.pairs
        assert m.get("Privilege") == "cdr,all", m.pairs
        assert m.get("Disposition") == "ANSWERED" and m.get("AccountCode") == "crm-42", m.pairs
        assert m.get("LastApplication") == "Dial" and m.get("AMAFlags") == "DOCUMENTATION", m.pairs
        assert m.get("AnswerTime") and int(m.get("BillableSeconds")) <= int(m.get("Duration")), m.pairs
    # from_c2c sends the number on with Goto(internal,…): the record has the last context, as Asterisk's
    assert (t.get("Destination"), t.get("DestinationContext")) == (NUMBER, "internal"), t.pairs
    assert int(t.get("BillableSeconds")) >= 2, "the trunk leg lasted 2.2 s after answer: %s" % t.pairs
    assert t.get("Source") == NUMBER and t.get("CallerID") == '"c2c: %s" <%s>' % (NUMBER, NUMBER), t.pairs
    assert (a.get("Destination"), a.get("DestinationContext")) == ("100", "c2c"), a.pairs
    assert int(a.get("BillableSeconds")) >= 2, a.pairs
    assert not [m for m in events if (m.get("Channel") or "").startswith("PJSIP/")], "dialled channels write no record"
    # the trunk hung up first: ;1's Dial record ended with the bridge, its Hangup() wrote another (as Asterisk)
    assert [m.get("LastApplication") for m in by_channel(events, ";1")] == ["Dial", "Hangup"], [dict(m.pairs) for m in events]
    # class cdr only: not to read=call, never to the other tenant
    assert not crm.events(m_crm, "Cdr"), "a read=call session got Event: Cdr"
    assert not mon_b.events(m_b, "Cdr"), "globex's session got acme's Event: Cdr"

    # stored: the same records over REST, scoped to the tenant
    port = pbx.http_port
    linked = t.get("UniqueID")
    body = stored(port, tokens["acme"], "number=391234567",
                  lambda b: any(r["uniqueid"] == linked for r in b["records"]))
    rec = next(r for r in body["records"] if r["uniqueid"] == linked and r["dstchannel"])
    assert rec["tenant"] == TENANT_A_UUID and rec["linkedid"] == linked and rec["accountcode"] == "crm-42", rec
    assert rec["disposition"] == "ANSWERED" and rec["billsec"] >= 2 and rec["dstchannel"].startswith("PJSIP/carrier-"), rec
    assert rec["billsec"] == int(t.get("BillableSeconds")) and rec["duration"] == int(t.get("Duration")), (rec, t.pairs)
    assert rec["answer"] and rec["start"] <= rec["answer"] <= rec["end"], rec
    assert all("391234567" in (r["src"] + r["dst"]) for r in body["records"]), body
    body = stored(port, tokens["acme"], "disposition=ANSWERED&limit=100")
    mine = [r for r in body["records"] if r["linkedid"] == linked]
    assert sorted(r["channel"][-2:] for r in mine if r["dstchannel"]) == [";1", ";2"], mine
    assert all(r["disposition"] == "ANSWERED" for r in body["records"])
    assert stored(port, tokens["globex"])["total"] == 0, "globex's token sees acme's records"
    assert api(port, tokens["globex"], "GET", "/api/v1/cdr?tenant=%s" % TENANT_A_UUID)[0] == 403
    assert stored(port, tokens["system"], "tenant=%s" % TENANT_B_UUID)["total"] == 0
    assert stored(port, tokens["system"], "tenant=%s&number=391234567" % TENANT_A_UUID)["total"] >= 1

    # metrics: written, none dropped
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        metrics = r.read().decode()
    written = [l for l in metrics.splitlines() if l.startswith("centralino_cdr_written_total")]
    assert written and int(float(written[0].split()[-1])) >= 2, written
    assert 'centralino_cdr_dropped_total{reason="queue_full"} 0' in metrics


def test_busy_phone_leaves_busy_records(pbx, peers, recorders, tokens):
    mon = recorders("monitor")
    mark = mon.mark()
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "reject", ring=None, code=486, reason="Busy Here"))
    orig = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER))
    res = orig.result(10)
    assert res[-1].get("Response") == "Failure", res
    ct.sipp_ok(agent.wait(10), "agent phone (486)")
    h.wait_call_over(mon, mark)
    events = wait_cdrs(mon, mark, 2)
    to_agent = [m for m in by_channel(events, ";2") if (m.get("DestinationChannel") or "").startswith("PJSIP/100-")]
    assert len(to_agent) == 1 and to_agent[0].get("Disposition") == "BUSY", [dict(m.pairs) for m in events]
    assert to_agent[0].get("BillableSeconds") == "0" and to_agent[0].get("AnswerTime") == "", to_agent[0].pairs
    originated = by_channel(events, ";1")
    assert len(originated) == 1 and originated[0].get("Disposition") in ("BUSY", "FAILED"), originated
    assert originated[0].get("LastApplication") == "AppDial2", originated[0].pairs
    uid = to_agent[0].get("UniqueID")
    body = stored(pbx.http_port, tokens["acme"], "disposition=BUSY", lambda b: any(r["uniqueid"] == uid for r in b["records"]))
    assert all(r["disposition"] == "BUSY" for r in body["records"]), body


def test_unanswered_phone_leaves_no_answer_records(pbx, peers, recorders):
    mon = recorders("monitor")
    mark = mon.mark()
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "noanswer", wait=15000))
    orig = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER, timeout_ms=2000))
    res = orig.result(15)
    assert res[-1].get("Reason") == "3", res
    ct.sipp_ok(agent.wait(15), "agent phone (rings until CANCEL)")
    h.wait_call_over(mon, mark)
    events = wait_cdrs(mon, mark, 2)
    to_agent = [m for m in by_channel(events, ";2") if (m.get("DestinationChannel") or "").startswith("PJSIP/100-")]
    assert len(to_agent) == 1 and to_agent[0].get("Disposition") == "NO ANSWER", [dict(m.pairs) for m in events]
    assert 1 <= int(to_agent[0].get("Duration")) <= 4, to_agent[0].pairs
    assert [m.get("Disposition") for m in by_channel(events, ";1")] == ["NO ANSWER"], [dict(m.pairs) for m in events]


def test_internal_call_record_and_csv(pbx, peers, recorders, tokens):
    mon, mon_b = recorders("monitor"), recorders("monitor_b")
    mark, m_b = mon.mark(), mon_b.mark()
    callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"))
    caller = peers.caller("100", "101", str(SCENARIOS / "uac_call.xml"), pause_ms=1500)
    ct.sipp_ok(caller.wait(15), "caller 100 (hangs up after 1.5 s)")
    ct.sipp_ok(callee.wait(15), "callee 101")
    h.wait_call_over(mon, mark)
    events = wait_cdrs(mon, mark, 1)
    dialled = [m for m in events if (m.get("DestinationChannel") or "").startswith("PJSIP/101-")]
    assert len(dialled) == 1, [dict(m.pairs) for m in events]
    rec = dialled[0]
    assert rec.get("Channel").startswith("PJSIP/100-") and rec.get("Source") == "100", rec.pairs
    assert (rec.get("Destination"), rec.get("Disposition")) == ("101", "ANSWERED"), rec.pairs
    assert int(rec.get("BillableSeconds")) >= 1, rec.pairs
    assert not mon_b.events(m_b, "Cdr")

    port = pbx.http_port
    uid = rec.get("UniqueID")
    today = datetime.now(timezone.utc).date()
    body = stored(port, tokens["acme"], "from=%s&to=%s&number=101" % (today, today),
                  lambda b: any(r["uniqueid"] == uid for r in b["records"]))
    assert body["total"] >= 1
    yesterday = today - timedelta(days=1)
    assert stored(port, tokens["acme"], "to=%s" % yesterday)["total"] == 0, "to is inclusive of its day only"
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert stored(port, tokens["acme"], "from=%s" % later)["total"] == 0
    # paging: newest first, one at a time, the same total
    everything = stored(port, tokens["acme"], "limit=1000")
    first, second = stored(port, tokens["acme"], "limit=1"), stored(port, tokens["acme"], "limit=1&offset=1")
    assert first["total"] == second["total"] == everything["total"] >= 2
    assert [first["records"][0]["id"], second["records"][0]["id"]] == [r["id"] for r in everything["records"][:2]]
    # CSV export: a header and one row per record, the same selection
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/cdr?format=csv" % port,
                                 headers={"Authorization": "Bearer " + tokens["acme"]})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/csv"), r.headers
        csv_text = r.read().decode()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "cdr-export.csv").write_text(csv_text)   # the export docs/admin.md shows
    (ARTIFACTS / "cdr-page.json").write_text(json.dumps(stored(port, tokens["acme"], "limit=3"), indent=2))
    lines = csv_text.strip("\r\n").split("\r\n")
    assert lines[0].startswith('"accountcode","src","dst","dcontext"'), lines[0]
    assert any(uid in line and '"ANSWERED"' in line for line in lines[1:]), csv_text
    # the OpenAPI document covers the route and its record
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/openapi.json" % port, timeout=10) as r:
        spec = json.loads(r.read())
    assert "get" in spec["paths"]["/cdr"], sorted(spec["paths"])
    assert {"uniqueid", "linkedid", "billsec", "disposition"} <= set(spec["components"]["schemas"]["CDR"]["properties"])
    # bad filters: 422 naming the field
    for query, field in (("from=yesterday", "from"), ("disposition=MAYBE", "disposition"), ("limit=0", "limit"),
                         ("from=2026-12-08&to=2026-12-01", "to"), ("format=xml", "format")):
        status, err = api(port, tokens["acme"], "GET", "/api/v1/cdr?" + query)
        assert status == 422 and err["error"]["field"] == field, (query, status, err)


def test_full_queue_drops_and_counts(tmp_path):
    """`--cdr-queue-limit 1`: the caller's two records (its Dial, then Hangup() after the callee hung
    up) come at once; one is queued, the other dropped, counted and logged; the call itself is not
    affected. Stopped right after, the node still writes the queued one."""
    srv = Server(tmp_path / "small", name="cdrqueue", extra_args=["--cdr-queue-limit", "1"])
    try:
        port = ct.free_ports(1)[0]
        users = tmp_path / "users.csv"
        users.write_text("SEQUENTIAL\n101;[authentication username=101 password=%s];%s\n" % (ct.PASSWORDS[(DOMAIN_A, "101")], DOMAIN_A))
        reg = ct.Sipp(str(SCENARIOS / "register.xml"), tmp_path, local_port=port, remote="127.0.0.1:%d" % srv.sip_port,
                      calls=1, inf=users, timeout=15, tag="register").wait()
        assert reg.returncode == 0, reg.report()
        mon = ct.AMIRecorder(srv.ami_port, "monitor", ct.AMI_USERS["monitor"][0])
        try:
            callee = ct.Sipp(ct.uas_scenario(tmp_path, "answer", ring=200, end="bye", hold=1000), tmp_path,
                             local_port=port, calls=1, timeout=20, tag="phone101")
            caller = ct.Sipp(str(SCENARIOS / "uac_call_wait_bye.xml"), tmp_path, local_port=ct.free_ports(1)[0],
                             remote="127.0.0.1:%d" % srv.sip_port, calls=1, timeout=20, service="101",
                             auth=("100", ct.PASSWORDS[(DOMAIN_A, "100")]), keys={"caller": "100", "domain": DOMAIN_A},
                             tag="caller100")
            ct.sipp_ok(callee.wait(20), "callee 101 (hangs up after 1 s)")
            ct.sipp_ok(caller.wait(20), "caller 100 (waits for the BYE)")
            events = wait_cdrs(mon, 0, 2)
            assert [m.get("LastApplication") for m in events] == ["Dial", "Hangup"], [dict(m.pairs) for m in events]
        finally:
            mon.close()

        def metric(name):
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % srv.http_port, timeout=10) as r:
                line = [l for l in r.read().decode().splitlines() if l.startswith(name + " ") or l.startswith(name + "{")]
            return int(float(line[0].split()[-1])) if line else None
        assert metric('centralino_cdr_dropped_total{reason="queue_full"}') == 1
        assert "call detail records dropped: the writer's queue is full (--cdr-queue-limit)" in srv.log_text()
        ct.AMIRecorder(srv.ami_port, "monitor", ct.AMI_USERS["monitor"][0]).close()   # still serving
        # stopped at once (SIGTERM): the writer stops last and writes what is queued
        assert srv.stop() == 0
        assert [r[0] for r in store_sql(srv.data_dir, "SELECT lastapp FROM cdr")] == ["Dial"], "the queued record, written"
    finally:
        srv.stop()


def test_retention_deletes_old_records_at_start(tmp_path):
    """`--cdr-retention-days 30`: at start (then hourly) records that started more than 30 days ago are
    deleted, newer ones kept; counted in centralino_cdr_retention_deleted_total."""
    srv = Server(tmp_path / "retention", name="cdrretention", extra_args=["--cdr-retention-days", "30"])
    try:
        srv.stop()
        tenant_id = int(store_sql(srv.data_dir, "SELECT id FROM tenant WHERE uuid = ?", (TENANT_A_UUID,))[0][0])
        now = time.time()
        for uniqueid, age_days in (("old.1", 40), ("recent.1", 10)):
            start = now - age_days * 86400
            store_sql(
                srv.data_dir,
                "INSERT INTO cdr (tenant_id, start, answer, \"end\", duration, billsec, src, dst, dcontext, clid, channel,"
                " dstchannel, lastapp, lastdata, disposition, accountcode, uniqueid, linkedid, userfield)"
                " VALUES (?, ?, NULL, ?, 5, 0, '100', '101', 'internal', '100', 'PJSIP/100-1', 'PJSIP/101-2', 'Dial',"
                " 'PJSIP/101', 'NO ANSWER', '', ?, ?, '')", (tenant_id, start, start + 5, uniqueid, uniqueid))
        srv.start()

        def remaining():
            return sorted(r[0] for r in store_sql(srv.data_dir, "SELECT uniqueid FROM cdr"))
        assert ct.wait_until(lambda: remaining() == ["recent.1"], 5), remaining()
        # the sweep counts and logs right after its commit, which the database shows first
        def metrics():
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % srv.http_port, timeout=10) as r:
                return r.read().decode()
        assert ct.wait_until(lambda: "centralino_cdr_retention_deleted_total 1" in metrics(), 5), \
            [line for line in metrics().splitlines() if "retention" in line]
        assert ct.wait_until(lambda: "call detail records past retention deleted" in srv.log_text(), 5)
    finally:
        srv.stop()
