"""Per-tenant capacity (issue 9, defect 9) and the admin API's body limits, against the real binary.

Before the fix, channels and RTP ports were one pool for every tenant: one tenant's ringing Originates
took what another tenant's next call needed. Now each tenant has limits (channels, RTP port pairs, AMI
sessions, originates per second), set here with ``centralino apply`` while the server runs:

- acme, limited to 6 channels, fills them with two ringing click-to-calls (SIPp phone that never
  answers: Local pair + the ringing leg each); its next Originate is refused at once with
  ``Response: Error`` and a Message naming the limit, its next inbound call gets 503, while globex's
  click-to-call still connects; ``/metrics`` shows the per-tenant gauges and refusals.
- acme limited to 2 AMI sessions refuses the third login with a clear message; limited to 1 Originate
  per second refuses the second Originate within the second.
- the admin API answers 413 (JSON error) for a body over 64 KiB and 400 (JSON error) for a malformed
  or deeply nested one; before the fix the first was a 500.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, Optional

import pytest

import c2chelp as h
import calltools as ct
from calltools import DOMAIN_A, SCENARIOS, TENANT_A_UUID, TENANT_B_UUID, Server
from server import store_args

ADMIN_PASSWORD = "capacity-admin-1"
# A small RTP range (20 pairs), so the node's own pool is what one tenant could exhaust: each tenant's
# default share is half of it, 10 pairs. Below the ephemeral range, away from other suites' 30000+.
RTP_LOW = 20000 + (os.getpid() % 200) * 40
RTP_PAIRS = 20


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    """This module's own server, with a known admin password (for an API token)."""
    srv = Server(tmp_path_factory.mktemp("pbx"), name="capacity",
                 extra_args=["--admin-password", ADMIN_PASSWORD,
                             "--rtp-ports", "%d-%d" % (RTP_LOW, RTP_LOW + 2 * RTP_PAIRS - 1)])
    yield srv
    srv.stop()


def apply_limits(pbx: Server, limits: Dict[str, int]) -> None:
    """`centralino apply` a file that sets acme's `limits` mapping (an empty one: the node's defaults)."""
    body = "".join("      %s: %d\n" % kv for kv in limits.items()) or "      {}\n"
    if not limits:
        text = "tenants:\n  - name: acme\n    uuid: %s\n    domain: %s\n    limits: {}\n" % (TENANT_A_UUID, DOMAIN_A)
    else:
        text = "tenants:\n  - name: acme\n    uuid: %s\n    domain: %s\n    limits:\n%s" % (TENANT_A_UUID, DOMAIN_A, body)
    path = pbx.workdir / "limits.yaml"
    path.write_text(text)
    res = subprocess.run([ct.centralino_bin(), "apply"] + store_args(pbx.data_dir) + [str(path)],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, "apply failed:\n%s\n%s" % (res.stdout, res.stderr)


def metrics(pbx: Server) -> str:
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % pbx.http_port, timeout=10) as r:
        return r.read().decode()


def metric(text: str, name: str, labels: str) -> Optional[int]:
    m = re.search(r"(?m)^%s\{%s\} (\d+)$" % (re.escape(name), re.escape(labels)), text)
    return int(m.group(1)) if m else None


def wait_metric(pbx: Server, name: str, labels: str, value: int, timeout: float = 5.0) -> None:
    """Polls /metrics (the HTTP listener may come up just after the SIP and AMI ready lines)."""
    seen = []

    def current() -> Optional[int]:
        try:
            return metric(metrics(pbx), name, labels)
        except urllib.error.URLError:
            return None
    ok = ct.wait_until(lambda: seen.append(current()) or seen[-1] == value, timeout, 0.1)
    assert ok, "%s{%s} should become %d; last seen %r" % (name, labels, value, seen[-1:])


def ringing_originate(agent: str) -> list:
    """A click-to-call whose agent phone rings (the raw action, as a CRM sends it)."""
    act = ct.c2c_variables_form(agent, "102", timeout_ms=30000)
    headers = [(k, v) for k, v in act.items() if k != "Variable"]
    headers += [("Variable", v) for v in act["Variable"]]
    return headers


