"""SIP over TLS against the real binary (`--tls-cert`, `--tls-key`, `--sip-tls-bind`), with a self-signed
pair the test makes with `openssl req -x509`:

- a raw TLS client (Python `ssl`, verifying the test's certificate) REGISTERs with digest over TLS, and
  Centralino reaches the phone back over that same connection: its qualify OPTIONS arrive on the TLS
  socket with `Via: SIP/2.0/TLS` naming the TLS listener's port;
- a pjsua2 phone registered over TLS takes a call from a pjsua2 phone on UDP (INVITE sent over TLS with
  `transport=tls` in Contact), and the plain UDP/TCP listener keeps working alongside;
- TLS 1.1 is refused (`openssl s_client -tls1_1`), TLS 1.2 accepted;
- a connection that never completes its handshake is closed after `--tls-handshake-timeout`;
- TLS connections count against the SIP/TCP connection caps (`--sip-tcp-max-connections-per-address`).

SIPp is not used: Debian's sip-tester is built without OpenSSL (`-t l1` says so).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List, Optional

import pytest

import sipwire
from siptools import PASSWORDS, free_ports
from tlspair import client_context, make_pair

PHONE = Path(__file__).resolve().parents[1] / "calls" / "peers" / "pj_call_phone.py"  # one phone for both suites
DOMAIN = "acme.test"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return make_pair(tmp_path_factory.mktemp("tlspair"))


def start_tls_server(start_server, pair, *extra: str, name: str = "tls"):
    """A server with SIP over TLS (AMI over TLS and HTTPS off); the runner waits for its ready line."""
    srv = start_server(extra_args=list(extra), name=name, tls=pair, tls_listeners=("sip_tls",))
    assert any(("SIP over TLS listening on 127.0.0.1:%d" % srv.sip_tls_port) in ln for ln in srv.stdout_lines), \
        "".join(srv.stdout_lines)
    return srv


class TLSSipClient(sipwire.SipClient):
    """sipwire's stream client over a verified TLS connection; Via says TLS."""

    def __init__(self, port: int, cert: Path):
        super().__init__(port, transport="tcp")
        self.sock = client_context(cert).wrap_socket(self.sock, server_hostname="127.0.0.1")
        self.transport = "tls"

    def build(self, method, ruri, headers, body=b"", branch=None):
        return super().build(method, ruri, headers, body, branch).replace(b"SIP/2.0/TCP ", b"SIP/2.0/TLS ", 1)


def test_digest_register_over_tls_and_reached_back_on_the_same_connection(start_server, pair):
    srv = start_tls_server(start_server, pair, "--sip-qualify-interval", "1")
    client = TLSSipClient(srv.sip_tls_port, pair[0])
    try:
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
        contact = "<sip:100@127.0.0.1:%d;transport=tls>" % client.local[1]
        first, final = client.register("100", PASSWORDS[(DOMAIN, "100")], DOMAIN, expires=60, contacts=[contact])
        assert first.status == 401, first.text()
        assert final.status == 200, final.text()
        assert any("transport=tls" in c for c in final.get_all("contact")), final.text()
        # Qualify: Centralino's OPTIONS comes back on this TLS connection, Via naming TLS and its TLS port.
        options = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and options is None:
            msg = client.recv_message(1.0)
            if msg is not None and not msg.is_response and msg.method == "OPTIONS":
                options = msg
        assert options is not None, "no qualify OPTIONS over the TLS connection:\n" + "\n".join(client.log)
        via = options.get("via") or ""
        assert via.startswith("SIP/2.0/TLS 127.0.0.1:%d" % srv.sip_tls_port), options.text()
        # Answer it, so the contact counts as reachable.
        lines = ["SIP/2.0 200 OK"] + ["%s: %s" % (h, options.get(h)) for h in ("Via", "From", "To", "Call-ID", "CSeq")]
        client.send_raw(("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode())
    finally:
        client.close()
    # The plain listeners keep working next to the TLS one.
    with sipwire.SipClient(srv.sip_port, transport="udp") as udp:
        uri = "sip:127.0.0.1:%d" % srv.sip_port
        assert udp.request("OPTIONS", uri, uri, from_="sip:probe@127.0.0.1").status == 200
    with sipwire.SipClient(srv.sip_port, transport="tcp") as tcp:
        uri = "sip:127.0.0.1:%d;transport=tcp" % srv.sip_port
        assert tcp.request("OPTIONS", uri, uri, from_="sip:probe@127.0.0.1").status == 200
    assert srv.alive


class Phone:
    def __init__(self, workdir: Path, registrar: str, ext: str, *args: str, timeout: float = 40.0):
        sip_port = free_ports(1)[0]
        rtp_port = free_ports(1)[0] & ~1
        self.cmd = [sys.executable, str(PHONE), ext, PASSWORDS[(DOMAIN, ext)], registrar, "--domain", DOMAIN,
                    "--sip-port", str(sip_port), "--rtp-port", str(rtp_port), "--timeout", str(timeout),
                    "--log-messages"] + list(args)
        self.lines: List[str] = []
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     errors="replace", stdin=subprocess.DEVNULL, cwd=str(workdir),
                                     start_new_session=True)
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        for line in iter(self.proc.stdout.readline, ""):
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float) -> Optional[str]:
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ln in list(self.lines):
                if rx.search(ln):
                    return ln
            if self.proc.poll() is not None and not self._t.is_alive():
                break
            time.sleep(0.05)
        return None

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._t.join(2)
        return "\n".join(self.lines)


