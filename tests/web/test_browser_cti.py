"""The browser CTI example (examples/browser-cti/, issue 13) in a real browser (Chromium through
Selenium), against the real binary: the calls suite's server (tenants acme and globex), SIPp as the
agent's phone 100 and as acme's trunk.

The page is opened from disk (file://, as docs/admin.md tells an integrator to try it), connects to
`/api/v1/ami/ws` and logs in with AMI's Login (acme's `crm`). Its click-to-call box sends the
KalliopePBX Originate: the page shows the Response, then the call's channels live (Newchannel,
Newstate, BridgeEnter) and the OriginateResponse Success; when the trunk hangs up the page shows
the channels' Hangup. A second page logged in as globex's user never lists acme's call. Screenshot:
test-artifacts/web/browser-cti.png.
"""
import os
import sys
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import chromium
from webwait import texts  # this suite's helpers, before tests/calls is on the path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "calls"))
import calltools as ct  # noqa: E402  (the calls suite's server, SIPp and AMI helpers)
from calltools import TENANT_A_UUID  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PAGE = (REPO / "examples" / "browser-cti" / "index.html").as_uri()
ARTIFACTS = Path(os.environ.get("CENTRALINO_ARTIFACTS", REPO / "test-artifacts")) / "web"
NUMBER = "0391234567"


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    srv = ct.Server(tmp_path_factory.mktemp("cti"), name="browsercti")
    yield srv
    srv.stop()


def log_in(browser, pbx, username: str) -> None:
    browser.get(PAGE)
    server = browser.find_element(By.ID, "server")
    server.clear()
    server.send_keys("ws://127.0.0.1:%d/api/v1/ami/ws" % pbx.http_port)
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(ct.AMI_USERS[username][0])
    browser.find_element(By.ID, "connect").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "status").text == "logged in as " + username)


def rows(browser):
    return texts(browser, "#calls tbody tr")


def test_click_to_call_shown_live_then_hangup(pbx, browser, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    agent_port = ct.register_phone(pbx, tmp_path, "100")
    agent = ct.Sipp(ct.uas_scenario(tmp_path, "answer", ring=300, end="wait"), tmp_path, local_port=agent_port,
                    calls=1, timeout=40, tag="phone100")
    # the trunk answers, talks for 4 s, then hangs up
    trunk = ct.Sipp(ct.uas_scenario(tmp_path, "answer", ring=300, end="bye", hold=4000), tmp_path,
                    local_port=pbx.trunk_a, calls=1, timeout=40, tag="trunk")
    other = chromium()
    try:
        log_in(browser, pbx, "crm")
        log_in(other, pbx, "crm_b")   # globex: must never see acme's call
        assert rows(browser) == ["No call."]

        browser.find_element(By.ID, "c2c-ext").send_keys("100")
        browser.find_element(By.ID, "c2c-number").send_keys(NUMBER)
        browser.find_element(By.ID, "c2c-tenant").send_keys(TENANT_A_UUID)
        browser.find_element(By.ID, "c2c-call").click()
        WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "c2c-response").text.startswith("Success"))

        # the call's channels appear and come up, from the events alone
        WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "c2c-result").text == "Success (Reason 4)")
        WebDriverWait(browser, 10).until(lambda d: any(" Bridged " in r + " " or " Up " in r + " " for r in rows(d)))
        live = rows(browser)
        assert any("100" in r for r in live) and any(NUMBER in r or NUMBER[1:] in r for r in live), live
        browser.save_screenshot(str(ARTIFACTS / "browser-cti.png"))

        # the trunk's BYE ends the call: every channel of it shows its Hangup
        WebDriverWait(browser, 20).until(lambda d: rows(d) and all("Hangup" in r for r in rows(d)))
        ended = browser.find_elements(By.CSS_SELECTOR, "#calls tbody tr.ended")
        assert len(ended) == len(rows(browser)) >= 2, rows(browser)
        browser.save_screenshot(str(ARTIFACTS / "browser-cti-ended.png"))

        assert texts(other, "#calls tbody tr") == ["No call."], "globex's page listed acme's call"
        ra, rt = agent.wait(10), trunk.wait(10)
        ct.sipp_ok(ra, "agent phone 100 (waits for the BYE)")
        ct.sipp_ok(rt, "trunk (hangs up)")
        assert ra.received_requests("BYE")
    finally:
        other.quit()
        for p in (agent, trunk):
            if not p.done():
                p.stop()