def test_tenant_channel_limit_refuses_at_once_and_the_other_tenant_still_connects(pbx, peers, recorders):
    apply_limits(pbx, {"channels": 6})
    wait_metric(pbx, "centralino_tenant_channels_limit", 'tenant="acme"', 6)
    try:
        ringer = peers.phone("101", ct.uas_scenario(peers.workdir, "noanswer", wait=40000), calls=3, timeout=45,
                             name="phone101_acme_never_answers")
        crm = recorders("crm", events="off")
        for n in range(2):
            reply = crm.action(ringing_originate("101"))
            assert reply[0].get("Response") == "Success", reply
        # both ring: 2 x (Local;1, Local;2, PJSIP/101) = the 6 channels of acme
        assert ringer.wait_for_message(lambda m: m.method == "INVITE" and m.direction == "received", 10)
        wait_metric(pbx, "centralino_tenant_channels", 'tenant="acme"', 6)

        started = time.monotonic()
        refused = crm.action(ringing_originate("101"), timeout=15)
        elapsed = time.monotonic() - started
        assert refused[0].get("Response") == "Error", refused
        message = refused[0].get("Message") or ""
        assert "Originate refused" in message and "limit of 6 concurrent channels" in message, message
        assert elapsed < 10, "the refusal must come at once, not after the 30 s Originate timeout (%.1f s)" % elapsed

        # an inbound call of acme over its limit: 503 at once
        caller = peers.caller("100", "102", str(SCENARIOS / "uac_call_fail.xml"), domain=DOMAIN_A, timeout=15)
        rc = caller.wait()
        assert rc.received_finals()[-1:] == [503], "acme's inbound call over its channel limit:\n" + rc.report()

        # globex is untouched: its click-to-call connects (agent 100 and destination 101 answer)
        agent, dest = h.globex_phones(peers, hold=1000)
        h.assert_globex_click_to_call_connects(pbx, agent, dest)

        # the ringing phone never saw a third INVITE
        invites = [m for m in ringer.messages_so_far() if m.direction == "received" and m.method == "INVITE"
                   and not m.is_response]
        assert len({m.header("Call-ID") for m in invites}) == 2, [m.start for m in invites]

        text = metrics(pbx)
        assert metric(text, "centralino_tenant_channels", 'tenant="acme"') == 6, text
        assert metric(text, "centralino_tenant_rtp_port_pairs", 'tenant="acme"') == 2, text
        assert metric(text, "centralino_tenant_channels_limit", 'tenant="globex"') == 2000, text
        assert metric(text, "centralino_tenant_rtp_port_pairs_limit", 'tenant="globex"') == RTP_PAIRS // 2, (
            "half of the pairs of this server's --rtp-ports range:\n" + text)
        assert metric(text, "centralino_tenant_originates_per_second_limit", 'tenant="acme"') == 0, text
        assert (metric(text, "centralino_tenant_capacity_refusals_total", 'tenant="acme",limit="channels"') or 0) >= 2, text
        assert metric(text, "centralino_tenant_capacity_refusals_total", 'tenant="globex",limit="channels"') == 0, text
    finally:
        apply_limits(pbx, {})
    assert pbx.alive


