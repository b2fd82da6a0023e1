"""Real-browser test of the admin panel: Chromium (Debian) driven by Selenium.

Starts `$CENTRALINO_BIN serve` (default .build/debug/centralino), logs in as the system administrator, reads the tenant UUID from the
dashboard widget, sets the AMI username, password and ACL on the AMI page, then logs in over AMI
from an allowed (127.0.0.1) and a denied (127.0.0.2) source address. Screenshots of the dashboard
and the AMI page are saved under test-artifacts/web/.

A second test creates extension 250 in tenant `default` through the extensions form (after a
refused bad number), registers a SIPp phone with it over the server's SIP port, and checks that
the dashboard lists the registration (screenshot test-artifacts/web/extension-registered.png).
"""
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from connections import wait_until  # tests/common
from ports import free_port  # tests/common (conftest.py puts it on the path): outside the ephemeral port range
from server import Server

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CENTRALINO_ARTIFACTS", REPO / "test-artifacts")) / "web"
ADMIN_PASSWORD = "browser-test-pass"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("web"), name="web", extra_args=["--admin-password", ADMIN_PASSWORD])
    yield srv
    srv.stop()


def ami_login(port, username, secret, source):
    """Logs in over AMI from `source`; returns the first response block."""
    with socket.socket() as s:
        s.settimeout(10)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                return ""  # closed before the banner: no user's ACL admits this address
            data += chunk
        s.sendall(f"Action: Login\r\nUsername: {username}\r\nSecret: {secret}\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.decode()


def submit(browser, form_id, **fields):
    """Fills and submits a form, then waits until the next page has replaced this one."""
    form = browser.find_element(By.ID, form_id)
    old_body = browser.find_element(By.TAG_NAME, "body")
    for name, value in fields.items():
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda driver: _stale(old_body))


def _stale(element):
    try:
        element.is_enabled()
        return False
    except Exception:
        return True


def test_panel_sets_up_ami_and_the_acl_applies(server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.get(server.http_url + "/")
    assert browser.find_element(By.ID, "login-form")
    submit(browser, "login-form", username="admin", password="wrong")
    assert "Wrong username or password" in browser.page_source
    submit(browser, "login-form", username="admin", password=ADMIN_PASSWORD)
    assert browser.current_url.endswith("/tenants")
    session_cookie = browser.get_cookie("centralino_session")
    assert session_cookie and session_cookie["httpOnly"] and session_cookie["sameSite"] == "Strict"

    browser.get(browser.find_element(By.LINK_TEXT, "default").get_attribute("href"))
    uuid = browser.find_element(By.ID, "tenant-uuid").text.strip()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", uuid)
    assert browser.current_url.endswith("/tenants/" + uuid)
    assert browser.find_element(By.ID, "copy-uuid").is_displayed()
    time.sleep(3.5)  # let the live refresh run once
    assert browser.find_element(By.ID, "live-updated").text.startswith("updated")
    browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))

    browser.get(browser.find_element(By.LINK_TEXT, "AMI").get_attribute("href"))
    assert uuid in browser.find_element(By.ID, "snippet-variables").text
    assert f"Local/100@c2c_{uuid}" in browser.find_element(By.ID, "snippet-wrapper").text
    submit(browser, "ami-username-form", username="webcrm")
    generated = browser.find_element(By.ID, "ami-password").text
    assert len(generated) == 20
    submit(browser, "ami-password-form", password="web-secret-1")
    assert "web-secret-1" in browser.find_element(By.ID, "new-secret").text
    submit(browser, "acl-add-form", entry="999.1.1.1/8")
    assert "is not an IPv4 or IPv6 address" in browser.find_element(By.CSS_SELECTOR, ".field-error").text
    submit(browser, "acl-add-form", entry="127.0.0.1/32")
    assert "127.0.0.1/32" in browser.find_element(By.ID, "acl").text
    assert "call,originate" in browser.find_element(By.ID, "ami-permissions").text
    browser.set_window_size(1280, 2400)
    browser.save_screenshot(str(ARTIFACTS / "ami-settings.png"))

    deadline = time.time() + 10
    allowed = ""
    while time.time() < deadline:  # the server reloads the directory within a second
        allowed = ami_login(server.ami_port, "webcrm", "web-secret-1", "127.0.0.1")
        if "Success" in allowed:
            break
        time.sleep(0.5)
    assert "Response: Success" in allowed
    # 127.0.0.2 is outside every AMI user's ACL now: the connection is closed before the banner.
    denied = ami_login(server.ami_port, "webcrm", "web-secret-1", "127.0.0.2")
    assert denied == "", "an address outside every ACL must be closed before the banner: %r" % denied


