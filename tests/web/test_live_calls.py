"""The dashboard's live calls (issue 13) in a real browser (Chromium through Selenium), against the real
binary: the calls suite's server (tenants acme and globex, tests/calls/calltools.py), SIPp as the agent's
phone 100 and as acme's trunk, a click-to-call started by an AMI client (the KalliopePBX Originate).

The system administrator opens acme's dashboard: the Live calls table fills by itself (the page's live
refresh, no reload) with the call (who, to whom, state up, a duration); its Hang up button (a POST with
the session's CSRF token) ends the call: BYE to the phone and to the trunk, no channel left, the table
says no call is in progress. globex's dashboard never lists acme's call. Screenshot:
test-artifacts/web/live-calls.png.
"""
import os
import sys
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from webwait import texts  # this suite's helpers, before tests/calls is on the path


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calls"))
import calltools as ct  # noqa: E402  (the calls suite's server, SIPp and AMI helpers)
from calltools import TENANT_A_UUID, TENANT_B_UUID  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CENTRALINO_ARTIFACTS", REPO / "test-artifacts")) / "web"
ADMIN_PASSWORD = "live-calls-pass-1"
NUMBER = "0391234567"


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    srv = ct.Server(tmp_path_factory.mktemp("livecalls"), name="livecalls", extra_args=["--admin-password", ADMIN_PASSWORD])
    yield srv
    srv.stop()


def live_rows(browser):
    return texts(browser, "#live-calls tbody tr")


def test_dashboard_lists_the_call_and_hangs_it_up(pbx, browser, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    agent_port = ct.register_phone(pbx, tmp_path, "100")
    agent = ct.Sipp(ct.uas_scenario(tmp_path, "answer", ring=300, end="wait"), tmp_path, local_port=agent_port,
                    calls=1, timeout=40, tag="phone100")
    trunk = ct.Sipp(ct.uas_scenario(tmp_path, "answer", ring=300, end="wait"), tmp_path, local_port=pbx.trunk_a,
                    calls=1, timeout=40, tag="trunk")
    monitor = ct.AMIRecorder(pbx.ami_port, "monitor", ct.AMI_USERS["monitor"][0])
    try:
        # the system administrator's browser on acme's dashboard, before the call exists
        browser.get(pbx.http_url + "/")
        browser.find_element(By.NAME, "username").send_keys("admin")
        browser.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
        WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/tenants"))
        browser.get(pbx.http_url + "/tenants/" + TENANT_A_UUID)
        assert live_rows(browser) == ["No call in progress."]

        mark = monitor.mark()
        headers = [(k, vv) for k, v in ct.c2c_variables_form("100", NUMBER).items() for vv in (v if isinstance(v, list) else [v])]
        crm = ct.AMIRecorder(pbx.ami_port, "crm", ct.AMI_USERS["crm"][0])
        try:
            assert crm.action(headers)[0].get("Response") == "Success"
        finally:
            crm.close()
        first = monitor.wait_for(lambda m: m.event == "Newchannel", 5, mark)
        assert first is not None
        call_id = first.get("Uniqueid")

        # the live refresh (every 3 s) shows the call once both legs are up, without a reload
        page = browser.find_element(By.TAG_NAME, "body")
        WebDriverWait(browser, 15).until(lambda d: any(" up " in r + " " for r in live_rows(d)))
        assert page.is_enabled()   # still the same document: filled by the script
        rows = live_rows(browser)
        assert len(rows) == 1 and rows[0].startswith("%s 100 %s up " % (call_id, NUMBER)), rows
        assert rows[0].endswith("Hang up"), rows
        browser.save_screenshot(str(ARTIFACTS / "live-calls.png"))

        # globex's dashboard does not list it
        browser.get(pbx.http_url + "/tenants/" + TENANT_B_UUID)
        assert live_rows(browser) == ["No call in progress."]
        browser.get(pbx.http_url + "/tenants/" + TENANT_A_UUID)
        WebDriverWait(browser, 5).until(lambda d: live_rows(d) and live_rows(d)[0].startswith(call_id))
        # once the page's script has refreshed, the row (and its form) are the ones the script built
        WebDriverWait(browser, 8).until(lambda d: d.find_element(By.ID, "live-updated").text.startswith("updated"))
        assert live_rows(browser)[0].startswith(call_id)

        # Hang up: a POST with the CSRF token, back to the dashboard with a message
        browser.find_element(By.CSS_SELECTOR, "#live-calls tbody tr button[type=submit]").click()
        WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".flash"))
        assert "Call %s hung up." % call_id in browser.find_element(By.CSS_SELECTOR, ".flash").text
        ra, rt = agent.wait(10), trunk.wait(10)
        ct.sipp_ok(ra, "agent phone 100 (waits for the BYE)")
        ct.sipp_ok(rt, "trunk (waits for the BYE)")
        assert ra.received_requests("BYE") and rt.received_requests("BYE")
        ct.no_channels_left(monitor)
        WebDriverWait(browser, 10).until(lambda d: live_rows(d) == ["No call in progress."])
    finally:
        for p in (agent, trunk):
            if not p.done():
                p.stop()
        monitor.close()
