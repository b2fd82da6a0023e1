"""Reading pages that change under the test: the dashboard's live refresh replaces its rows every few
seconds, and a submitted form's page is replaced by the next one. Chromium reports an element of a
replaced document either as stale or as "Node with given id does not belong to the document" (a plain
WebDriverException); both mean the element is gone."""

import time

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By


def texts(browser, selector: str, attempts: int = 20) -> list:
    """The text of every element matching the CSS `selector`, read again when the page replaced them
    while they were being read."""
    for _ in range(attempts - 1):
        try:
            return [element.text for element in browser.find_elements(By.CSS_SELECTOR, selector)]
        except WebDriverException:
            time.sleep(0.1)
    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, selector)]


def replaced(element):
    """A WebDriverWait condition: `element`'s document is gone (the browser has moved to another page)."""
    def gone(_driver) -> bool:
        try:
            element.is_enabled()
            return False
        except WebDriverException:
            return True
    return gone
