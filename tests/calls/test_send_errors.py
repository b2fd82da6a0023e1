"""A refused send fails only its own call (issue 10, "one failed send silences SIP for everyone").

In a network namespace of the test's own, an nftables `output` rule drops every datagram to agent
101's phone, so the kernel refuses Centralino's INVITE to it (EPERM). That click-to-call must fail at
once, as a 503 (RFC 3261 §8.1.3.1; Timer B would take 32 s), and the next click-to-call, to agent 100,
must connect: the SIP socket keeps serving everyone. `/metrics` counts the refused sends."""

from __future__ import annotations

import re
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import calltools as ct
from conftest import Peers, hang_up_leftovers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from netns import network_namespace  # noqa: E402

NUMBER = "0391234567"


def send_errors(server) -> int:
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % server.http_port, timeout=5) as reply:
        text = reply.read().decode()
    m = re.search(r"(?m)^centralino_sip_send_errors_total (\d+)$", text)
    assert m, "/metrics has no centralino_sip_send_errors_total:\n%s" % text
    return int(m.group(1))


@pytest.mark.timeout(150)
def test_refused_send_fails_only_that_call(tmp_path, peer_log):
    with network_namespace("csend") as ns:
        server = ct.Server(tmp_path / "pbx", name="sendfail")
        peers = Peers(server, tmp_path, peer_log)
        try:
            blocked = peers.register(["101"])
            peers.register(["100"])
            ns.nft("table inet centralino_test {\n chain out {\n  type filter hook output priority 0; policy accept;\n"
                   "  udp dport %d drop\n }\n}\n" % blocked)
            assert send_errors(server) == 0

            started = time.monotonic()
            failed = ct.PanoramiskOriginate(server.ami_port, "crm", "s3cret",
                                            ct.c2c_variables_form("101", NUMBER, timeout_ms=30000), timeout=60)
            final = failed.result(60)[-1]
            elapsed = time.monotonic() - started
            assert final.get("Response") == "Failure", final
            assert elapsed < 15, ("the refused INVITE must fail the call at once (as a 503), not after the "
                                  "30 s dial timeout or Timer B: %.1f s" % elapsed)
            assert send_errors(server) >= 1, "the refused send was not counted"
            assert "SIP send failed" in server.log_text()

            agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait"))
            trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=200, end="bye", hold=1000))
            ok = ct.PanoramiskOriginate(server.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER))
            final = ok.result(30)[-1]
            assert final.get("Response") == "Success" and final.get("Reason") == "4", (
                "after a refused send, another agent's click-to-call must still connect: %r" % (dict(final),))
            ra, rt = agent.wait(), trunk.wait()
            assert ra.returncode == 0, ra.report()
            assert rt.returncode == 0, rt.report()
            assert server.alive
        finally:
            peers.finish()
            if server.alive:
                hang_up_leftovers(server, peer_log)
            server.stop()
