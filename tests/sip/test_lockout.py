"""Brute-force protection: failed digests from one address lock that address out, others unaffected."""

from __future__ import annotations

import sipwire
from siptools import PASSWORDS, free_ports, run_sipp, scenario


def test_lockout_after_failed_digests(start_server, tmp_path, peer_log):
    srv = start_server(extra_args=["--sip-lockout-failures", "3"], name="lockout")
    ext, good = "1001", PASSWORDS[("default", "1001")]
    for i in range(3):
        res = run_sipp(scenario("register_wrong_password.xml"), srv.sip_port, tmp_path,
                       service=ext, password="wrong%d" % i, local_ip="127.0.0.5",
                       tag="wrong%d" % i, timeout=20)
        peer_log("wrong password #%d from 127.0.0.5" % (i + 1), res.report())
        assert res.returncode == 0, res.report()
    p5 = free_ports(1, "127.0.0.5")[0]
    res = run_sipp(scenario("register_locked.xml"), srv.sip_port, tmp_path, service=ext,
                   password=good, local_ip="127.0.0.5", local_port=p5, tag="locked", timeout=20)
    peer_log("correct password from 127.0.0.5 (locked out)", res.report())
    assert res.returncode == 0, "correct credentials from the locked-out 127.0.0.5 must get 403:\n%s" % (
        res.report())
    p1 = free_ports(1)[0]
    res = run_sipp(scenario("register.xml"), srv.sip_port, tmp_path, service=ext, password=good,
                   local_ip="127.0.0.1", local_port=p1, tag="other", timeout=20)
    peer_log("correct password from 127.0.0.1", res.report())
    assert res.returncode == 0, "127.0.0.1 must not be affected by 127.0.0.5's lockout:\n%s" % (
        res.report())
    with sipwire.SipClient(srv.sip_port) as c:
        _, q = c.register(ext, good, "127.0.0.1")
    uris = [ct.uri for ct in q.contacts()]
    assert any("127.0.0.1:%d" % p1 in u for u in uris), q.text()
    assert not any("127.0.0.5" in u for u in uris), "the locked-out address got a binding:\n%s" % q.text()