SIPP_REGISTER = Path(os.environ.get("CENTRALINO_SIPP_REGISTER", str(Path(__file__).resolve().parents[1] / "fixtures" / "sipp" / "uac_register_auth.xml")))
EXTENSION_PASSWORD = "ext-250-Secret"


def sign_in(server, browser):
    """Signs in as the system administrator unless this browser already has a session."""
    browser.get(server.http_url + "/tenants")
    if browser.find_elements(By.ID, "login-form"):
        submit(browser, "login-form", username="admin", password=ADMIN_PASSWORD)
    assert browser.current_url.endswith("/tenants")


def reload_count(server):
    return server.log_text().count("configuration reloaded")


def test_panel_adds_an_extension_that_a_phone_registers_with(server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1280, 1100)
    sign_in(server, browser)
    browser.get(browser.find_element(By.LINK_TEXT, "default").get_attribute("href"))
    dashboard_url = browser.current_url
    assert browser.find_element(By.ID, "tenant-domain").text.strip() == "default"  # the digest realm

    browser.get(browser.find_element(By.LINK_TEXT, "Extensions").get_attribute("href"))
    assert browser.current_url == dashboard_url + "/extensions"
    submit(browser, "extension-form", number="25x", name="Browser phone", password=EXTENSION_PASSWORD)
    error = browser.find_element(By.CSS_SELECTOR, "#extension-form .field-error")
    assert error.text == "'25x' must be 1-20 digits"
    assert browser.find_element(By.ID, "f-number").get_attribute("aria-invalid") == "true"
    assert browser.find_element(By.ID, "f-number").get_attribute("value") == "25x"  # the form keeps what was typed
    assert "250" not in browser.find_element(By.ID, "extensions").text

    reloads = reload_count(server)
    submit(browser, "extension-form", number="250", name="Browser phone", password=EXTENSION_PASSWORD)
    assert browser.current_url == dashboard_url + "/extensions"
    assert "Extension 250 created." in browser.find_element(By.CSS_SELECTOR, ".flash").text
    assert not browser.find_elements(By.CSS_SELECTOR, ".field-error")
    rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#extensions tbody tr")]
    assert any(row.startswith("250 Browser phone 250@default") for row in rows), rows
    # The SIP directory picks up the change within a DirectoryWatcher poll; wait for it so the
    # REGISTER is not refused (and counted as a failed login) before the extension is known.
    assert wait_until(lambda: reload_count(server) > reloads, 10), "server did not reload its configuration"

    workdir = server.workdir / "sipp"
    workdir.mkdir(exist_ok=True)
    screen = workdir / "register_screen.log"
    command = ["sipp", "-sf", str(SIPP_REGISTER), "-s", "250", "-au", "250", "-ap", EXTENSION_PASSWORD,
               f"127.0.0.1:{server.sip_port}", "-i", "127.0.0.1", "-p", str(free_port()), "-m", "1", "-nostdin",
               "-timeout", "20s", "-timeout_error", "-trace_msg", "-message_file", str(workdir / "register_messages.log"),
               "-trace_screen", "-screen_file", str(screen)]
    try:
        sipp = subprocess.run(command, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=40)
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"SIPp did not finish: {expired}")
    screen_text = screen.read_text(errors="replace") if screen.exists() else ""
    messages = (workdir / "register_messages.log").read_text(errors="replace") if (workdir / "register_messages.log").exists() else ""
    details = f"exit {sipp.returncode}\n{sipp.stdout}\n{sipp.stderr}\n{screen_text}\n{messages}"
    assert sipp.returncode == 0, details
    successful = re.search(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", screen_text)
    failed = re.search(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", screen_text)
    assert successful and successful.group(1) == "1", details
    assert failed and failed.group(1) == "0", details

    browser.get(dashboard_url)
    def registered():
        # the dashboard's live refresh replaces the rows now and then: a row read
        # while it is being replaced is stale, so read the table again
        try:
            for row in browser.find_elements(By.CSS_SELECTOR, "#registrations tbody tr"):
                cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
                if cells and cells[0] == "250":
                    return cells
        except StaleElementReferenceException:
            pass
        return None
    assert WebDriverWait(browser, 10, poll_frequency=0.2).until(lambda _: registered())
    assert WebDriverWait(browser, 10, poll_frequency=0.2, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda _: browser.find_element(By.ID, "live-updated").text.startswith("updated"))
    try:  # as the live refresh wrote it
        cells = WebDriverWait(browser, 5, poll_frequency=0.2).until(lambda _: registered())
    except TimeoutException:
        cells = None
    assert cells, "registration of 250 vanished after the live refresh"
    assert cells[1].startswith("sip:250@127.0.0.1:"), cells
    assert cells[2].startswith("127.0.0.1:") and "UDP" in cells[2].upper(), cells
    assert cells[3] == "SIPp", cells
    browser.save_screenshot(str(ARTIFACTS / "extension-registered.png"))