def test_default_share_keeps_rtp_ports_for_the_other_tenant(pbx, peers, recorders):
    """The issue's attack with no limit configured: acme rings as many click-to-calls as the node has RTP
    port pairs. Before the fix every one was queued and globex's call found no port; now acme gets its
    default share (half the pairs) and the rest are refused at once."""
    ringer = peers.phone("101", ct.uas_scenario(peers.workdir, "noanswer", wait=40000), calls=RTP_PAIRS, timeout=45,
                         name="phone101_acme_never_answers")
    crm = recorders("crm", events="off")
    replies = [crm.action(ringing_originate("101"))[0] for _ in range(RTP_PAIRS)]
    accepted = [r for r in replies if r.get("Response") == "Success"]
    refused = [r for r in replies if r.get("Response") == "Error"]
    assert len(accepted) == RTP_PAIRS // 2 and len(refused) == RTP_PAIRS // 2, [r.get("Message") for r in replies]
    assert all("limit of %d RTP port pairs" % (RTP_PAIRS // 2) in (r.get("Message") or "") for r in refused), refused
    wait_metric(pbx, "centralino_tenant_rtp_port_pairs", 'tenant="acme"', RTP_PAIRS // 2, timeout=10)

    agent, dest = h.globex_phones(peers, hold=1000)
    h.assert_globex_click_to_call_connects(pbx, agent, dest)
    # what globex's call held is given back (no leak in the accounting)
    wait_metric(pbx, "centralino_tenant_channels", 'tenant="globex"', 0)
    wait_metric(pbx, "centralino_tenant_rtp_port_pairs", 'tenant="globex"', 0)
    invites = {m.header("Call-ID") for m in ringer.messages_so_far()
               if m.direction == "received" and not m.is_response and m.method == "INVITE"}
    assert len(invites) == RTP_PAIRS // 2, "only acme's share of calls may ring"
    assert pbx.alive


def ami_login(port: int, username: str, secret: str) -> tuple:
    """A raw Login: (response headers, whether the server closed the connection afterwards)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        buf = b""
        while b"\r\n" not in buf:
            buf += sock.recv(4096)
        sock.sendall(("Action: Login\r\nUsername: %s\r\nSecret: %s\r\nActionID: l1\r\n\r\n" % (username, secret)).encode())
        buf = buf.partition(b"\r\n")[2]
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(4096)
            if not chunk:
                break
            buf += chunk
        headers = dict(line.split(": ", 1) for line in buf.partition(b"\r\n\r\n")[0].decode().split("\r\n") if ": " in line)
        sock.settimeout(3)
        rest = buf.partition(b"\r\n\r\n")[2]
        closed = False
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    closed = True
                    break
                rest += chunk
        except socket.timeout:
            pass
        return headers, closed
    finally:
        sock.close()


def test_ami_session_limit_and_originate_rate(pbx, peers, recorders):
    apply_limits(pbx, {"ami_sessions": 2, "originates_per_second": 1})
    wait_metric(pbx, "centralino_tenant_ami_sessions_limit", 'tenant="acme"', 2)
    first: Optional[ct.AMIRecorder] = None
    second: Optional[ct.AMIRecorder] = None
    try:
        first = ct.AMIRecorder(pbx.ami_port, "crm", "s3cret", events="off")
        second = ct.AMIRecorder(pbx.ami_port, "monitor", "m0nitor", events="security")
        mark = second.mark()
        headers, closed = ami_login(pbx.ami_port, "crm", "s3cret")
        assert headers.get("Response") == "Error", headers
        assert "limit of 2 AMI sessions" in headers.get("Message", ""), headers
        assert closed, "the refused session must be closed"
        # as Asterisk reports a session refused for a limit: a SessionLimit security event
        event = second.wait_for(lambda m: m.event == "SessionLimit", 5, mark)
        assert event is not None and event.get("AccountID") == "crm", second.since(mark)
        # globex's users are not counted against acme
        other = recorders("crm_b", events="off")
        assert other.login_response.get("Response") == "Success"
        # a session ending frees its place
        second.close()
        second = None
        wait_metric(pbx, "centralino_tenant_ami_sessions", 'tenant="acme"', 1)
        second = ct.AMIRecorder(pbx.ami_port, "crm", "s3cret", events="off")

        # 1 Originate per second: the second within the same second is refused at once
        act = [("Action", "Originate"), ("Channel", "Local/100@c2c"), ("Context", "from_c2c"), ("Exten", "101"),
               ("Priority", "1"), ("Async", "true"), ("Timeout", "2000")]
        assert first.action(act)[0].get("Response") == "Success"
        refused = first.action(act)[0]
        assert refused.get("Response") == "Error", refused
        assert "limit of 1 originates per second" in (refused.get("Message") or ""), refused
        time.sleep(1.1)
        assert first.action(act)[0].get("Response") == "Success", "the rate refills after a second"
        text = metrics(pbx)
        assert (metric(text, "centralino_tenant_capacity_refusals_total", 'tenant="acme",limit="ami_sessions"') or 0) >= 1, text
        assert (metric(text, "centralino_tenant_capacity_refusals_total", 'tenant="acme",limit="originate_rate"') or 0) >= 1, text
    finally:
        for rec in (first, second):
            if rec is not None:
                rec.close()
        apply_limits(pbx, {})
        wait_metric(pbx, "centralino_tenant_ami_sessions_limit", 'tenant="acme"', 100)
    assert pbx.alive


def create_api_token(port: int) -> str:
    """Panel sign-in as the system administrator, then a new API token from the tokens page. Cookies
    are kept by hand: the panel marks them Secure on loopback, which http.cookiejar never sends over http."""
    base = "http://127.0.0.1:%d" % port
    cookies: Dict[str, str] = {}

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def fetch(path: str, form: Optional[Dict[str, str]] = None) -> str:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(base + path, data=data)
        if cookies:
            req.add_header("Cookie", "; ".join("%s=%s" % kv for kv in cookies.items()))
        try:
            resp = opener.open(req, timeout=10)
        except urllib.error.HTTPError as e:   # 303 after a form
            resp = e
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            cookies[name.strip()] = value.strip()
        return resp.read().decode()

    def csrf(html: str) -> str:
        return re.search(r'name="_csrf" value="([^"]+)"', html).group(1)

    page = fetch("/")
    fetch("/login", {"username": "admin", "password": ADMIN_PASSWORD, "_csrf": csrf(page)})
    page = fetch("/tokens")
    page = fetch("/tokens", {"name": "capacity", "_csrf": csrf(page)})
    return re.search(r"cntl_[A-Za-z0-9_-]+", page).group(0)


def api(port: int, token: Optional[str], method: str, path: str, body: Optional[bytes]) -> tuple:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, json.loads(text) if text else None
        except ValueError:
            return e.code, text.decode(errors="replace")


def test_admin_api_json_body_limits(pbx):
    token = create_api_token(pbx.http_port)
    big = json.dumps({"name": "x" * (70 * 1024)}).encode()
    for who in (token, None):
        status, body = api(pbx.http_port, who, "POST", "/api/v1/tenants", big)
        assert status == 413, (status, body)
        assert body["error"]["code"] == "too_large", body
    # a chunked body (no Content-Length) is cut off as it grows past the limit
    conn = http.client.HTTPConnection("127.0.0.1", pbx.http_port, timeout=10)
    try:
        chunks = (b'{"name":"' + b"x" * 8192 if i == 0 else b"x" * 8192 for i in range(10))
        conn.request("POST", "/api/v1/tenants", body=chunks, encode_chunked=True,
                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        reply = conn.getresponse()
        assert reply.status == 413, (reply.status, reply.read()[:200])
        assert json.loads(reply.read())["error"]["code"] == "too_large"
    finally:
        conn.close()
    nested = b'{"name":' + b"[" * 20000 + b"]" * 20000 + b"}"
    for bad in (nested, b'{"name": "x"', b"not json", b'{"name": 5}', b'{"name":"t","limits":{"channels":1e300}}'):
        status, body = api(pbx.http_port, token, "POST", "/api/v1/tenants", bad)
        assert status == 400, (bad[:40], status, body)
        assert body["error"]["code"] == "bad_request", body
    # limits over the API, checked by the store's rules
    status, body = api(pbx.http_port, token, "PUT", "/api/v1/tenants/%s" % TENANT_B_UUID,
                       json.dumps({"name": "globex", "limits": {"channels": 0}}).encode())
    assert status == 422 and body["error"]["field"] == "limits.channels", body
    status, body = api(pbx.http_port, token, "GET", "/api/v1/tenants/%s/capacity" % TENANT_B_UUID, None)
    assert status == 200 and body["channelsLimit"] == 2000, body
    assert pbx.alive
    assert api(pbx.http_port, token, "GET", "/api/v1/tenants", None)[0] == 200
