"""REGISTER flows driven by SIPp (the real tool, MD5 digest) against Centralino's default tenant
(requests addressed to the IP), checked with SIPp's own traces and an independent query."""

from __future__ import annotations

import pytest

import sipwire
from siptools import PASSWORDS, free_ports, run_sipp, scenario

DEFAULT = "default"


def pw(ext: str) -> str:
    return PASSWORDS[(DEFAULT, ext)]


def query(server, ext: str, domain: str = "127.0.0.1", password=None):
    """Independent check of the bindings: an authenticated REGISTER without Contact (sipwire)."""
    with sipwire.SipClient(server.sip_port) as c:
        first, final = c.register(ext, password or pw(ext), domain)
        assert final.status == 200, "query REGISTER for %s@%s got:\n%s\n(transcript)\n%s" % (
            ext, domain, final.text(), "\n".join(c.log))
        return final


def contacts_at(resp, port: int):
    return [c for c in resp.contacts() if ("127.0.0.1:%d" % port) in c.uri]


def sipp_ok(res, peer_log, what):
    peer_log(what, res.report())
    assert res.returncode == 0, "%s: SIPp exit %s (0 = every call succeeded)\n%s" % (
        what, res.returncode, res.report())


@pytest.mark.parametrize("transport,ext", [("u1", "1001"), ("t1", "1002")])
def test_register_with_digest_shared_scenario(sip_server, tmp_path, peer_log, transport, ext):
    """tests/fixtures/sipp/uac_register_auth.xml (copied verbatim): 401 challenge, digest, 200 with expires."""
    port = free_ports(1)[0]
    res = run_sipp(scenario("uac_register_auth.xml"), sip_server.sip_port, tmp_path, service=ext,
                   password=pw(ext), transport=transport, local_port=port)
    sipp_ok(res, peer_log, "uac_register_auth.xml")
    chal = res.last_response(401)
    assert chal is not None, "no 401 seen by SIPp"
    realms = {sipwire.parse_auth_params(v).get("realm") for v in chal.get_all("www-authenticate")}
    assert realms == {"default"}, "401 realm(s) %s; the default tenant's realm is 'default'" % realms
    ok = res.last_response(200)
    mine = contacts_at(ok, port)
    assert len(mine) == 1, "200 OK should list our binding 127.0.0.1:%d once:\n%s" % (port, ok.text())
    assert mine[0].expires is not None and 3500 <= mine[0].expires <= 3600, ok.text()
    assert "granted expires=" in res.logs
    # the binding is really stored: an independent client sees it
    q = query(sip_server, ext)
    assert len(contacts_at(q, port)) == 1, "query does not list 127.0.0.1:%d:\n%s" % (port, q.text())


def test_wrong_password_rejected(sip_server, tmp_path, peer_log):
    ext = "1003"
    port = free_ports(1)[0]
    res = run_sipp(scenario("register_wrong_password.xml"), sip_server.sip_port, tmp_path,
                   service=ext, password="not-" + pw(ext), local_port=port)
    sipp_ok(res, peer_log, "register_wrong_password.xml")
    final = res.received()[-1]
    assert final.startswith(("SIP/2.0 403", "SIP/2.0 401")), final
    q = query(sip_server, ext)
    assert not contacts_at(q, port), "a wrong password created a binding:\n%s" % q.text()


def test_unknown_user_rejected(sip_server, tmp_path, peer_log):
    """An extension that does not exist cannot register, whatever the password."""
    port = free_ports(1)[0]
    res = run_sipp(scenario("register_wrong_password.xml"), sip_server.sip_port, tmp_path,
                   service="1999", password="whatever", local_port=port)
    sipp_ok(res, peer_log, "register_wrong_password.xml (unknown user 1999)")


def test_unregister_with_expires_0(sip_server, tmp_path, peer_log):
    ext = "1004"
    port = free_ports(1)[0]
    res = run_sipp(scenario("register.xml"), sip_server.sip_port, tmp_path, service=ext,
                   password=pw(ext), local_port=port)
    sipp_ok(res, peer_log, "register.xml")
    assert len(contacts_at(query(sip_server, ext), port)) == 1
    res = run_sipp(scenario("unregister.xml"), sip_server.sip_port, tmp_path, service=ext,
                   password=pw(ext), local_port=port, tag="unreg")
    sipp_ok(res, peer_log, "unregister.xml")
    ok = res.last_response(200)
    assert not contacts_at(ok, port), "200 to Expires: 0 still lists the binding:\n%s" % ok.text()
    q = query(sip_server, ext)
    assert not contacts_at(q, port), "binding still present after unregister:\n%s" % q.text()


