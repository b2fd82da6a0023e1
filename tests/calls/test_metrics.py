"""`/metrics` through swift-metrics and swift-prometheus (issue 11 item 8), against the real binary.

One click-to-call (agent 100 answers, the trunk answers and hangs up) with a crm AMI session taking
events, then `/metrics` must hold the new families, fed where the node counts (SIP transactions by
outcome, Originate latency, the AMI event queue's depth, Hummingbird's request metrics, calls by
tenant, RTP packets by drop reason), and still every older name the other suites and the docs read.
"""

from __future__ import annotations

import re
import urllib.request
from typing import Optional

import pytest

import c2chelp as h
import calltools as ct

NUMBER = "0391234567"


def scrape(pbx) -> str:
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % pbx.http_port, timeout=10) as reply:
        assert reply.headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"), reply.headers
        return reply.read().decode()


def sample(text: str, name: str, labels: str = "") -> Optional[float]:
    """The value of `name{labels}` (labels as exposed, in order), or None."""
    series = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "")
    m = re.search(r"(?m)^%s (\S+)$" % series, text)
    return float(m.group(1)) if m else None


@pytest.mark.timeout(120)
def test_metrics_has_the_new_families_and_keeps_the_old_names(pbx, peers, recorders):
    scrape(pbx)  # one request to /metrics, for Hummingbird's request counter
    crm = recorders("crm")
    mark = crm.mark()
    agent = peers.phone("100", ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait"))
    trunk = peers.trunk(ct.uas_scenario(peers.workdir, "answer", ring=200, end="bye", hold=1000))
    orig = ct.PanoramiskOriginate(pbx.ami_port, "crm", "s3cret", ct.c2c_variables_form("100", NUMBER))
    _, final = h.originate_parts(orig.result(30))
    assert final.get("Response") == "Success" and final.get("Reason") == "4", final
    ct.sipp_ok(agent.wait(), "agent 100")
    ct.sipp_ok(trunk.wait(), "trunk")
    h.wait_call_over(crm, mark)

    text = scrape(pbx)
    report = "\n" + text
    # Every family once (the registry's and the scrape-time ones do not collide).
    types = re.findall(r"(?m)^# TYPE (\S+) (\S+)$", text)
    assert len(types) == len({name for name, _ in types}), report
    kinds = dict(types)

    # New: Originate latency, AMI event queue depth (swift-metrics).
    assert kinds.get("centralino_originate_duration_seconds") == "histogram", report
    answered = sample(text, "centralino_originate_duration_seconds_count", 'result="answered"')
    assert answered is not None and answered >= 1, report
    took = sample(text, "centralino_originate_duration_seconds_sum", 'result="answered"')
    assert took is not None and 0.2 <= took < 30, "the agent rang 200 ms before answering: %r%s" % (took, report)
    assert kinds.get("centralino_ami_event_queue_depth") == "histogram", report
    assert (sample(text, "centralino_ami_event_queue_depth_count") or 0) >= 1, report
    # New: Hummingbird's request metrics (MetricsMiddleware).
    assert kinds.get("hb_requests") == "counter", report
    route = 'http_route="/metrics",http_request_method="GET",http_response_status_code="200"'
    assert (sample(text, "hb_requests", route) or 0) >= 1, report
    assert kinds.get("http_server_request_duration") == "histogram", report
    # New: calls by tenant, RTP packets received and dropped by reason (scrape time).
    assert kinds.get("centralino_tenant_calls") == "gauge", report
    assert sample(text, "centralino_tenant_calls", 'tenant="acme"') is not None, report
    for reason in ("malformed", "strict_rtp", "not_bridged", "no_destination", "overload"):
        assert sample(text, "centralino_rtp_packets_dropped_total", 'reason="%s"' % reason) is not None, report
    assert sample(text, "centralino_rtp_packets_received_total", 'kind="rtp"') is not None, report

    # Kept: the names the other suites and docs/operations.md read.
    for name in ("centralino_sip_send_errors_total", "centralino_rtp_packets_relayed_total",
                 "centralino_rtp_packets_dropped_strict_total", "centralino_rtp_bind_failures_total",
                 "centralino_ami_sessions", "centralino_registrations", "centralino_active_calls"):
        assert sample(text, name) is not None, name + report
    assert sample(text, "centralino_tenant_channels_limit", 'tenant="acme"') is not None, report
    refusals = sample(text, "centralino_tenant_capacity_refusals_total", 'tenant="acme",limit="channels"')
    assert refusals is not None, report
    assert (sample(text, "centralino_ami_logins_total", 'result="ok"') or 0) >= 1, report
    assert sample(text, "centralino_admin_logins_total", 'result="failed"') is not None, report
    assert (sample(text, "centralino_originates_total", 'result="answered"') or 0) >= 1, report

    # Bounded labels: never a peer address, a Call-ID or a channel name.
    assert "127.0.0.1" not in text and "Local/" not in text and "PJSIP/" not in text, report

    # New: SIP transactions by outcome, counted when a machine terminates: over UDP that is after
    # Timer J or M (64*T1 = 32 s) for the call's transactions, so wait for them.
    seen = []
    ok = ct.wait_until(lambda: seen.append(scrape(pbx)) or
                       (sample(seen[-1], "centralino_sip_transactions_total", 'outcome="completed"') or 0) >= 2, 45, 1)
    assert ok, "no completed SIP transactions counted:\n" + seen[-1]
    assert dict(re.findall(r"(?m)^# TYPE (\S+) (\S+)$", seen[-1])).get("centralino_sip_transactions_total") == "counter"
