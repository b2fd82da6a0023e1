"""Qualify: with --sip-qualify-interval 1 the server sends OPTIONS to a registered contact."""

from __future__ import annotations

import re

from siptools import PASSWORDS, Sipp, free_ports, run_sipp, scenario


def test_registered_contact_receives_options(start_server, tmp_path, peer_log):
    srv = start_server(extra_args=["--sip-qualify-interval", "1"], name="qualify")
    ext = "1008"
    port = free_ports(1)[0]
    res = run_sipp(scenario("register.xml"), srv.sip_port, tmp_path, service=ext,
                   password=PASSWORDS[("default", ext)], local_port=port)
    peer_log("register.xml", res.report())
    assert res.returncode == 0, res.report()
    # the same port now answers OPTIONS (SIPp in server mode; -m 1 ends after one)
    uas = Sipp(scenario("uas_options.xml"), tmp_path, local_port=port, calls=1, timeout=10)
    r = uas.wait()
    peer_log("uas_options.xml on the contact's port", r.report())
    assert r.returncode == 0, "no qualify OPTIONS reached 127.0.0.1:%d within 10 s (interval 1 s)\n%s" % (
        port, r.report())
    opts = [m for m in r.received() if m.startswith("OPTIONS ")]
    assert opts, r.report()
    ruri = opts[0].split(" ")[1]
    assert re.search(r"@?127\.0\.0\.1:%d\b" % port, ruri), \
        "OPTIONS Request-URI %r should be the registered contact" % ruri
    assert srv.alive
