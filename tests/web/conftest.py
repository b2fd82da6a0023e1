"""The web suite's servers run on tests/common/server.py (no provisioning: serve bootstraps the
`default` tenant); a failing test's report gets every running server's log written during it.
`chromium()` starts the headless browser the tests drive; the `browser` fixture is one per test module
(a module that needs other options defines its own, as test_https.py does)."""

import shutil
import sys
from pathlib import Path

import pytest

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from server import pytest_runtest_makereport, pytest_runtest_protocol  # noqa: E402,F401  (logs in failure reports)


def chromium(accept_insecure_certs: bool = False) -> webdriver.Chrome:
    """Headless Chromium (Debian's) through chromedriver; `accept_insecure_certs` for a test's self-signed pair."""
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100"):
        options.add_argument(argument)
    options.accept_insecure_certs = accept_insecure_certs
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(5)
    return driver


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()