def test_pjsua2_over_tls_takes_a_call_from_a_udp_phone(start_server, pair, tmp_path, peer_log):
    srv = start_tls_server(start_server, pair, name="tls-call")
    callee = Phone(tmp_path, "127.0.0.1:%d" % srv.sip_tls_port, "100", "--answer", "--transport", "tls",
                   "--ca", str(pair[0]))
    caller = None
    try:
        assert callee.wait_for(r"^REG code=200", 20), "TLS phone did not register:\n" + "\n".join(callee.lines[-80:])
        caller = Phone(tmp_path, "127.0.0.1:%d" % srv.sip_port, "101", "--call", "100", "--talk", "2")
        assert caller.wait_for(r"^DONE rc=0", 40), "UDP caller's call failed:\n" + "\n".join(caller.lines[-120:])
        assert caller.wait_for(r"^CALL state=CONFIRMED", 1)
        assert callee.wait_for(r"^CALL state=CONFIRMED .*role=callee", 5), "\n".join(callee.lines[-120:])
        text = "\n".join(callee.lines)
        invite = text[text.find("INVITE sip:"):][:3000]
        assert "INVITE sip:" in text, text[-4000:]
        assert re.search(r"(?im)^(LOG )?Via: SIP/2.0/TLS 127\.0\.0\.1:%d;" % srv.sip_tls_port, invite), invite
        assert re.search(r"(?im)^(LOG )?Contact: <sip:centralino@127\.0\.0\.1:%d;transport=tls>" % srv.sip_tls_port, invite), invite
    finally:
        peer_log("callee (TLS)", callee.stop())
        if caller is not None:
            peer_log("caller (UDP)", caller.stop())
    assert srv.alive


def s_client(port: int, *args: str, data: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-no_ign_eof"] + list(args),
                          input=data, capture_output=True, timeout=30)


def test_tls_1_1_refused_and_tls_1_2_accepted(start_server, pair):
    srv = start_tls_server(start_server, pair, name="tls-versions")
    old = s_client(srv.sip_tls_port, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    out = (old.stdout + old.stderr).decode("utf-8", "replace")
    assert old.returncode != 0, out
    # s_client names the version it tried; no cipher was agreed and the server sent the protocol_version alert.
    assert "Cipher is (NONE)" in out and "alert protocol version" in out, out
    new = s_client(srv.sip_tls_port, "-tls1_2", "-CAfile", str(pair[0]), "-verify_return_error")
    out = (new.stdout + new.stderr).decode("utf-8", "replace")
    assert new.returncode == 0, out
    assert "Protocol  : TLSv1.2" in out and "Verify return code: 0 (ok)" in out, out
    assert srv.alive


def closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(4096) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def test_stalled_handshake_closed_and_tls_counts_against_tcp_caps(start_server, pair):
    srv = start_tls_server(start_server, pair, "--tls-handshake-timeout", "2",
                           "--sip-tcp-max-connections-per-address", "2", name="tls-caps")
    held: List[socket.socket] = []
    try:
        # Two TCP connections to the TLS port that never say hello: admitted, then closed by the handshake timeout.
        for _ in range(2):
            held.append(socket.create_connection(("127.0.0.1", srv.sip_tls_port), timeout=5))
        time.sleep(0.3)
        third = socket.create_connection(("127.0.0.1", srv.sip_tls_port), timeout=5)
        held.append(third)
        assert closed_within(third, 3), "a third connection from one address must be closed at once (cap 2)"
        started = time.monotonic()
        assert closed_within(held[0], 8), "a stalled handshake must be closed after --tls-handshake-timeout"
        assert 1.0 <= time.monotonic() - started + 0.3 <= 8
        assert closed_within(held[1], 3)
        # The slots are free again: a real TLS client gets in.
        client = TLSSipClient(srv.sip_tls_port, pair[0])
        try:
            uri = "sip:127.0.0.1:%d;transport=tls" % srv.sip_tls_port
            assert client.request("OPTIONS", uri, uri, from_="sip:probe@127.0.0.1").status == 200
        finally:
            client.close()
    finally:
        for s in held:
            s.close()
    assert srv.alive


def test_sips_uris_accepted_over_tls(start_server, pair):
    srv = start_tls_server(start_server, pair, name="tls-sips")
    client = TLSSipClient(srv.sip_tls_port, pair[0])
    try:
        contact = "<sips:101@127.0.0.1:%d>" % client.local[1]
        first, final = client.register("101", PASSWORDS[(DOMAIN, "101")], DOMAIN, expires=60, contacts=[contact],
                                       ruri="sips:%s" % DOMAIN)
        assert first.status == 401, first.text()
        assert final.status == 200, final.text()
        assert any(c.startswith(contact) for c in final.get_all("contact")), final.text()
    finally:
        client.close()
    assert srv.alive
