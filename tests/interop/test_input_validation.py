"""Input validation of `centralino apply` and the REST API against the real binary (issue 9, defects 1
and 11): control characters in any text field and numbers outside their range are refused with an
error that names line and field, nothing is applied, and the running server is unaffected."""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from amiwire import AMIConn
from conftest import Server, provisioning_yaml

NEW_USER = """\
      - username: probe9
        password: pr0be9
        permit: ["127.0.0.0/8"]
        read: call
        write: call
"""


def bad_file(extension: str = "", trunk: str = "", route: str = "", permit: str = "") -> str:
    """The fixture's file with, in acme, a new AMI user probe9 (exists only if the whole file was
    applied) and one item carrying the value under test."""
    text = provisioning_yaml()
    bob = '      - { number: "101", name: "Bob", password: "pw101" }\n'
    if extension:
        text = text.replace(bob, bob + '      - { number: "150", name: %s, password: "pw150" }\n' % extension, 1)
    probe = NEW_USER.replace('permit: ["127.0.0.0/8"]', 'permit: ["127.0.0.0/8"%s]' % (", " + permit if permit else ""))
    text = text.replace("    ami_users:\n", "    ami_users:\n" + probe, 1)
    block = ""
    if trunk or route:
        block += "    trunks:\n      - %s\n" % (trunk or "{ name: carrier, host: 127.0.0.1, port: 5090 }")
    if route:
        block += "    outbound_routes:\n      - %s\n" % route
    return text.replace("    ami_users:\n", block + "    ami_users:\n", 1)


def probe_can_log_in(port: int) -> bool:
    conn = AMIConn(port)
    try:
        return b"Success" in conn.login("probe9", "pr0be9", events="off")
    finally:
        conn.close()


BAD_FILES = {
    "extension name CR LF": (dict(extension=r'"Alice\r\nX-Injected: yes"'), "name"),
    "extension name NUL": (dict(extension=r'"Bob\0"'), "name"),
    "extension name bare CR": (dict(extension=r'"Eve\rX"'), "name"),
    "trunk username LF": (dict(trunk=r'{ name: carrier, host: 127.0.0.1, username: "u\nX: y" }'), "username"),
    "trunk host CR LF": (dict(trunk=r'{ name: carrier, host: "127.0.0.1\r\n" }'), "host"),
    "route trunk CR LF": (dict(route=r'{ prefix: "0", trunk: "carrier\r\nX: y" }'), "trunk"),
    "permit entry CR LF": (dict(permit=r'"10.0.0.0/8\r\n"'), "permit"),
    "trunk port huge": (dict(trunk="{ name: carrier, host: 127.0.0.1, port: 99999999999999999999 }"), "port"),
    "trunk port negative": (dict(trunk="{ name: carrier, host: 127.0.0.1, port: -1 }"), "port"),
    "route strip huge": (dict(route='{ prefix: "0", trunk: carrier, strip: 99999999999999999999 }'), "strip"),
    "route strip negative": (dict(route='{ prefix: "0", trunk: carrier, strip: -1 }'), "strip"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_apply_refuses_control_characters_and_bad_numbers(server, case):
    kwargs, field = BAD_FILES[case]
    text = bad_file(**kwargs)
    res = server.apply(text, "bad-%s.yaml" % case.replace(" ", "-"))
    assert res.returncode != 0, "apply accepted %s\n%s\nstderr: %s" % (case, text, res.stderr)
    assert field in res.stderr, "the error names the field %r: %s" % (field, res.stderr)
    assert re.search(r"\.yaml:\d+: ", res.stderr), "the error names the line: %s" % res.stderr
    assert "\r" not in res.stderr and res.stderr.count("\n") <= 3, (
        "the error must not echo a raw CR/LF: %r" % res.stderr)
    assert not probe_can_log_in(server.port), "apply of a refused file must change nothing"
    assert server.alive


def test_the_same_file_without_the_bad_value_applies(server):
    """The fixture's base is fine: the refusals above come from the bad values alone."""
    text = bad_file(extension='"Zoë Müller"', route='{ prefix: "0", trunk: carrier, strip: 80 }',
                    permit='"10.0.0.0/8"')
    res = server.apply(text, "good.yaml")
    assert res.returncode == 0, "stdout: %s\nstderr: %s" % (res.stdout, res.stderr)
    assert wait_for(lambda: probe_can_log_in(server.port), 10), "the valid file was applied: probe9 logs in"
    res = server.apply(provisioning_yaml(), "restore.yaml")
    assert res.returncode == 0, res.stderr


ADMIN_PASSWORD = "validation-admin-1"


def test_rest_api_refuses_control_characters_and_bad_numbers(tmp_path):
    """One real HTTP round trip through the binary's admin API: the system administrator signs in to
    the panel, creates an API token, and the API answers 422/400 to bad values."""
    srv = Server(tmp_path, extra_args=["--admin-password", ADMIN_PASSWORD], name="http")
    try:
        token = create_api_token(srv.http_port)
        tenants = api(srv.http_port, token, "GET", "/api/v1/tenants")[1]
        acme = next(t for t in tenants if t["name"] == "acme")
        base = "/api/v1/tenants/%s" % acme["uuid"]
        status, body = api(srv.http_port, token, "POST", base + "/extensions",
                           {"number": "150", "name": "Alice\r\nX-Injected: yes", "password": "pw150"})
        assert status == 422 and body["error"]["field"] == "name", (status, body)
        status, body = api(srv.http_port, token, "POST", base + "/trunks",
                           {"name": "t1", "host": "sip.example.com", "port": 99999999999})
        assert status == 422 and body["error"]["field"] == "port", (status, body)
        status, body = api(srv.http_port, token, "POST", base + "/trunks", "{\"name\":\"t1\",\"host\":\"h\",\"port\":1e300}")
        assert status == 400, (status, body)
        numbers = [e["number"] for e in api(srv.http_port, token, "GET", base + "/extensions")[1]]
        assert "150" not in numbers, numbers
        assert srv.alive
    finally:
        srv.stop()


def wait_for(pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return False


def create_api_token(port: int) -> str:
    """Panel sign-in as the system administrator, then a new API token from the tokens page. The
    cookies are kept by hand: on 127.0.0.1 the panel marks them Secure (browsers treat loopback as a
    secure context), which Python's cookie jar would not send over plain HTTP."""
    cookies = {}

    def fetch(path, form=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Cookie": "; ".join("%s=%s" % kv for kv in cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request("POST" if form is not None else "GET", path, body=body, headers=headers)
        response = conn.getresponse()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            cookies[name.strip()] = rest.split(";")[0]
        text = response.read().decode()
        conn.close()
        return response.status, text

    def csrf(html: str) -> str:
        return re.search(r'name="_csrf" value="([^"]+)"', html).group(1)

    _, page = fetch("/")
    status, _ = fetch("/login", {"username": "admin", "password": ADMIN_PASSWORD, "_csrf": csrf(page)})
    assert status == 303, "panel login as admin: %s" % status
    _, page = fetch("/tokens")
    status, page = fetch("/tokens", {"name": "validation", "_csrf": csrf(page)})
    assert status == 200, status
    return re.search(r"cntl_[A-Za-z0-9_-]+", page).group(0)


def api(port, token, method, path, payload=None):
    data = None if payload is None else (payload if isinstance(payload, str) else json.dumps(payload)).encode()
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method=method,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, (json.loads(text) if text else None)
