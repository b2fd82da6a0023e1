"""AMI over TLS (`--ami-tls-bind`, Asterisk's `tlsenable`/`tlsbindaddr`) and HTTPS for the panel/API
(`--https-bind`) against the real binary, with a self-signed pair the test makes with `openssl req -x509`:

- `openssl s_client` gets the banner `Asterisk Call Manager/9.0.0` and logs in;
- panoramisk over TLS (its `ssl=` argument) and a raw `ssl` socket (amiwire) log in, ping and get events;
- the TLS listener shares the plain one's sessions and limits: the unauthenticated-per-address limit counts
  both, an ACL-refused user is refused over TLS too;
- TLS 1.1 is refused on AMI and HTTPS;
- GET /healthz over HTTPS verifying the test's certificate; the plain HTTP listener keeps working;
- a bad certificate or key stops the start with `Error: ...` and exit status 1.
"""

from __future__ import annotations

import asyncio
import http.client
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from amiwire import AMIConn, AMIError, login_conn
from conftest import SECRETS, centralino_bin, free_ports
from connections import retry
from tlspair import client_context, make_pair

BANNER = b"Asterisk Call Manager/9.0.0\r\n"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return make_pair(tmp_path_factory.mktemp("tlspair"))


def start_tls_server(start_server, pair, *extra: str, name: str = "tls"):
    """A server with AMI over TLS and HTTPS (SIP over TLS off); the runner waits for their ready lines."""
    srv = start_server(extra_args=["--ami-auth-delay-ms", "200"] + list(extra), name=name, tls=pair,
                       tls_listeners=("ami_tls", "https"))
    out = "".join(srv.stdout_lines)
    assert "AMI over TLS listening on 127.0.0.1:%d" % srv.ami_tls_port in out, out
    assert "HTTPS admin panel and REST API on https://127.0.0.1:%d/" % srv.https_port in out, out
    return srv


def tls_conn(port: int, cert: Path, read_banner: bool = True) -> AMIConn:
    """amiwire's blocking connection over a verified TLS socket."""
    conn = AMIConn(port, read_banner=False)
    conn.sock = client_context(cert).wrap_socket(conn.sock, server_hostname="127.0.0.1")
    if read_banner:
        conn.banner = conn.read_line()
    return conn


def s_client(port: int, *args: str, data: bytes = b"") -> str:
    res = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-no_ign_eof"] + list(args),
                         input=data, capture_output=True, timeout=30)
    return "rc=%d\n%s%s" % (res.returncode, res.stdout.decode("utf-8", "replace"), res.stderr.decode("utf-8", "replace"))


def test_openssl_s_client_gets_the_banner_and_logs_in(start_server, pair):
    srv = start_tls_server(start_server, pair)
    out = s_client(srv.ami_tls_port, "-quiet", "-CAfile", str(pair[0]), "-verify_return_error",
                   data=b"Action: Login\r\nUsername: monitor\r\nSecret: %s\r\nActionID: l1\r\n\r\n"
                        b"Action: Logoff\r\nActionID: l2\r\n\r\n" % SECRETS["monitor"].encode())
    assert "Asterisk Call Manager/9.0.0\r\n" in out, out
    assert "Response: Success\r\nActionID: l1\r\nMessage: Authentication accepted\r\n" in out, out
    assert "Response: Goodbye\r\nActionID: l2\r\n" in out, out
    # The plain AMI listener keeps working next to the TLS one.
    conn = login_conn(srv.port, "monitor", SECRETS["monitor"], events="off")
    conn.close()
    assert srv.alive


def test_panoramisk_over_tls_logs_in_pings_and_gets_events(start_server, pair):
    from panoramisk import Manager
    srv = start_tls_server(start_server, pair, name="tls-pano")

    async def scenario():
        loop = asyncio.get_running_loop()
        logged_in = loop.create_future()
        got_event = loop.create_future()
        manager = Manager(host="127.0.0.1", port=srv.ami_tls_port, username="monitor", secret=SECRETS["monitor"],
                          events="on", loop=loop, ssl=client_context(pair[0]), ping_delay=600, reconnect_timeout=600)
        manager.on_login = lambda mgr: logged_in.done() or logged_in.set_result(True)

        def on_user_event(mgr, event):
            if event.get("UserEvent") == "TLSProbe" and not got_event.done():
                got_event.set_result(event)

        manager.register_event("UserEvent", on_user_event)
        await manager.connect()
        try:
            await asyncio.wait_for(logged_in, 10)
            assert manager.protocol.version == "9.0.0"
            pong = await asyncio.wait_for(manager.send_action({"Action": "Ping"}), 5)
            assert pong["Response"] == "Success" and pong["Ping"] == "Pong", pong
            # The event comes from a raw TLS session of the same tenant.
            sender = await loop.run_in_executor(None, lambda: tls_conn(srv.ami_tls_port, pair[0]))
            try:
                await loop.run_in_executor(None, lambda: sender.login("monitor", SECRETS["monitor"], events="off"))
                resp = await loop.run_in_executor(None, lambda: sender.action(
                    [("Action", "UserEvent"), ("UserEvent", "TLSProbe"), ("Foo", "bar"), ("ActionID", "ue")]))
                assert resp == b"Response: Success\r\nActionID: ue\r\nMessage: Event Sent\r\n\r\n", resp
                event = await asyncio.wait_for(got_event, 5)
            finally:
                sender.close()
            assert event["Foo"] == "bar"
        finally:
            manager.close()

    asyncio.run(scenario())
    assert srv.alive


