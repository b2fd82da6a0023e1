"""Soak: nothing leaks (issue 10 item 5, issue 9 defect 4).

About two minutes (CENTRALINO_SOAK_SECONDS, default 120) of click-to-calls through AMI Originate
(KalliopePBX form) with SIPp as the agents' phones and the trunks, mixed with failure paths: a busy
phone (486), a phone that rings past the Originate Timeout (CANCEL), a trunk that answers 503 after
the agent answered, AMI sessions that drop before login, mid-login, mid-action and while their
Originate is under way (async and sync), and SIP/TCP connections that open and close (at once, with
half a request, after a full OPTIONS, with a reset). The `--rtp-ports` range collides with other
sockets: the test binds UDP sockets inside it before the server starts and keeps binding and
releasing others during the run, so the media engine's bind-failure path runs again and again.

A warm-up batch of every kind runs first; then the server's open descriptors (/proc/<pid>/fd) and
RSS (/proc/<pid>/status VmRSS) give the baseline. After the soak, once every Originate has its
OriginateResponse and a settle time has passed, no channel may remain (CoreShowChannels of both
tenants), descriptors must be back to the baseline (small slack for lazily opened files) and RSS
growth must stay below a wide bound. These are leak liveness bounds, not performance figures; the
figures are printed (run with -s to see them).

A longer run: CENTRALINO_SOAK_SECONDS=1800 .venv/bin/python -m pytest -q -s tests/calls/test_soak.py
"""

from __future__ import annotations

import collections
import itertools
import os
import random
import re
import socket
import struct
import threading
import time
import urllib.request
from typing import Dict, List, Tuple

import pytest

import calltools as ct
from calltools import DOMAIN_A, DOMAIN_B, Server, TENANT_A_UUID, TENANT_B_UUID

# How long the mixed traffic runs; a longer soak is the same test with a larger value.
SOAK_SECONDS = float(os.environ.get("CENTRALINO_SOAK_SECONDS", "120"))
# One step of traffic (an Originate, an AMI drop or a TCP churn) every this many seconds: ~3/s keeps
# a debug build on a shared 2-core machine far from saturation, so slowness never looks like a leak.
STEP_SECONDS = float(os.environ.get("CENTRALINO_SOAK_STEP_SECONDS", "0.3"))
# Originates awaiting their OriginateResponse at most; the pacer waits when there are more.
MAX_IN_FLIGHT = 12
# The RTP range: 200 ports just below the kernel's ephemeral range (32768-60999 by default) and
# above the calls suite's 2000-port slots (20000-31999), so only the test's own sockets collide.
RTP_LOW, RTP_HIGH = 32100, 32299
# Ports the test holds inside the range for the whole run (RTP and RTCP ports of some pairs).
BLOCKED_PORTS = (RTP_LOW, RTP_LOW + 3, RTP_LOW + 4, RTP_LOW + 9, RTP_LOW + 14, RTP_LOW + 40, RTP_LOW + 41,
                 RTP_LOW + 101)
# Leak bounds (liveness, not performance): descriptors may exceed the baseline by a few lazily
# opened ones; RSS may grow by allocator slack and caches, never by a per-call leak of a soak's size.
FD_SLACK = 8
RSS_GROWTH_LIMIT_KIB = 64 * 1024
# After the traffic: every OriginateResponse within this time, then channels gone, then descriptors
# back within this settle limit (polled; the first sample after SETTLE_SECONDS).
RESPONSE_WAIT = 40.0
# A call to a gone phone may keep its channel until the INVITE transaction's Timer B (64*T1 = 32 s).
CHANNELS_GONE_WAIT = 45.0
SETTLE_SECONDS = 5.0
SETTLE_LIMIT = 40.0

ANSWER_NUMBER = "0391234567"
# Connections that open and then stay silent (SIP/TCP without a request, SIP/TCP after one OPTIONS,
# AMI without a login) must be closed by the server: its setup/idle/auth timeouts are set to this
# (seconds; the defaults of 30 s and 5 min would outlast the settle time).
IDLE_TIMEOUT = 5

