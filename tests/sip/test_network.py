"""SIP on a network that refuses sends: Centralino and its peers run in a network namespace of the
test's own, where an nftables `output` rule drops every datagram to one peer, so the kernel answers
Centralino's `sendto` with EPERM. Every other peer must keep registering, and `/metrics` must count
the refused sends (issue 10, "one failed send silences SIP for everyone")."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import sipwire
from siptools import PASSWORDS, Server, Sipp, centralino_bin, free_ports, run_sipp, scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from netns import network_namespace  # noqa: E402


def pw(ext: str) -> str:
    return PASSWORDS[("default", ext)]


def send_errors(server: Server) -> int:
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % server.http_port, timeout=5) as reply:
        text = reply.read().decode()
    m = re.search(r"(?m)^centralino_sip_send_errors_total (\d+)$", text)
    assert m, "/metrics has no centralino_sip_send_errors_total:\n%s" % text
    return int(m.group(1))


def test_send_refused_to_one_peer_leaves_sip_serving_everyone(tmp_path, peer_log):
    with network_namespace("csend") as ns:
        server = Server(tmp_path / "server", name="netns", extra_args=["--sip-lockout-failures", "100000"])
        try:
            blocked = free_ports(1)[0]
            ns.nft("table inet centralino_test {\n chain out {\n  type filter hook output priority 0; policy accept;\n"
                   "  udp dport %d drop\n }\n}\n" % blocked)
            assert send_errors(server) == 0
            # The blocked peer keeps (re)sending its REGISTER; every 401 to it fails with EPERM.
            stuck = Sipp(scenario("uac_register_auth.xml"), tmp_path / "blocked", local_port=blocked, timeout=8,
                         extra=["-s", "1001", "-au", "1001", "-ap", pw("1001"), "127.0.0.1:%d" % server.sip_port],
                         tag="blocked")
            time.sleep(1.0)
            for ext in ("1002", "1003", "1004", "1005"):
                res = run_sipp(scenario("uac_register_auth.xml"), server.sip_port, tmp_path / ext, service=ext,
                               password=pw(ext), local_port=free_ports(1)[0], timeout=8)
                peer_log("register %s" % ext, res.report())
                assert res.returncode == 0, "%s could not register while sends to another peer fail:\n%s" % (
                    ext, res.report())
            blocked_result = stuck.wait()
            peer_log("blocked peer", blocked_result.report())
            assert blocked_result.returncode != 0, "the blocked peer should never get an answer"
            assert "401" not in "".join(blocked_result.received()), "a reply reached the blocked peer"
            # A plain transaction from yet another socket after all that: still answered.
            with sipwire.SipClient(server.sip_port) as client:
                first, final = client.register("1006", pw("1006"), "127.0.0.1")
                assert final.status == 200, "\n".join(client.log)
            errors = send_errors(server)
            assert errors >= 1, "the refused sends were not counted"
            assert server.alive
            assert "SIP send failed" in server.log_text(), "the refused sends were not logged"
        finally:
            server.stop()


def test_qualify_marks_a_refused_contact_unreachable_and_keeps_qualifying_others(tmp_path, peer_log):
    """Qualify OPTIONS run in client transactions: a refused send (EPERM) ends that transaction at
    once, the contact is logged unreachable, and another contact is still qualified reachable."""
    with network_namespace("cqual") as ns:
        server = Server(tmp_path / "server", name="qualify-netns",
                        extra_args=["--sip-lockout-failures", "100000", "--sip-qualify-interval", "1"])
        try:
            blocked, fine = free_ports(2)
            for ext, port in (("1007", blocked), ("1008", fine)):
                res = run_sipp(scenario("register.xml"), server.sip_port, tmp_path / ext, service=ext,
                               password=pw(ext), local_port=port, timeout=8)
                peer_log("register %s" % ext, res.report())
                assert res.returncode == 0, res.report()
            ns.nft("table inet centralino_test {\n chain out {\n  type filter hook output priority 0; policy accept;\n"
                   "  udp dport %d drop\n }\n}\n" % blocked)
            uas = Sipp(scenario("uas_options.xml"), tmp_path / "uas", local_port=fine, calls=2, timeout=10)
            answered = uas.wait()
            peer_log("uas_options.xml", answered.report())
            assert answered.returncode == 0, "the reachable contact stopped getting OPTIONS:\n" + answered.report()
            def marked(ext: str, word: str) -> bool:
                return any(("SIP contact %s" % word) in line and ("|%s|" % ext) in line
                           for line in server.log_text().splitlines())
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not (marked("1007", "unreachable") and marked("1008", "reachable")):
                time.sleep(0.2)
            assert marked("1007", "unreachable"), "1007 (sends refused) not marked unreachable"
            assert marked("1008", "reachable"), "1008 (answers) not marked reachable"
            assert send_errors(server) >= 1
        finally:
            server.stop()


def test_transaction_cap_bounds_state_but_every_request_is_answered(start_server, tmp_path):
    """--sip-max-transactions: past the cap, INVITEs are still answered (401 here), only without
    retransmission state; the node keeps serving; a bad value is refused at start."""
    server = start_server(extra_args=["--sip-lockout-failures", "100000", "--sip-max-transactions", "10"], name="cap")
    import socket
    import uuid
    answered = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        for n in range(40):
            msg = ("INVITE sip:1002@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
                   "Max-Forwards: 70\r\nFrom: <sip:1001@127.0.0.1>;tag=%d\r\nTo: <sip:1002@127.0.0.1>\r\n"
                   "Call-ID: cap-%s\r\nCSeq: 1 INVITE\r\nContact: <sip:1001@127.0.0.1:%d>\r\nContent-Length: 0\r\n\r\n"
                   % (port, uuid.uuid4().hex, n, uuid.uuid4().hex, port))
            s.sendto(msg.encode(), ("127.0.0.1", server.sip_port))
        s.settimeout(3)
        try:
            while answered < 40:
                data, _ = s.recvfrom(65535)
                if data.startswith(b"SIP/2.0 401"):
                    answered += 1
        except socket.timeout:
            pass
    assert answered == 40, "every INVITE must be answered, with or without transaction state: %d of 40" % answered
    assert "SIP transaction cap reached" in server.log_text()
    with sipwire.SipClient(server.sip_port) as client:
        _, final = client.register("1006", pw("1006"), "127.0.0.1")
        assert final.status == 200, "\n".join(client.log)
    bad = subprocess.run([centralino_bin(), "serve", "--data-dir", str(tmp_path / "nodata"), "--sip-max-transactions", "0"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "--sip-max-transactions" in (bad.stdout + bad.stderr)