def test_raw_tls_session_and_shared_limits(start_server, pair):
    srv = start_tls_server(start_server, pair, "--ami-auth-limit-per-address", "2", name="tls-limits")
    conn = tls_conn(srv.ami_tls_port, pair[0])
    try:
        assert conn.banner == BANNER
        assert conn.sock.version() in ("TLSv1.2", "TLSv1.3")
        conn.login("monitor", SECRETS["monitor"], events="on")
        pong = conn.action([("Action", "Ping"), ("ActionID", "p")])
        assert b"Ping: Pong" in pong, pong
    finally:
        conn.close()
    # One unauthenticated plain and one TLS connection from 127.0.0.1 fill the per-address limit of 2:
    # a third, plain or TLS, is closed without a banner.
    plain = AMIConn(srv.port)
    held = tls_conn(srv.ami_tls_port, pair[0])
    try:
        assert plain.banner == BANNER and held.banner == BANNER
        third = AMIConn(srv.ami_tls_port, read_banner=False)
        try:
            third.sock.settimeout(5)
            try:
                wrapped = client_context(pair[0]).wrap_socket(third.sock, server_hostname="127.0.0.1")
                third.sock = wrapped
                third.expect_eof(5)
            except (ssl.SSLError, ConnectionResetError, BrokenPipeError, OSError):
                pass  # closed before or during the handshake: refused all the same
        finally:
            third.close()
        fourth = AMIConn(srv.port, read_banner=False)
        try:
            fourth.expect_eof(5)
        finally:
            fourth.close()
    finally:
        plain.close()
        held.close()
    # A wrong secret over TLS fails as on the plain listener (once the server has seen the two closes above
    # and freed the address's slots: until then a new connection is refused).
    bad = retry(lambda: tls_conn(srv.ami_tls_port, pair[0]), (OSError, AMIError))  # ssl.SSLError is an OSError
    try:
        resp = bad.action([("Action", "Login"), ("Username", "monitor"), ("Secret", "wrong"), ("ActionID", "x")])
        assert resp == b"Response: Error\r\nActionID: x\r\nMessage: Authentication failed\r\n\r\n", resp
    finally:
        bad.close()
    assert srv.alive


def test_tls_1_1_refused_on_ami_and_https(start_server, pair):
    srv = start_tls_server(start_server, pair, name="tls-versions")
    for port in (srv.ami_tls_port, srv.https_port):
        out = s_client(port, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
        assert not out.startswith("rc=0"), out
        assert "Cipher is (NONE)" in out and "alert protocol version" in out, out
        out = s_client(port, "-tls1_2", "-CAfile", str(pair[0]), "-verify_return_error")
        assert out.startswith("rc=0") and "Protocol  : TLSv1.2" in out, out
    assert srv.alive


def test_https_healthz_with_the_test_certificate(start_server, pair):
    srv = start_tls_server(start_server, pair, name="tls-https")
    conn = http.client.HTTPSConnection("127.0.0.1", srv.https_port, timeout=10, context=client_context(pair[0]))
    try:
        conn.request("GET", "/healthz")
        resp = conn.getresponse()
        assert resp.status == 200
        assert b'"ok"' in resp.read()
        assert conn.sock.version() in ("TLSv1.2", "TLSv1.3")
    finally:
        conn.close()
    plain = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=10)
    try:
        plain.request("GET", "/healthz")
        assert plain.getresponse().status == 200
    finally:
        plain.close()
    assert srv.alive


def test_https_keep_alive_outlives_the_handshake_timeout(start_server, pair):
    """The TLS handshake timer stops at the handshake: a kept-alive HTTPS connection still answers a
    second request after the handshake timeout (it was closed when the timer started only after the
    connection's first request, as Hummingbird's WebSocket-upgrading channel added it)."""
    srv = start_tls_server(start_server, pair, "--tls-handshake-timeout", "1", name="tls-keepalive")
    conn = http.client.HTTPSConnection("127.0.0.1", srv.https_port, timeout=10, context=client_context(pair[0]))
    try:
        for _ in range(2):
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            assert resp.status == 200
            resp.read()
            sock = conn.sock
            time.sleep(2.5)
        assert conn.sock is sock, "the HTTPS connection was closed and reopened"
    finally:
        conn.close()


def run_serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    ami, sip, http_port = free_ports(3)
    return subprocess.run([centralino_bin(), "serve", "--data-dir", str(tmp_path / "data"),
                           "--ami-bind", "127.0.0.1:%d" % ami, "--sip-bind", "127.0.0.1:%d" % sip,
                           "--http-bind", "127.0.0.1:%d" % http_port] + list(args),
                          capture_output=True, text=True, timeout=30)


def test_bad_certificate_or_key_stops_the_start(tmp_path, pair):
    cert, key = pair
    other = tmp_path / "other.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(other), "2048"], check=True, capture_output=True, timeout=60)
    cases = [
        (["--tls-cert", str(tmp_path / "missing.pem"), "--tls-key", str(key)], "cannot read the TLS certificate file"),
        (["--tls-cert", str(key), "--tls-key", str(key)], "holds no PEM certificate"),
        (["--tls-cert", str(cert), "--tls-key", str(cert)], "holds no unencrypted PEM private key"),
        (["--tls-cert", str(cert), "--tls-key", str(other)], "does not match the certificate"),
        (["--tls-cert", str(cert)], "--tls-cert and --tls-key go together"),
        (["--ami-tls-bind", "127.0.0.1:5039"], "--ami-tls-bind needs a certificate and key"),
    ]
    for args, message in cases:
        res = run_serve(tmp_path, *args)
        assert res.returncode == 1, (args, res.stdout, res.stderr)
        assert "Error: " in res.stderr and message in res.stderr, (args, res.stderr)