# What the OriginateResponse Reason must be per kind (Asterisk's values: 4 answered, 3 no answer
# within Timeout, 0 busy behind a Local channel - see test_c2c_failures.py).
EXPECTED_REASON = {"answer": "4", "busy": "0", "noanswer": "3", "trunk503": "4", "gone": "3"}
# The order of steps in one round; "answer" twice, the normal case dominates.
ROUND = ["answer", "busy", "tcp", "answer", "noanswer", "ami_drop", "trunk503", "tcp", "gone", "idle"]
# A registered extension whose phone is gone (nothing listens on its contact port): its INVITE is
# never answered, the Originate's Timeout ends the call.
GONE_AGENT = "200"


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    """This module's own server: the soak's RTP range, info logs (debug logs of thousands of calls
    are large). The range must be free when the server starts (the blockers bind after)."""
    srv = Server(tmp_path_factory.mktemp("soak"), name="soak", extra_args=[
        "--rtp-ports", "%d-%d" % (RTP_LOW, RTP_HIGH), "--log-level", "info",
        "--sip-tcp-setup-timeout", str(IDLE_TIMEOUT), "--sip-tcp-idle-timeout", str(IDLE_TIMEOUT),
        "--ami-auth-timeout", str(IDLE_TIMEOUT)])
    yield srv
    srv.stop()


# -- process figures -------------------------------------------------------------------------------

def fd_count(pid: int) -> int:
    return len(os.listdir("/proc/%d/fd" % pid))


def fd_kinds(pid: int) -> Dict[str, int]:
    kinds: Dict[str, int] = collections.Counter()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        kinds[target.split(":[")[0] if ":[" in target else os.path.basename(target)] += 1
    return dict(kinds)


