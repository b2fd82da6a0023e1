"""The admin panel's login throttle works per source address (issue 9): five wrong `admin` passwords
from one address must not lock the system administrator out for everyone. The address is the
socket's, never X-Forwarded-For (which the client writes)."""

from __future__ import annotations

import http.client
import re
import urllib.parse

ADMIN_PASSWORD = "Adm1n-pass-for-tests"


class SourceBoundConnection(http.client.HTTPConnection):
    def __init__(self, port: int, source: str):
        super().__init__("127.0.0.1", port, timeout=10, source_address=(source, 0))


def admin_login(port: int, password: str, source: str, forwarded_for: str | None = None) -> int:
    """GET / (for the CSRF cookie and field), then POST /login from `source`: the status code."""
    conn = SourceBoundConnection(port, source)
    try:
        conn.request("GET", "/")
        page = conn.getresponse()
        body = page.read().decode("utf-8", "replace")
        cookies = [c.split(";", 1)[0] for c in page.headers.get_all("Set-Cookie") or []]
        match = re.search(r'name="_csrf"\s+value="([^"]+)"', body) or re.search(r'value="([^"]+)"\s+name="_csrf"', body)
        assert match, "no CSRF field on the login page:\n%s" % body[:2000]
        form = urllib.parse.urlencode({"username": "admin", "password": password, "_csrf": match.group(1)})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(cookies)}
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        conn.request("POST", "/login", body=form, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_wrong_admin_passwords_from_one_address_do_not_lock_out_another(start_server):
    srv = start_server(["--admin-password", ADMIN_PASSWORD], name="admin-throttle")
    attacker, operator = "127.0.0.11", "127.0.0.12"
    statuses = [admin_login(srv.http_port, "wrong-%d" % i, attacker) for i in range(6)]
    assert statuses[-1] == 429, "the guessing address is throttled after 5 failures: %r" % statuses
    assert admin_login(srv.http_port, ADMIN_PASSWORD, attacker) == 429, "the right password from the locked address waits"
    # The real administrator, from another address, logs in (303 redirect to the tenant list).
    assert admin_login(srv.http_port, ADMIN_PASSWORD, operator) == 303, \
        "five wrong 'admin' passwords from %s locked the system administrator out everywhere" % attacker


def test_x_forwarded_for_does_not_choose_the_throttled_address(start_server):
    srv = start_server(["--admin-password", ADMIN_PASSWORD], name="admin-xff")
    attacker = "127.0.0.13"
    # Each guess claims another client address: the socket's address is what counts.
    statuses = [admin_login(srv.http_port, "wrong-%d" % i, attacker, forwarded_for="198.51.100.%d" % i) for i in range(6)]
    assert statuses[-1] == 429, "rotating X-Forwarded-For must not evade the throttle: %r" % statuses
    # And a forged X-Forwarded-For naming the attacker's address does not lock out an honest client.
    assert admin_login(srv.http_port, ADMIN_PASSWORD, "127.0.0.14", forwarded_for=attacker) == 303
