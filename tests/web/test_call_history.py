"""The "Call history" page (issue 13) in a real browser (Chromium through Selenium), against the real
binary: the calls suite's server (tenants acme and globex, tests/calls/calltools.py), SIPp as the agent's
phone 100, as acme's trunk and as a phone placing failed calls, click-to-calls started over AMI.

acme's tenant administrator reaches the page from the navigation and sees the tenant's records: the
answered click-to-call (ANSWERED, with the Account and billed seconds) and the busy one (BUSY); filters
by disposition, number and date range narrow the table; 55 failed calls fill two pages (Older/Newer); the
CSV export (fetched by the page's own session) holds every matching record. acme's administrator gets
403 for globex's history, and globex's history (seen by the system administrator) lists none of acme's
calls. Screenshot: test-artifacts/web/call-history.png.
"""
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from webwait import replaced, texts  # this suite's helpers, before tests/calls is on the path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calls"))
import calltools as ct  # noqa: E402  (the calls suite's server, SIPp and AMI helpers)
from calltools import DOMAIN_A, PASSWORDS, TENANT_A_UUID, TENANT_B_UUID  # noqa: E402
from test_rest_calls import Panel  # noqa: E402  (panel session over urllib, to create the tenant admin)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CENTRALINO_ARTIFACTS", REPO / "test-artifacts")) / "web"
ADMIN_PASSWORD = "call-history-pass-1"
OPS_PASSWORD = "ops-history-pass-1"
NUMBER = "0391234567"
FAILED_CALLS = 55


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    srv = ct.Server(tmp_path_factory.mktemp("history"), name="history", extra_args=["--admin-password", ADMIN_PASSWORD])
    yield srv
    srv.stop()


def click_to_call(pbx, monitor, agent, trunk, account=None) -> None:
    """One click-to-call over AMI; waits until its records are out (Event: Cdr) and SIPp is done."""
    mark = monitor.mark()
    action = ct.c2c_variables_form("100", NUMBER)
    if account:
        action["Account"] = account
    headers = [(k, vv) for k, v in action.items() for vv in (v if isinstance(v, list) else [v])]
    crm = ct.AMIRecorder(pbx.ami_port, "crm", ct.AMI_USERS["crm"][0])
    try:
        assert crm.action(headers)[0].get("Response") == "Success"
    finally:
        crm.close()
    for peer in (agent, trunk):
        if peer is not None:
            ct.sipp_ok(peer.wait(20), peer.tag)
    assert ct.wait_until(lambda: len(monitor.events(mark, "Cdr")) >= 2, 10), monitor.events(mark)


def rows(browser):
    return texts(browser, "#cdr tbody tr")


def submit_filter(browser, **values):
    form = browser.find_element(By.ID, "cdr-filter")
    for name in ("from", "to", "number"):
        field = form.find_element(By.NAME, name)
        browser.execute_script("arguments[0].value = arguments[1]", field, values.get(name, ""))
    Select(form.find_element(By.NAME, "disposition")).select_by_value(values.get("disposition", ""))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(replaced(form))
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "cdr-summary"))