def socket_summary(pid: int) -> str:
    """The server's sockets by protocol and state (from /proc/<pid>/net/*), for a failure message."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", t)
        if m:
            inodes.add(m.group(1))
    out = collections.Counter()
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = open("/proc/%d/net/%s" % (pid, proto)).read().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            f = ln.split()
            if len(f) > 9 and f[9] in inodes:
                local = int(f[1].split(":")[1], 16)
                out["%s st=%s port=%s" % (proto, f[3], local if proto.startswith("udp") else
                                          ("listen" if f[3] == "0A" else "conn"))] += 1
    return "\n".join("  %4d %s" % (n, k) for k, n in sorted(out.items(), key=lambda kv: -kv[1])[:40])


def rss_kib(pid: int) -> int:
    for ln in open("/proc/%d/status" % pid):
        if ln.startswith("VmRSS:"):
            return int(ln.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def metrics(srv: Server) -> Dict[str, int]:
    """/metrics as {'name{labels}': value}."""
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % srv.http_port, timeout=5).read().decode()
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"(?m)^(centralino_\S+) (\d+)$", text)}


# What the node and each tenant hold: back to the baseline after the soak (a media leg, channel or
# AMI session kept by a failure path shows here even when it holds no descriptor).
HELD_GAUGES = {"centralino_active_calls", "centralino_ami_sessions", "centralino_tenant_channels",
               "centralino_tenant_rtp_port_pairs", "centralino_tenant_ami_sessions",
               "centralino_tenant_capacity_refusals_total"}


def held(m: Dict[str, int]) -> Dict[str, int]:
    return {k: v for k, v in m.items() if k.split("{")[0] in HELD_GAUGES}


def all_channels(monitors) -> List[str]:
    return [m.get("Channel") for rec in monitors for m in ct.channels_now(rec)]


# -- colliding sockets in the RTP range ------------------------------------------------------------

class RangeSquatter:
    """Holds UDP sockets on BLOCKED_PORTS and, in a thread, keeps binding a random free port of the
    range for a second or two and releasing it (another process's sockets coming and going)."""

    def __init__(self):
        self.held: List[socket.socket] = []
        for port in BLOCKED_PORTS:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", port))
            self.held.append(s)
        self.churned = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        rnd = random.Random(7)
        live: List[Tuple[float, socket.socket]] = []
        while not self._stop.wait(0.25):
            now = time.monotonic()
            for entry in [e for e in live if e[0] < now]:
                entry[1].close()
                live.remove(entry)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind(("127.0.0.1", rnd.randint(RTP_LOW, RTP_HIGH)))
            except OSError:   # the server holds it: no collision this time
                s.close()
                continue
            self.churned += 1
            live.append((now + rnd.uniform(1.0, 2.5), s))
        for _, s in live:
            s.close()

    def close(self) -> None:
        self._stop.set()
        self._t.join(3)
        for s in self.held:
            s.close()


# -- AMI Originates and drops ------------------------------------------------------------------------

class OriginateTracker:
    """Sends async Originates over one logged-in session per tenant and matches OriginateResponses
    by ActionID (reading the recorders' streams incrementally)."""

    def __init__(self, sessions: Dict[str, ct.AMIRecorder]):
        self.sessions = sessions
        self.pending: Dict[str, Tuple[str, str, float]] = {}   # action id -> (kind, domain, sent at)
        self.reasons: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.wrong: List[str] = []
        self._read = {d: 0 for d in sessions}
        self._n = itertools.count()

    def originate(self, kind: str, domain: str, agent: str, timeout_ms: int) -> None:
        tenant = TENANT_A_UUID if domain == DOMAIN_A else TENANT_B_UUID
        act = ct.c2c_variables_form(agent, ANSWER_NUMBER, tenant_uuid=tenant, timeout_ms=timeout_ms)
        aid = "soak-%s-%d" % (kind, next(self._n))
        headers = [(k, v) for k, vs in act.items() for v in (vs if isinstance(vs, list) else [vs])]
        self.pending[aid] = (kind, domain, time.monotonic())
        self.sessions[domain].send(headers + [("ActionID", aid)])

    def poll(self) -> None:
        for domain, rec in self.sessions.items():
            new = rec.since(self._read[domain])
            self._read[domain] += len(new)
            for m in new:
                aid = m.get("ActionID") or ""
                if aid not in self.pending:
                    continue
                if m.get("Response") == "Success" and m.event is None:
                    continue   # "Originate successfully queued"
                kind, _, sent = self.pending.pop(aid)
                reason = m.get("Reason") if m.event == "OriginateResponse" else "error:%s" % m.get("Message")
                self.reasons[kind][reason] += 1
                if reason != EXPECTED_REASON[kind]:
                    self.wrong.append("%s %s: %r" % (aid, kind, m))


def ami_drop(port: int, variant: int, domain_agent: str) -> None:
    """One AMI session that goes away early; variants rotate."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        if variant == 0:
            return                                     # connect, close before the banner
        s.recv(256)                                    # banner
        if variant == 1:
            s.sendall(b"Action: Login\r\nUsername: crm\r\n")   # half a Login
            return
        s.sendall(b"Action: Login\r\nUsername: crm\r\nSecret: s3cret\r\nEvents: off\r\n\r\n")
        buf, deadline = b"", time.monotonic() + 5
        while b"\r\n\r\n" not in buf and time.monotonic() < deadline:
            chunk = s.recv(4096)
            if not chunk:
                return
            buf += chunk
        if variant == 2:
            s.sendall(b"Action: Originate\r\nChannel: Local/%s@c2c\r\nContext: from_c2c\r\n"
                      % domain_agent.encode())        # half an Originate
            return
        act = ct.c2c_variables_form(domain_agent, ANSWER_NUMBER, timeout_ms=5000)
        act["Async"] = "true" if variant == 3 else "false"   # 4: a sync Originate holds the session
        lines = [(k, v) for k, vs in act.items() for v in (vs if isinstance(vs, list) else [vs])]
        s.sendall(b"".join(("%s: %s\r\n" % kv).encode() for kv in lines) + b"ActionID: drop\r\n\r\n")
        time.sleep(0.05 if variant == 3 else 0.3)      # 4: drop while the phone rings / the call runs
    finally:
        s.close()


def open_idle(pbx: Server, n: int) -> List[socket.socket]:
    """Three connections that go silent: SIP/TCP with nothing sent, SIP/TCP after a complete
    OPTIONS, AMI without a login. The test keeps them open; the server's timeouts must close them."""
    quiet = socket.create_connection(("127.0.0.1", pbx.sip_port), timeout=3)
    after = socket.create_connection(("127.0.0.1", pbx.sip_port), timeout=3)
    lport = after.getsockname()[1]
    after.sendall(("OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:%d;branch=z9hG4bK-soak-idle-%d\r\n"
                   "Max-Forwards: 70\r\nFrom: <sip:soak@%s>;tag=idle%d\r\nTo: <sip:%s>\r\n"
                   "Call-ID: soak-idle-%d@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
                   % (DOMAIN_A, lport, n, DOMAIN_A, n, DOMAIN_A, n)).encode())
    ami = socket.create_connection(("127.0.0.1", pbx.ami_port), timeout=3)
    return [quiet, after, ami]


def closed_by_server(s: socket.socket) -> bool:
    """True when the server closed the connection (EOF or reset after whatever it sent)."""
    s.setblocking(False)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def tcp_churn(port: int, n: int) -> None:
    """SIP/TCP connections that open and close: at once, with half a request, after a complete
    OPTIONS (reading the answer), and with a reset (SO_LINGER 0)."""
    for variant in range(5):
        s = socket.create_connection(("127.0.0.1", port), timeout=3)
        try:
            lport = s.getsockname()[1]
            req = ("OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:%d;branch=z9hG4bK-soak-%d-%d\r\n"
                   "Max-Forwards: 70\r\nFrom: <sip:soak@%s>;tag=soak%d\r\nTo: <sip:%s>\r\n"
                   "Call-ID: soak-tcp-%d-%d@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
                   % (DOMAIN_A, lport, n, variant, DOMAIN_A, n, DOMAIN_A, n, variant)).encode()
            if variant == 1:
                s.sendall(req[:40])
            elif variant == 2:
                s.sendall(req)
                try:
                    s.recv(4096)
                except OSError:
                    pass
            elif variant == 4:   # a complete INVITE (challenged with 401), gone before the answer
                s.sendall(("INVITE sip:101@%s SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:%d;branch=z9hG4bK-soak-i%d\r\n"
                           "Max-Forwards: 70\r\nFrom: <sip:100@%s>;tag=soaki%d\r\nTo: <sip:101@%s>\r\n"
                           "Call-ID: soak-tcp-invite-%d@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
                           "Contact: <sip:100@127.0.0.1:%d;transport=tcp>\r\nContent-Length: 0\r\n\r\n"
                           % (DOMAIN_A, lport, n, DOMAIN_A, n, DOMAIN_A, n, lport)).encode())
            elif variant == 3:
                s.sendall(req[:60])
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            s.close()


# -- the test ---------------------------------------------------------------------------------------

class Traffic:
    def __init__(self, pbx: Server, tracker: OriginateTracker):
        self.pbx = pbx
        self.tracker = tracker
        self.counts: Dict[str, int] = collections.Counter()
        self.idle: List[socket.socket] = []
        self._n = itertools.count()

    def step(self, kind: str) -> None:
        n = next(self._n)
        self.counts[kind] += 1
        if kind == "answer":
            self.tracker.originate(kind, DOMAIN_A, "100", 10000)
        elif kind == "busy":
            self.tracker.originate(kind, DOMAIN_A, "101", 10000)
        elif kind == "noanswer":
            self.tracker.originate(kind, DOMAIN_A, "102", 1500)
        elif kind == "gone":
            self.tracker.originate(kind, DOMAIN_A, GONE_AGENT, 1500)
        elif kind == "trunk503":
            self.tracker.originate(kind, DOMAIN_B, "100", 10000)
        elif kind == "ami_drop":
            ami_drop(self.pbx.ami_port, self.counts[kind] % 5, "100")
        elif kind == "idle":
            self.idle += open_idle(self.pbx, n)
        elif kind == "tcp":
            tcp_churn(self.pbx.sip_port, n)

    def wait_responses(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.tracker.pending and time.monotonic() < deadline:
            self.tracker.poll()
            time.sleep(0.1)
        self.tracker.poll()


@pytest.mark.timeout(int(SOAK_SECONDS) + 300)
def test_soak_nothing_leaks(pbx, peers, recorders):
    pid = pbx.proc.pid
    wd = peers.workdir
    long = SOAK_SECONDS + 200
    # the phones and trunks (SIPp servers for the whole run)
    peers.phone("100", ct.uas_scenario(wd, "answer", ring=100, end="wait", wait=60000), calls=10 ** 6,
                timeout=long, name="acme 100 answers")
    peers.phone("101", ct.uas_scenario(wd, "reject", ring=None, code=486, reason="Busy Here"),
                calls=10 ** 6, timeout=long, name="acme 101 busy")
    peers.phone("102", ct.uas_scenario(wd, "noanswer", wait=30000), calls=10 ** 6, timeout=long,
                name="acme 102 rings")
    peers.trunk(ct.uas_scenario(wd, "answer", ring=100, end="bye", hold=800), calls=10 ** 6,
                timeout=long)
    peers.phone("100", ct.uas_scenario(wd, "answer", ring=100, end="wait", wait=60000), domain=DOMAIN_B,
                calls=10 ** 6, timeout=long, name="globex 100 answers")
    peers.trunk(ct.uas_scenario(wd, "reject", ring=None, code=503, reason="Service Unavailable"),
                domain=DOMAIN_B, calls=10 ** 6, timeout=long)
    peers.register([GONE_AGENT])   # the contact port stays closed: no SIPp behind it
    time.sleep(0.5)
    monitors = [recorders("monitor", events="off"), recorders("monitor_b", events="off")]
    tracker = OriginateTracker({DOMAIN_A: recorders("crm"), DOMAIN_B: recorders("crm_b")})
    traffic = Traffic(pbx, tracker)
    squatter = RangeSquatter()
    try:
        # warm-up: two rounds of every kind, then the baseline
        for kind in ROUND * 2:
            assert pbx.alive, "the server died during the warm-up (exit %s)" % pbx.proc.returncode
            traffic.step(kind)
            time.sleep(STEP_SECONDS)
        traffic.wait_responses(RESPONSE_WAIT)
        assert not tracker.pending, "warm-up Originates without OriginateResponse: %s" % tracker.pending
        assert ct.wait_until(lambda: not all_channels(monitors), 20, 0.5), all_channels(monitors)
        assert ct.wait_until(lambda: all(closed_by_server(s) for s in traffic.idle), 4 * IDLE_TIMEOUT, 0.5), (
            "silent warm-up connections still open after %d s" % (4 * IDLE_TIMEOUT))
        time.sleep(SETTLE_SECONDS)
        fd_base, rss_base, kinds_base = fd_count(pid), rss_kib(pid), fd_kinds(pid)
        held_base = held(metrics(pbx))
        sockets_base = socket_summary(pid)
        warm = dict(traffic.counts)

        # the soak
        start = time.monotonic()
        rss_peak, fd_peak = rss_base, fd_base
        steps = itertools.cycle(ROUND)
        while time.monotonic() - start < SOAK_SECONDS:
            assert pbx.alive, "the server died during the soak (exit %s)" % pbx.proc.returncode
            tracker.poll()
            kind = next(steps)
            if kind in EXPECTED_REASON and len(tracker.pending) >= MAX_IN_FLIGHT:
                time.sleep(STEP_SECONDS)
                continue
            traffic.step(kind)
            rss_peak, fd_peak = max(rss_peak, rss_kib(pid)), max(fd_peak, fd_count(pid))
            time.sleep(STEP_SECONDS)
        elapsed = time.monotonic() - start
        traffic.wait_responses(RESPONSE_WAIT)
    finally:
        squatter.close()

    assert pbx.alive, "the server died during the soak"
    left: List[str] = []
    gone = ct.wait_until(lambda: not left.__setitem__(slice(None), all_channels(monitors)) and not left,
                         CHANNELS_GONE_WAIT, 0.5)
    time.sleep(SETTLE_SECONDS)
    fds: List[int] = [fd_count(pid)]
    ct.wait_until(lambda: fds.append(fd_count(pid)) or fds[-1] <= fd_base + FD_SLACK,
                  SETTLE_LIMIT - SETTLE_SECONDS, 1.0)
    fd_after, rss_after = fds[-1], rss_kib(pid)
    idle_closed = sum(closed_by_server(s) for s in traffic.idle)
    for s in traffic.idle:
        s.close()
    after_metrics = metrics(pbx)
    bind_failures = after_metrics.get("centralino_rtp_bind_failures_total")
    held_after = held(after_metrics)
    held_diff = {k: (held_base.get(k), v) for k, v in held_after.items() if held_base.get(k) != v}
    soak_counts = {k: v - warm.get(k, 0) for k, v in traffic.counts.items()}
    figures = (
        "soak: %.0f s of traffic, steps %s (warm-up %s)\n"
        "OriginateResponse reasons by kind: %s\n"
        "Originates without response: %d; wrong reasons: %d\n"
        "descriptors: baseline %d, peak %d, after %d (samples after the settle time %s)\n"
        "RSS: baseline %.1f MiB, peak %.1f MiB, after %.1f MiB (growth %.1f MiB)\n"
        "RTP bind failures (colliding sockets): %s; squatter sockets bound and released: %d\n"
        "silent connections closed by the server: %d of %d\n"
        "held (/metrics, nonzero) at the baseline: %s; changed after: %s\n"
        "descriptor kinds: baseline %s, after %s"
        % (elapsed, soak_counts, warm, {k: dict(v) for k, v in tracker.reasons.items()},
           len(tracker.pending), len(tracker.wrong), fd_base, fd_peak, fd_after, fds,
           rss_base / 1024, rss_peak / 1024, rss_after / 1024, (rss_after - rss_base) / 1024,
           bind_failures, squatter.churned, idle_closed, len(traffic.idle), {k: v for k, v in held_base.items() if v}, held_diff, kinds_base, fd_kinds(pid)))
    print("\n" + figures)

    assert not tracker.pending, "Originates without OriginateResponse after %.0f s: %s\n%s" % (
        RESPONSE_WAIT, sorted(tracker.pending)[:20], figures)
    assert not tracker.wrong, "OriginateResponse with an unexpected Reason:\n%s\n%s" % (
        "\n".join(tracker.wrong[:20]), figures)
    assert gone, "channels left after the soak: %s\n%s" % (left, figures)
    assert fd_after <= fd_base + FD_SLACK, (
        "descriptors not back to the baseline: %d > %d + %d\nsockets at the baseline:\n%s\nsockets now:\n%s\n%s"
        % (fd_after, fd_base, FD_SLACK, sockets_base, socket_summary(pid), figures))
    assert idle_closed == len(traffic.idle), (
        "silent SIP/TCP or AMI connections still open %d s after the soak (timeouts %d s)\n%s"
        % (SETTLE_LIMIT, IDLE_TIMEOUT, figures))
    assert not held_diff, "channels, media legs or AMI sessions still held (baseline, after): %s\n%s" % (
        held_diff, figures)
    assert rss_after - rss_base < RSS_GROWTH_LIMIT_KIB, "RSS grew by %.1f MiB\n%s" % (
        (rss_after - rss_base) / 1024, figures)
    assert bind_failures and bind_failures > 0, (
        "the RTP range never collided with the test's sockets, the bind-failure path was not run\n" + figures)
    for kind in EXPECTED_REASON:
        assert tracker.reasons[kind][EXPECTED_REASON[kind]] > 0, "no %s call completed\n%s" % (kind, figures)
