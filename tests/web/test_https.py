"""The admin panel in a real browser over HTTPS (`--https-bind`), with a self-signed pair the test makes
with `openssl req -x509`: headless Chromium (accepting that certificate) loads the login page over
https, logs in as the system administrator and lands on the tenants page; the plain HTTP listener keeps
serving alongside.
"""
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import chromium
from server import Server  # tests/common (conftest.py puts it on the path)
from tlspair import make_pair

ADMIN_PASSWORD = "browser-https-pass"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("https"), name="https", extra_args=["--admin-password", ADMIN_PASSWORD],
                 tls=make_pair(tmp_path_factory.mktemp("tlspair")), tls_listeners=("https",))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    driver = chromium(accept_insecure_certs=True)   # the test's self-signed certificate
    yield driver
    driver.quit()


def test_panel_login_over_https(server, browser):
    browser.get(server.https_url + "/")
    assert browser.current_url.startswith(server.https_url)
    form = browser.find_element(By.ID, "login-form")
    form.find_element(By.NAME, "username").send_keys("admin")
    form.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/tenants"))
    assert browser.current_url.startswith(server.https_url)
    assert browser.find_element(By.LINK_TEXT, "default")
    cookie = browser.get_cookie("centralino_session")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # The plain HTTP listener serves alongside.
    with urllib.request.urlopen(server.http_url + "/healthz", timeout=10) as response:
        assert response.status == 200
