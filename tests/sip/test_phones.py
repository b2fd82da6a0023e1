"""Real phone stacks: baresip 1.0.0 (Debian) over UDP and TCP, and a pjsua2 phone (PyPI pjsua2-python,
pjproject 2.15.1) with SHA-256 and MD5 digest."""

from __future__ import annotations

import re

import pytest

import sipwire
from siptools import (BARESIP_REG_FAILED, BARESIP_REGISTERED, PASSWORDS, baresip_start,
                      pjsua_run)


def query(server, ext, domain):
    with sipwire.SipClient(server.sip_port) as c:
        first, final = c.register(ext, PASSWORDS[(domain, ext)], domain)
        assert final.status == 200, "\n".join(c.log)
        return final


@pytest.fixture(scope="module")
def md5_only_server(tmp_path_factory):
    """baresip 1.0.0 gives up when any challenge of a 401 is not MD5: a server offering MD5 only."""
    from siptools import Server
    srv = Server(tmp_path_factory.mktemp("md5only"), name="md5-only",
                 extra_args=["--sip-lockout-failures", "100000", "--sip-digest-algorithms", "md5"])
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def sha256_first_server(tmp_path_factory):
    """pjsua2 answers the first challenge it supports: a server offering SHA-256 first."""
    from siptools import Server
    srv = Server(tmp_path_factory.mktemp("sha256first"), name="sha256-first",
                 extra_args=["--sip-lockout-failures", "100000", "--sip-digest-algorithms", "sha256,md5"])
    yield srv
    srv.stop()


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_baresip_registers(md5_only_server, tmp_path, peer_log, transport):
    """baresip account <sip:100@acme.test;transport=T> via outbound sip:127.0.0.1:PORT;transport=T."""
    sip_server = md5_only_server
    phone = baresip_start(tmp_path, sip_server.sip_port, "100", PASSWORDS[("acme.test", "100")],
                          "acme.test", transport=transport)
    try:
        m = phone.wait_for(BARESIP_REGISTERED, 15, fail_pattern=BARESIP_REG_FAILED)
        peer_log("baresip (%s) output with -s SIP trace" % transport, phone.output()[-12000:])
        assert m, ("baresip did not report '{0/%s/v4} 200 OK ... [N binding]' within 15 s; its "
                   "last lines:\n%s" % (transport.upper(), "\n".join(phone.lines[-40:])))
        # the binding is visible to another client, with baresip's own contact (user part is
        # not the extension, e.g. sip:100-0x55...@127.0.0.1:PORT;transport=tcp)
        q = query(sip_server, "100", "acme.test")
        mine = [c for c in q.contacts() if "127.0.0.1:%d" % phone.sip_port in c.uri]
        assert mine, "query for 100@acme.test does not list baresip's contact (port %d):\n%s" % (
            phone.sip_port, q.text())
        if transport == "tcp":
            assert any("transport=tcp" in c.uri.lower() for c in mine), q.text()
    finally:
        phone.stop()


@pytest.mark.parametrize("algo,ext,domain", [("SHA256", "101", "acme.test"),
                                             ("MD5", "1009", "default")])
def test_pjsua2_registers(sip_server, sha256_first_server, tmp_path, peer_log, algo, ext, domain):
    """pjsua2 registering with the digest algorithm the server offers first: SHA-256 on a server
    configured `--sip-digest-algorithms sha256,md5`, MD5 on the default one (MD5 first)."""
    if algo == "SHA256":
        sip_server = sha256_first_server
    to_domain = "127.0.0.1" if domain == "default" else domain
    phone = pjsua_run(tmp_path, sip_server.sip_port, ext, PASSWORDS[(domain, ext)], to_domain,
                      algo=algo, seconds=15)
    try:
        m = phone.wait_for(r"REG code=(\d+)", 20)
        phone.proc.wait(15)
    finally:
        phone.stop()
    out = phone.output()
    peer_log("pjsua2 (%s) output" % algo, out[-15000:])
    assert m, "pjsua2 reported no registration result:\n%s" % out[-4000:]
    assert m.group(1) == "200", "pjsua2 (%s) got REG code=%s:\n%s" % (algo, m.group(1), out[-6000:])
    auth = re.findall(r"(?mi)^Authorization: *Digest .*$", out)
    assert auth, "pjsua2 sent no Authorization header:\n%s" % out[-6000:]
    want = "SHA-256" if algo == "SHA256" else "MD5"
    assert any(re.search(r"algorithm=\"?%s\"?" % want, a, re.I) for a in auth), \
        "expected a digest with algorithm=%s, sent: %s" % (want, auth)