def test_refresh_same_call_id(sip_server, tmp_path, peer_log):
    """Refresh (same Call-ID, CSeq+1) replaces the expiry of the one binding, no duplicate."""
    ext = "1005"
    port = free_ports(1)[0]
    res = run_sipp(scenario("register_refresh.xml"), sip_server.sip_port, tmp_path, service=ext,
                   password=pw(ext), local_port=port, keys={"expires": "3600", "expires2": "1800"})
    sipp_ok(res, peer_log, "register_refresh.xml")
    oks = [sipwire.parse_message(b.replace("\n", "\r\n").encode())
           for b in res.received() if b.startswith("SIP/2.0 200")]
    assert len(oks) == 2, "expected 200 for the registration and for the refresh"
    first, refreshed = contacts_at(oks[0], port), contacts_at(oks[1], port)
    assert len(first) == 1 and 3500 <= (first[0].expires or 0) <= 3600, oks[0].text()
    assert len(refreshed) == 1, "refresh should leave exactly one binding:\n%s" % oks[1].text()
    assert refreshed[0].expires is not None and 1700 <= refreshed[0].expires <= 1800, \
        "refresh with Expires: 1800 granted %s:\n%s" % (refreshed[0].expires, oks[1].text())
    q = contacts_at(query(sip_server, ext), port)
    assert len(q) == 1 and q[0].expires is not None and q[0].expires <= 1800


def test_interval_too_brief_423(sip_server, tmp_path, peer_log):
    ext = "1006"
    port = free_ports(1)[0]
    res = run_sipp(scenario("register_423.xml"), sip_server.sip_port, tmp_path, service=ext,
                   password=pw(ext), local_port=port, keys={"expires": "10"})
    sipp_ok(res, peer_log, "register_423.xml (Expires: 10)")
    r = res.last_response(423)
    assert r is not None
    assert r.get("min-expires") is not None and r.get("min-expires").strip() == "60", \
        "423 must carry Min-Expires: 60 (the default --sip-min-expires):\n%s" % r.text()
    assert not contacts_at(query(sip_server, ext), port), "423 must not create a binding"


def test_expires_above_max_is_clamped(sip_server, tmp_path, peer_log):
    ext = "1012"
    port = free_ports(1)[0]
    res = run_sipp(scenario("register.xml"), sip_server.sip_port, tmp_path, service=ext,
                   password=pw(ext), local_port=port, keys={"expires": "86400"})
    sipp_ok(res, peer_log, "register.xml (Expires: 86400)")
    mine = contacts_at(res.last_response(200), port)
    assert len(mine) == 1 and mine[0].expires is not None and mine[0].expires <= 3600, \
        "Expires: 86400 should be clamped to --sip-max-expires 3600:\n%s" % res.last_response(200).text()


def test_contact_star_removes_all(sip_server, tmp_path, peer_log):
    ext = "1007"
    p1, p2 = free_ports(2)
    for p in (p1, p2):
        res = run_sipp(scenario("register.xml"), sip_server.sip_port, tmp_path, service=ext,
                       password=pw(ext), local_port=p, tag="reg%d" % p)
        sipp_ok(res, peer_log, "register.xml from port %d" % p)
    ok = res.last_response(200)
    assert contacts_at(ok, p1) and contacts_at(ok, p2), \
        "the 200 OK must list every current binding (both ports):\n%s" % ok.text()
    res = run_sipp(scenario("unregister_all.xml"), sip_server.sip_port, tmp_path, service=ext,
                   password=pw(ext), tag="star")
    sipp_ok(res, peer_log, "unregister_all.xml")
    ok = res.last_response(200)
    assert ok.contacts() == [], "200 to Contact: * still lists bindings:\n%s" % ok.text()
    q = query(sip_server, ext)
    assert q.contacts() == [], "bindings left after Contact: *:\n%s" % q.text()


def test_bindings_survive_restart(start_server, tmp_path, peer_log):
    srv = start_server(name="restart")
    ext = "1001"
    port = free_ports(1)[0]
    res = run_sipp(scenario("register.xml"), srv.sip_port, tmp_path, service=ext,
                   password=pw(ext), local_port=port)
    sipp_ok(res, peer_log, "register.xml before restart")
    srv.restart()
    res = run_sipp(scenario("query.xml"), srv.sip_port, tmp_path, service=ext, password=pw(ext),
                   tag="query")
    sipp_ok(res, peer_log, "query.xml after restart")
    ok = res.last_response(200)
    mine = contacts_at(ok, port)
    assert len(mine) == 1, "after a restart the query must still list 127.0.0.1:%d:\n%s" % (
        port, ok.text())
    assert mine[0].expires is not None and 3000 < mine[0].expires <= 3600, ok.text()