def test_call_history_page_filters_pages_and_exports(pbx, browser, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    system = Panel(pbx.http_port, "admin", ADMIN_PASSWORD)
    system.new_tenant_admin(TENANT_A_UUID, "ops", OPS_PASSWORD)
    agent_port = ct.register_phone(pbx, tmp_path, "100")
    monitor = ct.AMIRecorder(pbx.ami_port, "monitor", ct.AMI_USERS["monitor"][0])
    try:
        # an answered click-to-call (the trunk hangs up after 1.5 s), then one to a busy phone
        agent = ct.Sipp(ct.uas_scenario(tmp_path, "answer", ring=200, end="wait"), tmp_path, local_port=agent_port,
                        calls=1, timeout=30, tag="phone100")
        trunk = ct.Sipp(ct.uas_scenario(tmp_path, "answer", ring=200, end="bye", hold=1500), tmp_path,
                        local_port=pbx.trunk_a, calls=1, timeout=30, tag="trunk")
        click_to_call(pbx, monitor, agent, trunk, account="crm-7")
        busy = ct.Sipp(ct.uas_scenario(tmp_path, "reject", ring=None, code=486, reason="Busy Here"), tmp_path,
                       local_port=agent_port, calls=1, timeout=30, tag="phone100busy")
        click_to_call(pbx, monitor, busy, None)
        # 55 calls from 100 to 102 (not registered): one FAILED record each
        mark = monitor.mark()
        failing = ct.Sipp(str(ct.SCENARIOS / "uac_call_fail.xml"), tmp_path, local_port=ct.free_ports(1)[0],
                          remote="127.0.0.1:%d" % pbx.sip_port, calls=FAILED_CALLS, rate=20, timeout=40, service="102",
                          auth=("100", PASSWORDS[(DOMAIN_A, "100")]), keys={"caller": "100", "domain": DOMAIN_A}, tag="caller100")
        ct.sipp_ok(failing.wait(45), "caller 100 -> 102 (unregistered)")
        assert ct.wait_until(lambda: len(monitor.events(mark, "Cdr")) >= FAILED_CALLS, 15), len(monitor.events(mark, "Cdr"))

        # acme's administrator: the navigation's Call history link
        browser.get(pbx.http_url + "/")
        browser.find_element(By.NAME, "username").send_keys("ops@" + DOMAIN_A)
        browser.find_element(By.NAME, "password").send_keys(OPS_PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
        WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.LINK_TEXT, "Call history"))
        browser.find_element(By.LINK_TEXT, "Call history").click()
        WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/tenants/%s/calls" % TENANT_A_UUID))
        assert browser.find_element(By.TAG_NAME, "h1").text == "Call history"
        summary = browser.find_element(By.ID, "cdr-summary").text
        total = int(summary.split(" of ")[1].split()[0])
        assert total >= FAILED_CALLS + 4, summary
        assert summary.startswith("Calls 1–50 of "), summary
        assert len(rows(browser)) == 50

        # paging: Older shows the rest, Newer comes back
        table = browser.find_element(By.ID, "cdr")
        browser.find_element(By.CSS_SELECTOR, "#cdr-pages a[rel=next]").click()
        WebDriverWait(browser, 10).until(replaced(table))
        assert len(rows(browser)) == total - 50, rows(browser)
        assert not browser.find_elements(By.CSS_SELECTOR, "#cdr-pages a[rel=next]")
        table = browser.find_element(By.ID, "cdr")
        browser.find_element(By.CSS_SELECTOR, "#cdr-pages a[rel=prev]").click()
        WebDriverWait(browser, 10).until(replaced(table))
        assert "page=2" not in browser.current_url and len(rows(browser)) == 50

        # filters: the number, then busy ones only, then the answered ones with the account
        submit_filter(browser, number="391234567")
        found = rows(browser)
        assert found and all("391234567" in r for r in found), found
        assert not any(" 102 " in r for r in found), found
        submit_filter(browser, disposition="BUSY")
        found = rows(browser)
        assert found and all(" BUSY " in r for r in found), found
        submit_filter(browser, disposition="ANSWERED", number="391234567")
        found = rows(browser)
        assert any("PJSIP/carrier-" in r and r.endswith("crm-7") for r in found), found
        assert any("PJSIP/100-" in r and r.endswith("crm-7") for r in found), found
        browser.save_screenshot(str(ARTIFACTS / "call-history.png"))
        today = datetime.now(timezone.utc).date()
        submit_filter(browser, **{"from": str(today), "to": str(today), "disposition": "FAILED"})
        assert len(rows(browser)) == 50 and all(" FAILED " in r for r in rows(browser))
        submit_filter(browser, to=str(today - timedelta(days=1)))
        assert rows(browser) == ["No call matches."]

        # CSV export of the current selection, fetched with the page's session
        submit_filter(browser, disposition="FAILED")
        href = browser.find_element(By.ID, "cdr-export").get_attribute("href")
        assert "calls.csv?disposition=FAILED" in href, href
        text = browser.execute_async_script(
            "const done = arguments[1]; fetch(arguments[0]).then(r => r.text()).then(done, e => done('ERROR ' + e));", href)
        lines = text.strip("\r\n").split("\r\n")
        assert lines[0].startswith('"accountcode","src","dst"'), lines[:2]
        assert len(lines) - 1 == int(browser.find_element(By.ID, "cdr-summary").text.split(" of ")[1].split()[0]) >= FAILED_CALLS
        assert all('"FAILED"' in line for line in lines[1:]), lines[1:3]
        assert sum('"102"' in line for line in lines[1:]) >= FAILED_CALLS, lines[1:3]

        # a tenant's administrator sees only the tenant's calls
        browser.get(pbx.http_url + "/tenants/%s/calls" % TENANT_B_UUID)
        assert browser.find_element(By.TAG_NAME, "h1").text == "Forbidden"
    finally:
        monitor.close()
    # the system administrator: globex has none of acme's calls
    page = system.fetch("/tenants/%s/calls" % TENANT_B_UUID)
    assert "No call matches." in page and "PJSIP/" not in page
    page = system.fetch("/tenants/%s/calls?disposition=ANSWERED" % TENANT_A_UUID)
    assert "crm-7" in page
