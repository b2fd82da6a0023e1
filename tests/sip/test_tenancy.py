"""Two tenants with the same extension number 100 (acme.test and globex.test, different passwords)
register independently through one port; the tenant is chosen by the To domain."""

from __future__ import annotations

import sipwire
from siptools import PASSWORDS, free_ports, run_sipp, scenario


def query(server, ext, domain):
    with sipwire.SipClient(server.sip_port) as c:
        first, final = c.register(ext, PASSWORDS[(domain, ext)], domain)
        assert first.status == 401
        assert final.status == 200, "query %s@%s:\n%s" % (ext, domain, "\n".join(c.log))
        return final


def at(resp, port):
    return [c for c in resp.contacts() if ("127.0.0.1:%d" % port) in c.uri]


def test_same_extension_two_tenants(sip_server, tmp_path, peer_log):
    pa, pg = free_ports(2)
    for dom, port in (("acme.test", pa), ("globex.test", pg)):
        res = run_sipp(scenario("register.xml"), sip_server.sip_port, tmp_path, service="100",
                       password=PASSWORDS[(dom, "100")], local_port=port,
                       keys={"domain": dom}, tag=dom)
        peer_log("register 100@" + dom, res.report())
        assert res.returncode == 0, "100@%s with its own password: %s" % (dom, res.report())
        chal = res.last_response(401)
        realms = {sipwire.parse_auth_params(v).get("realm") for v in chal.get_all("www-authenticate")}
        assert realms == {dom}, "realm for %s must be the tenant domain, got %s" % (dom, realms)
        assert at(res.last_response(200), port)
    qa, qg = query(sip_server, "100", "acme.test"), query(sip_server, "100", "globex.test")
    assert at(qa, pa) and not at(qa, pg), "acme's bindings:\n%s" % qa.text()
    assert at(qg, pg) and not at(qg, pa), "globex's bindings:\n%s" % qg.text()


def test_other_tenants_password_is_refused(sip_server, tmp_path, peer_log):
    """globex's password for 100 must not register acme's 100 (and vice versa)."""
    ports = free_ports(2)
    for (dom, other), port in zip((("acme.test", "globex.test"), ("globex.test", "acme.test")), ports):
        res = run_sipp(scenario("register_wrong_password.xml"), sip_server.sip_port, tmp_path,
                       service="100", password=PASSWORDS[(other, "100")], local_port=port,
                       keys={"domain": dom}, tag="x" + dom)
        peer_log("100@%s with %s's password" % (dom, other), res.report())
        assert res.returncode == 0, res.report()
        assert not at(query(sip_server, "100", dom), port)


def test_unknown_domain_is_default_tenant(sip_server):
    """An unknown domain falls back to tenant 'default' (realm 'default', its extensions)."""
    with sipwire.SipClient(sip_server.sip_port) as c:
        first, final = c.register("1013", PASSWORDS[("default", "1013")], "unknown.example",
                                  contacts=["<sip:1013@127.0.0.1:%d>" % c.local[1]], expires=600)
        realms = {sipwire.parse_auth_params(v).get("realm") for v in first.get_all("www-authenticate")}
        assert realms == {"default"}, first.text()
        assert final.status == 200, "\n".join(c.log)
