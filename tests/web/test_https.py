"""The admin panel in a real browser over HTTPS (`--https-bind`), with a self-signed pair the test makes
with `openssl req -x509`: headless Chromium (accepting that certificate) loads the login page over
https, logs in as the system administrator and lands on the tenants page; the plain HTTP listener keeps
serving alongside.
"""
import os
import sys
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

REPO = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "browser-https-pass"


sys.path.insert(0, str(REPO / "tests" / "common"))
from ports import free_port, wait_for_port  # noqa: E402  (outside the ephemeral port range)


@pytest.fixture(scope="module")
def server():
    data = Path(tempfile.mkdtemp(prefix="centralino-https-"))
    cert, key = data / "cert.pem", data / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    http_port, https_port, ami_port, sip_port = free_port(), free_port(), free_port(), free_port()
    env = dict(os.environ, CENTRALINO_ADMIN_PASSWORD=ADMIN_PASSWORD)
    binary = os.environ.get("CENTRALINO_BIN") or str(REPO / ".build/debug/centralino")
    command = [binary, "serve", "--data-dir", str(data / "data"), "--http-bind", f"127.0.0.1:{http_port}",
               "--ami-bind", f"127.0.0.1:{ami_port}", "--sip-bind", f"127.0.0.1:{sip_port}",
               "--tls-cert", str(cert), "--tls-key", str(key), "--https-bind", f"127.0.0.1:{https_port}",
               "--sip-tls-bind", "off", "--ami-tls-bind", "off"]
    log = open(data / "server.log", "w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(https_port, process)
        wait_for_port(http_port, process)
        yield {"https": f"https://127.0.0.1:{https_port}", "http": f"http://127.0.0.1:{http_port}", "cert": cert}
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100"):
        options.add_argument(argument)
    options.accept_insecure_certs = True   # the test's self-signed certificate
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def test_panel_login_over_https(server, browser):
    browser.get(server["https"] + "/")
    assert browser.current_url.startswith(server["https"])
    form = browser.find_element(By.ID, "login-form")
    form.find_element(By.NAME, "username").send_keys("admin")
    form.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/tenants"))
    assert browser.current_url.startswith(server["https"])
    assert browser.find_element(By.LINK_TEXT, "default")
    cookie = browser.get_cookie("centralino_session")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # The plain HTTP listener serves alongside.
    with urllib.request.urlopen(server["http"] + "/healthz", timeout=10) as response:
        assert response.status == 200
