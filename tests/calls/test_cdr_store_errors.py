"""Call detail records when the store fails or skips them (CDRWriter, CDRWriteQueue), against the real
binary:

- the store refuses writes for a while (another process holds SQLite's write lock past the node's 10 s
  busy timeout): the failed batch stays queued and is retried with backoff; the record arrives once the
  store is back, nothing is counted as dropped, the failure is counted in
  centralino_cdr_write_errors_total;
- a record whose tenant is gone from the store by the time it is written is not counted as written
  but as centralino_cdr_dropped_total{reason="no_tenant"}.
"""

from __future__ import annotations

import sqlite3
import time
import urllib.request
from typing import Optional

import pytest

import c2chelp as h
import calltools as ct
from calltools import DOMAIN_B, SCENARIOS, TENANT_B_UUID
from server import database_url, store_sql


def metric(pbx, name: str) -> Optional[int]:
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % pbx.http_port, timeout=10) as r:
        lines = [l for l in r.read().decode().splitlines() if l.startswith(name + " ") or l.startswith(name + "{")]
    return int(float(lines[0].split()[-1])) if lines else None


DROPPED_STORE_ERROR = 'centralino_cdr_dropped_total{reason="store_error"}'
DROPPED_NO_TENANT = 'centralino_cdr_dropped_total{reason="no_tenant"}'


def internal_call(peers, recorders, domain=ct.DOMAIN_A, monitor="monitor"):
    """100 calls 101 for a second; returns party A's `Event: Cdr`."""
    mon = recorders(monitor)
    mark = mon.mark()
    callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait"), domain=domain)
    caller = peers.caller("100", "101", str(SCENARIOS / "uac_call.xml"), domain=domain, pause_ms=1000)
    ct.sipp_ok(caller.wait(20), "caller 100 (hangs up after 1 s)")
    ct.sipp_ok(callee.wait(20), "callee 101")
    h.wait_call_over(mon, mark)
    assert ct.wait_until(lambda: mon.events(mark, "Cdr"), 10), "no Event: Cdr"
    return mon.events(mark, "Cdr")[0]


def stored_uniqueids(pbx):
    return {r[0] for r in store_sql(pbx.data_dir, "SELECT uniqueid FROM cdr")}


def test_records_survive_a_store_that_refuses_writes_for_a_while(pbx, peers, recorders):
    if database_url(pbx.data_dir):
        pytest.skip("holds SQLite's write lock; the PostgreSQL pass has no such lock to hold")
    peers.register(["101"])   # before the lock: registering writes to the store
    errors_before = metric(pbx, "centralino_cdr_write_errors_total")
    assert errors_before is not None, "centralino_cdr_write_errors_total is not served"
    dropped_before = metric(pbx, DROPPED_STORE_ERROR)
    blocker = sqlite3.connect(str(pbx.data_dir / "centralino.sqlite"), timeout=10, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")   # the write lock: the node's insert waits 10 s, then fails
        cdr = internal_call(peers, recorders)
        uid = cdr.get("UniqueID")
        assert ct.wait_until(lambda: metric(pbx, "centralino_cdr_write_errors_total") > errors_before, 25, 0.5), (
            "the writer never failed while the store was locked")
        assert uid not in stored_uniqueids(pbx)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    # the store is back: the batch that failed is written on its next attempt (0.5 s later)
    assert ct.wait_until(lambda: uid in stored_uniqueids(pbx), 10, 0.25), "the record was lost after the store failed"
    assert metric(pbx, DROPPED_STORE_ERROR) == dropped_before
    assert "call detail records not written yet: the store failed, retrying" in pbx.log_text()


def test_records_of_a_deleted_tenant_count_as_dropped(pbx, peers, recorders):
    """Globex is deleted from the store behind the node's back while its call lasts (the last test of
    the module: the tenant stays gone)."""
    written_before = metric(pbx, "centralino_cdr_written_total")
    skipped_before = metric(pbx, DROPPED_NO_TENANT)
    assert skipped_before is not None, DROPPED_NO_TENANT + " is not served"
    peers.register(["101"], domain=DOMAIN_B)
    mon = recorders("monitor_b")
    mark = mon.mark()
    callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait"), domain=DOMAIN_B)
    caller = peers.caller("100", "101", str(SCENARIOS / "uac_call.xml"), domain=DOMAIN_B, pause_ms=3000)
    assert ct.wait_until(lambda: mon.events(mark, "BridgeEnter"), 10), "the call was not answered"
    store_sql(pbx.data_dir, "DELETE FROM tenant WHERE uuid = ?", (TENANT_B_UUID,))
    ct.sipp_ok(caller.wait(20), "caller 100 (hangs up after 3 s)")
    ct.sipp_ok(callee.wait(20), "callee 101")
    h.wait_call_over(mon, mark)
    assert ct.wait_until(lambda: mon.events(mark, "Cdr"), 10), "no Event: Cdr"
    assert ct.wait_until(lambda: metric(pbx, DROPPED_NO_TENANT) > skipped_before, 5, 0.25), "not counted as dropped"
    time.sleep(0.5)
    assert metric(pbx, "centralino_cdr_written_total") == written_before, "a record the store skipped counted as written"
    assert store_sql(pbx.data_dir, "SELECT count(*) FROM cdr WHERE uniqueid = ?", (mon.events(mark, "Cdr")[0].get("UniqueID"),)) == [("0",)]
