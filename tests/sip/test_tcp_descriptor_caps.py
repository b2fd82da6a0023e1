"""File-descriptor exhaustion over SIP/TCP (issue 9, defect 4), against the real binary run under a
256-descriptor limit (prlimit): idle TCP connections from one address, and from many, are capped
(the excess is closed at once), AMI logins and GET /healthz keep working meanwhile, connections that
never send a valid SIP message are closed after the (test-shortened) setup timeout, and one that did
send a valid request stays open across it.
"""

from __future__ import annotations

import http.client
import os
import socket
import stat
import time

import sipwire
import siptools
from connections import is_closed, wait_until

NOFILE = 256
SETUP_TIMEOUT = 10

YAML = """\
tenants:
  - name: default
    extensions:
      - { number: "1001", password: "secret1001" }
    ami_users:
      - username: crm
        password: s3cret
        permit: ["127.0.0.0/8"]
        read: all
        write: all
"""


def limited_binary(tmp_path) -> str:
    """A wrapper that execs the real binary under `prlimit --nofile=256:256` (same process)."""
    wrapper = tmp_path / ("centralino-nofile-%d" % NOFILE)
    wrapper.write_text("#!/bin/sh\nexec prlimit --nofile=%d:%d %s \"$@\"\n" % (NOFILE, NOFILE, siptools.centralino_bin()))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper)


def connect_many(port: int, source: str, count: int) -> list:
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        s.setblocking(False)
        socks.append(s)
    return socks


def open_count(socks: list) -> int:
    return sum(1 for s in socks if not is_closed(s))


def ami_login_ok(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        data = b""
        while b"\r\n" not in data:
            data += s.recv(1024)
        s.sendall(b"Action: Login\r\nUsername: crm\r\nSecret: s3cret\r\nEvents: off\r\nActionID: l\r\n\r\n")
        while b"\r\n\r\n" not in data.split(b"\r\n", 1)[1]:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return b"Response: Success" in data


def healthz_ok(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    finally:
        conn.close()


def test_idle_tcp_connections_are_capped_and_closed_under_a_low_descriptor_limit(start_server, tmp_path, monkeypatch):
    monkeypatch.setenv("CENTRALINO_BIN", limited_binary(tmp_path))
    srv = start_server(extra_args=["--sip-tcp-setup-timeout", str(SETUP_TIMEOUT)], yaml_text=YAML, name="nofile")
    assert "the file descriptor limit is %d" % NOFILE in srv.log_text(), "a low limit is warned about at start"
    assert wait_until(lambda: healthz_ok(srv.http_port), 10)

    # A peer that keeps a SIP conversation going on one connection (checked after the setup timeout).
    keeper = sipwire.SipClient(srv.sip_port, transport="tcp")
    options = lambda: keeper.request("OPTIONS", "sip:127.0.0.1:%d" % srv.sip_port, "sip:127.0.0.1:%d" % srv.sip_port,
                                     from_="sip:keeper@127.0.0.1")
    assert options().status == 200

    flood_began = time.monotonic()  # the first connections' setup timers start about now
    one_address = connect_many(srv.sip_port, "127.0.0.1", 300)
    many = [s for i in range(2, 10) for s in connect_many(srv.sip_port, "127.0.0.%d" % i, 60)]
    try:
        # the server closes the ones over the caps as it accepts them (a backlog not yet accepted looks open):
        # poll until at most half the setup timeout after the first connect, which would close them all
        # whatever the caps
        wait_until(lambda: open_count(one_address) <= 64 and open_count(one_address) + open_count(many) < NOFILE // 2,
                   max(0.0, SETUP_TIMEOUT / 2 - (time.monotonic() - flood_began)))
        assert srv.alive, "the node must survive a flood of idle TCP connections under a %d-descriptor limit" % NOFILE
        open_one, open_many = open_count(one_address), open_count(many)
        assert 0 < open_one <= 64, "idle connections from one address left open: %d of %d" % (open_one, len(one_address))
        assert open_one + open_many < NOFILE // 2, \
            "idle connections left open from 9 addresses: %d (limit %d descriptors)" % (open_one + open_many, NOFILE)
        assert ami_login_ok(srv.ami_port), "AMI login must work while SIP/TCP is flooded"
        assert healthz_ok(srv.http_port), "GET /healthz must work while SIP/TCP is flooded"

        assert wait_until(lambda: open_count(one_address) + open_count(many) == 0, SETUP_TIMEOUT + 10), \
            "connections that never sent a valid SIP message must be closed after the setup timeout (%d s): %d open" % (
                SETUP_TIMEOUT, open_count(one_address) + open_count(many))
        assert options().status == 200, "a connection that sent a valid request stays open across the setup timeout"

        # Once the idle ones are gone, new connections are admitted again.
        again = connect_many(srv.sip_port, "127.0.0.1", 3)
        time.sleep(0.5)
        assert open_count(again) == 3
        for s in again:
            s.close()
    finally:
        keeper.close()
        for s in one_address + many:
            s.close()
    assert srv.alive


def test_idle_timeout_counts_crlf_keepalives_and_spares_registered_connections(start_server):
    idle = 3
    srv = start_server(extra_args=["--sip-tcp-setup-timeout", "30", "--sip-tcp-idle-timeout", str(idle)], name="tcp-idle")
    uri = "sip:127.0.0.1:%d" % srv.sip_port

    silent = sipwire.SipClient(srv.sip_port, transport="tcp")
    pinger = sipwire.SipClient(srv.sip_port, transport="tcp")
    registered = sipwire.SipClient(srv.sip_port, transport="tcp")
    try:
        for c in (silent, pinger):
            assert c.request("OPTIONS", uri, uri, from_="sip:probe@127.0.0.1").status == 200
        _, final = registered.register("1001", "secret1001", "127.0.0.1", expires=60,
                                       contacts=["<sip:1001@127.0.0.1:%d;transport=tcp>" % registered.local[1]])
        assert final.status == 200, final.text()
        for c in (silent, pinger, registered):
            c.sock.setblocking(False)
        deadline = time.monotonic() + idle * 2 + 2
        while time.monotonic() < deadline:
            pinger.sock.sendall(b"\r\n\r\n")   # RFC 5626 §4.4.1 CRLF keep-alive
            time.sleep(0.5)
        assert is_closed(silent.sock), "a silent connection must be closed after the idle timeout (%d s)" % idle
        assert not is_closed(pinger.sock), "CRLF keep-alives count as activity"
        assert not is_closed(registered.sock), "a connection with a valid registration through it stays open"
        for c in (pinger, registered):
            c.sock.setblocking(True)
            c.sock.settimeout(5)
        assert pinger.request("OPTIONS", uri, uri, from_="sip:probe@127.0.0.1").status == 200
    finally:
        for c in (silent, pinger, registered):
            c.close()
    assert srv.alive
