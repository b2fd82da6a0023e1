"""Trunk host names are resolved off the call loop, with RFC 3263 SRV lookups: a trunk named by a
host with the default port is reached at the port its `_sip._udp` SRV record gives (the A record of
the SRV target from the same name server); a trunk host that does not resolve fails that call's
trunk leg at once with DIALSTATUS CHANUNAVAIL while another call goes on."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

import c2chelp as h
import calltools as ct
from calltools import DOMAIN_B, TENANT_B_UUID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "common"))
from dnsresponder import TYPE_SRV, DNSResponder  # noqa: E402

NUMBER = "0391234567"
SRV_HOST = "carrier.srv.test"
TARGET_HOST = "pbx-trunk.srv.test"
HOSTILE_HOST = "loop.srv.test"


@pytest.fixture(scope="module")
def dns():
    responder = DNSResponder(srv={}, a={TARGET_HOST: "127.0.0.1"})
    responder.hostile = {"_sip._udp." + HOSTILE_HOST, HOSTILE_HOST}
    yield responder
    responder.close()


@pytest.fixture(scope="module")
def pbx(tmp_path_factory, dns):
    """acme's carrier is `carrier.srv.test` (SRV to its SIPp port), globex's `nonexistent.invalid`."""
    original = ct.provisioning_yaml

    def yaml_with_names(trunk_a, trunk_b, trunk_c):
        text = original(trunk_a, trunk_b, trunk_c)
        text = text.replace("host: 127.0.0.1, port: %d }" % trunk_a, "host: %s, port: 5060 }" % SRV_HOST)
        text = text.replace("host: 127.0.0.1, port: %d }" % trunk_b, "host: nonexistent.invalid, port: 5060 }")
        # acme also has a trunk whose name server replies are malformed (compression pointer loops).
        return text.replace("      - { name: carrier, host: %s, port: 5060 }\n" % SRV_HOST,
                            "      - { name: carrier, host: %s, port: 5060 }\n      - { name: hostile, host: %s, port: 5060 }\n"
                            % (SRV_HOST, HOSTILE_HOST), 1)

    dns.srv["_sip._udp." + SRV_HOST] = []   # filled in once the trunk port is known
    ct.provisioning_yaml = yaml_with_names
    try:
        srv = ct.Server(tmp_path_factory.mktemp("pbxdns"), name="dns",
                        extra_args=["--dns-server", "127.0.0.1:%d" % dns.port, "--dns-timeout-ms", "1000",
                                    "--dns-cache-entries", "16"])
    finally:
        ct.provisioning_yaml = original
    dns.srv["_sip._udp." + SRV_HOST] = [(10, 10, srv.trunk_a, TARGET_HOST)]
    yield srv
    srv.stop()


def test_srv_trunk_and_unresolvable_trunk(pbx, peers, recorders, dns):
    crm, crm_b = recorders("crm"), recorders("crm_b")
    mark_a, mark_b = crm.mark(), crm_b.mark()
    # acme: a click-to-call through the SRV-named trunk, destination answers and hangs up after 3 s.
    agent_a = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"))
    dest = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=300, end="bye", hold=3000))
    orig_a = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER))
    # globex, meanwhile: the agent answers, the trunk host does not resolve.
    agent_b = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"), domain=DOMAIN_B)
    started = time.monotonic()
    orig_b = ct.PanoramiskOriginate(pbx.ami_port, "crm_b", "s3cretB",
                                    ct.c2c_variables_form("100", NUMBER, tenant_uuid=TENANT_B_UUID))

    def dial_end_b():
        return [m for m in crm_b.events(mark_b, "DialEnd") if (m.get("DestChannel") or "").startswith("PJSIP/carrier-")]
    assert ct.wait_until(lambda: dial_end_b(), 15), "no DialEnd for globex's trunk leg:\n%s" % crm_b.since(mark_b)
    failed_after = time.monotonic() - started
    assert [m.get("DialStatus") for m in dial_end_b()] == ["CHANUNAVAIL"], dial_end_b()
    ev_b = h.wait_call_over(crm_b, mark_b, timeout=10)
    hang = [m for m in ev_b if m.event == "Hangup" and (m.get("Channel") or "").startswith("PJSIP/carrier-")]
    assert hang and hang[0].get("Cause") == "3", "unresolvable trunk leg: Hangup %s" % hang
    rb = agent_b.wait()
    assert rb.returncode == 0 and rb.received_requests("BYE"), "globex's agent must be hung up:\n" + rb.report()

    # acme's call went on: the trunk's SIPp (reached at the SRV record's port) answered and hung up.
    res_a = orig_a.result(25)
    _, final = h.originate_parts(res_a)
    assert final.get("Response") == "Success" and final.get("Reason") == "4", final
    rd, ra = dest.wait(), agent_a.wait()
    assert rd.returncode == 0 and rd.received_requests("INVITE"), "SRV trunk never got the INVITE:\n" + rd.report()
    assert ra.returncode == 0, ra.report()
    h.wait_call_over(crm, mark_a, timeout=10)
    orig_b.result(10)
    assert ("_sip._udp." + SRV_HOST, TYPE_SRV) in dns.queries, dns.queries
    assert ("_sip._udp.nonexistent.invalid", TYPE_SRV) in dns.queries, dns.queries
    # Liveness only (a generous bound): the failure did not wait for any call timer.
    assert failed_after < 12, "CHANUNAVAIL took %.1f s" % failed_after


def test_bad_dns_flags_refused(tmp_path):
    bad = [("--dns-server", "nonsense"), ("--dns-server", "dns.example:53"), ("--dns-server", "127.0.0.1:0"),
           ("--dns-timeout-ms", "0"), ("--dns-timeout-ms", "999999"), ("--dns-cache-entries", "0")]
    for flag, value in bad:
        res = ct.subprocess.run([ct.centralino_bin(), "serve", "--data-dir", str(tmp_path / "data"), flag, value],
                                capture_output=True, text=True, timeout=30)
        assert res.returncode != 0 and flag in (res.stdout + res.stderr), (flag, value, res.stdout, res.stderr)


def _globex_call_to_unresolvable_trunk(pbx, peers, recorders):
    crm_b = recorders("crm_b")
    mark = crm_b.mark()
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=300, end="wait"), domain=DOMAIN_B)
    orig = ct.PanoramiskOriginate(pbx.ami_port, "crm_b", "s3cretB",
                                  ct.c2c_variables_form("100", NUMBER, tenant_uuid=TENANT_B_UUID))

    def ends():
        return [m.get("DialStatus") for m in crm_b.events(mark, "DialEnd")
                if (m.get("DestChannel") or "").startswith("PJSIP/carrier-")]
    assert ct.wait_until(lambda: ends(), 15), "no DialEnd for the trunk leg:\n%s" % crm_b.since(mark)
    assert ends() == ["CHANUNAVAIL"], ends()
    res = agent.wait()
    assert res.returncode == 0, res.report()
    orig.result(10)
    h.wait_call_over(crm_b, mark, timeout=10)


def test_negative_answer_is_cached(pbx, peers, recorders, dns):
    """"No such name" is kept for 60 s: a second call to the unresolvable trunk asks the name server nothing."""
    _globex_call_to_unresolvable_trunk(pbx, peers, recorders)
    asked = list(dns.queries)
    _globex_call_to_unresolvable_trunk(pbx, peers, recorders)
    assert [q for q in dns.queries[len(asked):] if "nonexistent.invalid" in q[0]] == [], dns.queries[len(asked):]


def test_malformed_dns_replies_fail_only_that_call(pbx, dns):
    """Replies with compression-pointer loops are ignored (as no answer): the Originate to that trunk
    fails, the node keeps answering SIP and AMI."""
    before = len(dns.queries)
    orig = ct.PanoramiskOriginate(pbx.ami_port, "monitor", "m0nitor", {
        "Action": "Originate", "Async": "true", "Channel": "PJSIP/123@hostile", "Context": "internal",
        "Exten": "100", "Priority": "1", "Timeout": "10000"})
    res = orig.result(30)
    assert isinstance(res, list) and len(res) == 2 and res[1].get("Response") == "Failure", res
    asked = dns.queries[before:]
    assert asked.count(("_sip._udp." + HOSTILE_HOST, TYPE_SRV)) == 2, "the SRV query is sent twice: %s" % asked
    with ct.socket.socket(ct.socket.AF_INET, ct.socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.sendto(("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKdnsalive\r\n"
                  "From: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: dnsalive\r\nCSeq: 1 OPTIONS\r\n"
                  "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n" % port).encode(), ("127.0.0.1", pbx.sip_port))
        s.settimeout(5)
        assert s.recvfrom(65535)[0].startswith(b"SIP/2.0 200"), "the node must still answer SIP"
