"""Media security and reliability against the real binary (issue 9 defect 2, issue 10).

- Strict RTP: a stranger on another host spraying a perfect RTP stream at every port of the range
  during a call learns nothing and hears nothing, and the caller still hears the callee; a phone
  behind NAT (SDP with a private address, RTP from its public one) is still learnt, by probation,
  while the stranger sprays. `/metrics` counts the dropped packets.
- Ports: successive calls get RTP ports in no predictable order; ports of the range held by other
  sockets are skipped without leaking a descriptor (counted in /proc/<pid>/fd).
- RTP timeout (`--rtp-timeout`, Asterisk's rtptimeout): a phone that stops sending RTP (SIPp with its
  RTP peer stopped, or a pjsua2 phone killed with SIGKILL) is hung up with AMI SoftHangupRequest
  (Cause 1, AST_SOFTHANGUP_DEV) and Hangup Cause 44 (res_pjsip_sdp_rtp.c rtp_check_timeout sets
  AST_CAUSE_REQUESTED_CHAN_UNAVAIL), and the other side gets a BYE; a call on hold is not reaped.

The stranger binds 127.0.0.2 (on Linux all of 127/8 is loopback): another host than the phones.
"""

from __future__ import annotations

import os
import random
import re
import socket
import struct
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import List, Optional, Tuple

import pytest

import calltools as ct
from calltools import SCENARIOS, Server, sipp_ok

RTP_TIMEOUT = 3            # seconds, --rtp-timeout of this module's server
FILL_CALLER = b"\x11"
FILL_CALLEE = b"\x22"
FILL_STRANGER = b"\x99"
STRANGER_HOST = "127.0.0.2"


# An RTP range of this module's own (the stranger sprays all of it): outside the default 10000-20000
# of other suites' servers, calltools' 30000+ blocks, test_security_capacity's 20000-28000 and the
# kernel's ephemeral ports, so concurrent runs of other suites neither answer nor collide.
RTP_LOW = 28000 + (os.getpid() % 2) * 1000
RTP_HIGH = RTP_LOW + 999


@pytest.fixture(scope="module")
def pbx(tmp_path_factory):
    """This module's own server, with a short RTP timeout (strict RTP is on by default)."""
    srv = Server(tmp_path_factory.mktemp("pbx"), name="security_media",
                 extra_args=["--rtp-timeout", str(RTP_TIMEOUT), "--rtp-ports", "%d-%d" % (RTP_LOW, RTP_HIGH)])
    srv.rtp_low, srv.rtp_high = RTP_LOW, RTP_HIGH      # the last --rtp-ports given wins
    yield srv
    srv.stop()


# -- helpers -------------------------------------------------------------------------------------

class Sprayer:
    """A stranger: one UDP socket on another host sending, to every even port of a range, a stream of
    RTP packets with consecutive sequence numbers per port (what strict RTP's probation looks for),
    as fast as it can cycle; records whatever comes back."""

    def __init__(self, low: int, high: int, host: str = STRANGER_HOST):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.05)
        self.ports = [p for p in range(low, high + 1) if p % 2 == 0]
        self.received: List[Tuple[Tuple[str, int], bytes]] = []
        self.sent = 0
        self.cycles = 0
        self._stop = threading.Event()
        self._rx = threading.Thread(target=self._recv, daemon=True)
        self._tx = threading.Thread(target=self._send, daemon=True)
        self._rx.start()
        self._tx.start()

    def _send(self) -> None:
        seq, ts = random.randrange(65536), random.randrange(1 << 32)
        while not self._stop.is_set():
            start = time.monotonic()
            pkt = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, ts & 0xFFFFFFFF, 0x5EC0DE) + FILL_STRANGER * 160
            for port in self.ports:
                try:
                    self.sock.sendto(pkt, ("127.0.0.1", port))
                    self.sent += 1
                except OSError:
                    pass
            self.cycles += 1
            seq, ts = seq + 1, ts + 160
            time.sleep(max(0.0, 0.02 - (time.monotonic() - start)))

    def _recv(self) -> None:
        while not self._stop.is_set():
            try:
                data, src = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.received.append((src, data[12:]))

    def heard(self, fill: bytes) -> int:
        return sum(1 for _, payload in self.received if payload and payload == fill * len(payload))

    def close(self) -> None:
        self._stop.set()
        self._tx.join(2)
        self._rx.join(2)
        self.sock.close()


class PausableRtp(ct.RtpPeer):
    """calltools.RtpPeer whose sending can be paused and resumed (hold, a phone going silent)."""

    def __init__(self):
        super().__init__()
        self.paused = threading.Event()

    def start_sending(self, dest, fill: bytes, pt: int = 0) -> None:
        self._send_to, self._fill = dest, fill

        def loop():
            seq, ts, ssrc = 1000, 0, 0x1234ABCD ^ self.port
            nxt = time.monotonic()
            while not self._stop.is_set():
                if not self.paused.is_set():
                    pkt = struct.pack("!BBHII", 0x80, pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + fill * 160
                    try:
                        self.sock.sendto(pkt, dest)
                        self.sent += 1
                    except OSError:
                        pass
                    seq += 1
                ts += 160
                nxt += 0.02
                time.sleep(max(0.0, nxt - time.monotonic()))
        self._tx = threading.Thread(target=loop, daemon=True)
        self._tx.start()


def sdp_port(msg: ct.SipMsg) -> Tuple[str, int]:
    addr, port, _ = ct.sdp_media(msg.body)
    assert addr and port, "no SDP in:\n%s" % msg.text
    return addr, port


def invite_at_callee(callee: ct.Sipp, timeout: float = 10) -> ct.SipMsg:
    m = callee.wait_for_message(lambda m: m.direction == "received" and m.method == "INVITE"
                                and not m.is_response, timeout)
    assert m is not None, "the callee never got the INVITE"
    return m


def ok_at_caller(caller: ct.Sipp, timeout: float = 10) -> ct.SipMsg:
    m = caller.wait_for_message(lambda m: m.direction == "received" and m.is_response
                                and m.status == 200 and m.method == "INVITE", timeout)
    assert m is not None, "the caller never got the 200 to its INVITE"
    return m


def metric(pbx: Server, name: str) -> int:
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % pbx.http_port, timeout=5).read().decode()
    m = re.search(r"(?m)^%s (\d+)$" % re.escape(name), text)
    assert m, "%s missing from /metrics:\n%s" % (name, text)
    return int(m.group(1))


def open_descriptors(pid: int) -> int:
    return len(os.listdir("/proc/%d/fd" % pid))


def private_sdp_scenario(workdir: Path, private_ip: str) -> str:
    """The answering UAS scenario with its SDP connection address replaced by a private one (a phone
    behind NAT that does not know its public address)."""
    base = Path(ct.uas_scenario(workdir, "answer", ring=500, end="wait"))
    text = base.read_text().replace("c=IN IP4 [local_ip]", "c=IN IP4 %s" % private_ip)
    assert private_ip in text
    out = workdir / ("uas_answer_private_sdp.xml")
    out.write_text(text)
    return str(out)


# -- strict RTP ----------------------------------------------------------------------------------

def test_stranger_spraying_the_port_range_hears_nothing_and_the_caller_still_hears_the_callee(pbx, peers):
    a, b = ct.RtpPeer(), ct.RtpPeer()
    stranger = Sprayer(pbx.rtp_low, pbx.rtp_high)
    dropped_before = metric(pbx, "centralino_rtp_packets_dropped_strict_total")
    relayed_before = metric(pbx, "centralino_rtp_packets_relayed_total")
    try:
        assert ct.wait_until(lambda: stranger.cycles >= 2, 5), "the sprayer did not get going"
        callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=500, end="wait"),
                             keys={"rtp_port": str(b.port)})
        caller = peers.caller("100", "101", str(SCENARIOS / "uac_call.xml"), pause_ms=6000,
                              keys={"rtp_port": str(a.port)})
        b_dest = sdp_port(invite_at_callee(callee))
        a_dest = sdp_port(ok_at_caller(caller))
        a.start_sending(a_dest, FILL_CALLER)
        b.start_sending(b_dest, FILL_CALLEE)
        got = ct.wait_until(lambda: len(a.received_with(FILL_CALLEE)) >= 50
                            and len(b.received_with(FILL_CALLER)) >= 50, 5.5)
        rc, re_ = caller.wait(), callee.wait()
        cycles = stranger.cycles
    finally:
        stranger.close()
        a.close()
        b.close()
    summary = ("caller heard %d of the callee's packets, callee %d of the caller's; the stranger (%d "
               "spray cycles over %d ports, %d packets) got %d packets back: %d of the callee's audio, "
               "%d of the caller's, from %s"
               % (len(a.received_with(FILL_CALLEE)), len(b.received_with(FILL_CALLER)), cycles,
                  len(stranger.ports), stranger.sent, len(stranger.received), stranger.heard(FILL_CALLEE),
                  stranger.heard(FILL_CALLER), sorted({src for src, _ in stranger.received})[:5]))
    assert stranger.received == [], "the stranger received media: " + summary
    assert got, "audio must still flow both ways: " + summary
    assert not a.received_with(FILL_STRANGER) and not b.received_with(FILL_STRANGER), (
        "the stranger's audio reached a phone: " + summary)
    sipp_ok(rc, "caller")
    sipp_ok(re_, "callee")
    dropped = metric(pbx, "centralino_rtp_packets_dropped_strict_total") - dropped_before
    assert dropped > 0, "/metrics must count the stranger's packets dropped by strict RTP: " + summary
    relayed = metric(pbx, "centralino_rtp_packets_relayed_total") - relayed_before
    assert relayed >= 100, "/metrics must count the relayed packets (%d): %s" % (relayed, summary)


def test_phone_behind_nat_is_learnt_by_probation_while_a_stranger_sprays(pbx, peers):
    """The callee's SDP says 192.0.2.10 (a private address it believes is its own); its RTP comes from
    127.0.0.1, the host its SIP comes from. Strict RTP must learn that source by probation although a
    stranger on another host sprays every port meanwhile, and then send the caller's audio there."""
    a, b = ct.RtpPeer(), ct.RtpPeer()
    stranger = Sprayer(pbx.rtp_low, pbx.rtp_high)
    try:
        assert ct.wait_until(lambda: stranger.cycles >= 2, 5), "the sprayer did not get going"
        callee = peers.phone("101", private_sdp_scenario(peers.workdir, "192.0.2.10"),
                             keys={"rtp_port": str(b.port)})
        caller = peers.caller("100", "101", str(SCENARIOS / "uac_call.xml"), pause_ms=6000,
                              keys={"rtp_port": str(a.port)})
        b_dest = sdp_port(invite_at_callee(callee))
        a_dest = sdp_port(ok_at_caller(caller))
        t_start = time.monotonic()
        a.start_sending(a_dest, FILL_CALLER)
        b.start_sending(b_dest, FILL_CALLEE)
        got = ct.wait_until(lambda: len(a.received_with(FILL_CALLEE)) >= 50
                            and len(b.received_with(FILL_CALLER)) >= 50, 5.5)
        rc, re_ = caller.wait(), callee.wait()
    finally:
        stranger.close()
        a.close()
        b.close()
    to_b = b.received_with(FILL_CALLER)
    summary = ("caller heard %d of the callee's packets; callee (SDP 192.0.2.10, RTP from 127.0.0.1:%d) "
               "heard %d of the caller's, first after %.3f s; the stranger got %d of the caller's, %d of "
               "the callee's" % (len(a.received_with(FILL_CALLEE)), b.port, len(to_b),
                                 (to_b[0].t - t_start) if to_b else -1, stranger.heard(FILL_CALLER),
                                 stranger.heard(FILL_CALLEE)))
    assert got, "the NATed callee must be learnt and audio flow both ways: " + summary
    assert stranger.heard(FILL_CALLEE) == 0, "the caller's leg is confirmed by its SDP: nothing of the callee's audio for the stranger: " + summary
    # Before the phone's own probation completes (4 packets, ~60 ms) a stranger that passed probation
    # first may get the first few of the caller's packets (SDP without a confirmed address); never more.
    assert stranger.heard(FILL_CALLER) <= 10, "the phone must displace the stranger at once: " + summary
    sipp_ok(rc, "caller")
    sipp_ok(re_, "callee")


# -- ports ---------------------------------------------------------------------------------------

def test_successive_calls_get_rtp_ports_in_no_predictable_order(pbx, peers):
    calls = 5
    callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=100, end="wait"), calls=calls,
                         timeout=40)
    caller = peers.caller("100", "101", str(SCENARIOS / "uac_call.xml"), pause_ms=300, calls=calls,
                          timeout=40, extra=["-l", "1", "-r", "2"])
    rc, re_ = caller.wait(), callee.wait()
    sipp_ok(rc, "caller")
    sipp_ok(re_, "callee")
    to_caller = []
    for m in rc.received():
        if m.is_response and m.method == "INVITE" and m.status == 200:
            cid = m.header("Call-ID")
            if cid not in [c for c, _ in to_caller]:
                to_caller.append((cid, sdp_port(m)[1]))
    to_callee = [sdp_port(m)[1] for m in re_.received_requests("INVITE")]
    assert len(to_caller) == calls and len(to_callee) == calls, (to_caller, to_callee)
    ports = [p for (_, pa), pb in zip(to_caller, to_callee) for p in (pa, pb)]   # in allocation order
    steps = [b - a for a, b in zip(ports, ports[1:])]
    assert len(set(ports)) >= len(ports) - 1, "ports reused at once: %s" % ports
    assert sum(1 for s in steps if s == 2) < 3, (
        "RTP ports must not be handed out in order (a stranger could guess the next call's): %s" % ports)


def test_rtp_ports_held_by_other_sockets_are_skipped_without_leaking_descriptors(pbx, peers):
    pid = pbx.proc.pid
    # warm up: one call, so everything the server opens once (loggers, AMI, caches) is open
    callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=100, end="wait"))
    caller = peers.caller("100", "101", str(SCENARIOS / "uac_call.xml"), pause_ms=200)
    sipp_ok(caller.wait(), "warm-up caller")
    sipp_ok(callee.wait(), "warm-up callee")
    # another process (here: this one) holds 40 % of the range's RTP ports
    evens = [p for p in range(pbx.rtp_low, pbx.rtp_high, 2)]
    squatters = []
    for port in random.sample(evens, len(evens) * 2 // 5):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", port))
            squatters.append(s)
        except OSError:
            s.close()
    try:
        time.sleep(0.5)
        before = open_descriptors(pid)
        failures_before = metric(pbx, "centralino_rtp_bind_failures_total")
        calls = 20
        callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=50, end="wait"), calls=calls,
                             timeout=50)
        caller = peers.caller("100", "101", str(SCENARIOS / "uac_call.xml"), pause_ms=100, calls=calls,
                              timeout=50, extra=["-l", "2", "-r", "5"])
        rc, re_ = caller.wait(), callee.wait()
        sipp_ok(rc, "caller")
        sipp_ok(re_, "callee")
        assert rc.stat("Successful call") == calls, rc.report()
        failures = metric(pbx, "centralino_rtp_bind_failures_total") - failures_before
        counts = []
        settled = ct.wait_until(lambda: counts.append(open_descriptors(pid)) or counts[-1] <= before + 2, 5, 0.2)
    finally:
        for s in squatters:
            s.close()
    assert failures > 0, ("with %d of %d RTP ports held by another socket, %d calls never hit one "
                          "(bind failures counted: %d)" % (len(squatters), len(evens), calls, failures))
    assert settled, ("descriptors leaked: %d open before %d calls that met %d ports held by another socket, "
                     "%d after" % (before, calls, failures, counts[-1]))


# -- RTP timeout ---------------------------------------------------------------------------------

def test_a_phone_that_stops_sending_rtp_is_hung_up_after_the_rtp_timeout(pbx, peers, recorders):
    mon = recorders("monitor")
    mark = mon.mark()
    a, b = PausableRtp(), PausableRtp()
    try:
        callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait", wait=30000),
                             keys={"rtp_port": str(b.port)}, timeout=30)
        caller = peers.caller("100", "101", str(SCENARIOS / "uac_call_wait_bye.xml"),
                              keys={"rtp_port": str(a.port)}, timeout=30)
        b_dest = sdp_port(invite_at_callee(callee))
        a_dest = sdp_port(ok_at_caller(caller))
        a.start_sending(a_dest, FILL_CALLER)
        b.start_sending(b_dest, FILL_CALLEE)
        assert ct.wait_until(lambda: len(a.received_with(FILL_CALLEE)) >= 25, 3), "no audio from the callee"
        b.paused.set()                       # the callee's phone dies: no more RTP from it
        t_silent = time.monotonic()
        hang = mon.wait_for(lambda m: m.event == "Hangup" and (m.get("Channel") or "").startswith("PJSIP/101-"),
                            RTP_TIMEOUT + 6, mark)
        t_hang = time.monotonic()
        rc, re_ = caller.wait(), callee.wait()
    finally:
        a.close()
        b.close()
    assert hang is not None, "the silent callee was not hung up within %d s of its last RTP" % (RTP_TIMEOUT + 6)
    elapsed = t_hang - t_silent
    assert RTP_TIMEOUT - 0.5 <= elapsed <= RTP_TIMEOUT + 4, (
        "hung up %.1f s after the last RTP; --rtp-timeout is %d s" % (elapsed, RTP_TIMEOUT))
    assert hang.get("Cause") == "44" and hang.get("Cause-txt") == "Requested channel not available", hang
    soft = [m for m in mon.events(mark, "SoftHangupRequest") if m.get("Channel") == hang.get("Channel")]
    assert soft and soft[0].get("Cause") == "1", "SoftHangupRequest Cause 1 (AST_SOFTHANGUP_DEV) expected: %s" % soft
    sipp_ok(rc, "caller (waits for the BYE of the reaped call)")
    sipp_ok(re_, "callee (gets a BYE too)")
    assert rc.received_requests("BYE"), "the caller got no BYE:\n%s" % rc.report()
    assert ct.wait_until(lambda: ct.hangups(mon, mark, "PJSIP/100-"), 3), "the caller's channel stayed up"
    assert ct.wait_until(lambda: not ct.channels_now(mon), 3), "channels left: %s" % [
        c.get("Channel") for c in ct.channels_now(mon)]


def test_a_call_on_hold_is_not_reaped(pbx, peers, recorders):
    """100 holds 101 (re-INVITE a=sendonly) for longer than the RTP timeout while neither sends RTP,
    then resumes and talks: the call survives and ends with the caller's BYE."""
    mon = recorders("monitor")
    mark = mon.mark()
    segment_ms = (RTP_TIMEOUT + 2) * 1000    # talk, hold, talk: each longer than the timeout
    a, b = PausableRtp(), PausableRtp()
    try:
        callee = peers.phone("101", str(SCENARIOS / "uas_answer_hold.xml"), timeout=40,
                             keys={"rtp_port": str(b.port)})
        caller = peers.caller("100", "101", str(SCENARIOS / "uac_call_hold.xml"), pause_ms=segment_ms,
                              timeout=40, keys={"rtp_port": str(a.port)})
        b_dest = sdp_port(invite_at_callee(callee))
        a_dest = sdp_port(ok_at_caller(caller))
        a.start_sending(a_dest, FILL_CALLER)
        b.start_sending(b_dest, FILL_CALLEE)

        def sent_invite(cseq: int):
            return caller.wait_for_message(lambda m: m.direction == "sent" and not m.is_response
                                           and m.method == "INVITE"
                                           and re.match(r"\s*%d\s" % cseq, m.header("CSeq") or ""),
                                           segment_ms / 1000 + 10)
        assert sent_invite(3) is not None, "the caller never sent its hold re-INVITE"
        a.paused.set()
        b.paused.set()
        assert sent_invite(4) is not None, "the caller never resumed (was the call reaped while on hold?)"
        a.paused.clear()
        b.paused.clear()
        rc, re_ = caller.wait(), callee.wait()
    finally:
        a.close()
        b.close()
    reaped = [h for h in mon.events(mark, "Hangup") if h.get("Cause") == "44"]
    assert not reaped, "a call on hold was reaped by the RTP timeout: %s" % reaped
    sipp_ok(rc, "caller (talk, hold, resume, BYE)")
    sipp_ok(re_, "callee")


def test_a_killed_pjsua2_phone_is_reaped_and_the_other_phone_gets_a_bye(pbx, peers, recorders):
    from test_phones import PjPhone
    mon = recorders("monitor")
    mark = mon.mark()
    callee = caller = None
    try:
        callee = PjPhone(peers.workdir, pbx, "102", "--answer", timeout=40)
        m = callee.wait_line(r"^REG code=(\d+)", 10)
        assert m and m.group(1) == "200", "pjsua2 phone 102 did not register:\n%s" % callee.report()
        caller = PjPhone(peers.workdir, pbx, "100", "--call", "102", "--talk", "30", timeout=40)
        assert caller.wait_line(r"^CALL state=CONFIRMED", 10), "100 -> 102 did not connect:\n%s" % caller.report()
        assert callee.wait_line(r"^CALL state=CONFIRMED", 5), "callee never confirmed:\n%s" % callee.report()
        assert caller.wait_line(r"^STATS rx=([1-9]\d\d+)", 5), "no audio before the kill:\n%s" % caller.report()
        callee.kill()                        # SIGKILL: no BYE, no more RTP
        t_kill = time.monotonic()
        ended = caller.wait_line(r"^CALL state=DISCONNECTED", RTP_TIMEOUT + 6)
        t_end = time.monotonic()
        hang = mon.wait_for(lambda m: m.event == "Hangup" and (m.get("Channel") or "").startswith("PJSIP/102-"),
                            3, mark)
        assert ended, "the surviving phone never got a BYE after its peer died:\n%s" % caller.report()
        assert t_end - t_kill <= RTP_TIMEOUT + 5, "reaped only after %.1f s" % (t_end - t_kill)
        assert not caller.wait_line(r"^HANGUP", 0), "the caller hung up by itself, not Centralino:\n%s" % caller.report()
        assert hang is not None and hang.get("Cause") == "44", "AMI Hangup Cause 44 expected for 102: %r" % (hang,)
        assert ct.wait_until(lambda: not ct.channels_now(mon), 3), "channels left"
    finally:
        for title, ph in (("pjsua2 caller 100", caller), ("pjsua2 callee 102", callee)):
            if ph is not None:
                ph.kill()
                peers.log(title, ph.report())


# -- start-up ------------------------------------------------------------------------------------

def test_serve_warns_when_the_rtp_range_overlaps_the_ephemeral_range(tmp_path):
    """Issue 10: a range inside the kernel's ephemeral range collides with outgoing connections."""
    text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    low, high = int(text[0]), int(text[1])
    rtp = "%d-%d" % (low + 100, low + 299) if high - low > 400 else "%d-%d" % (low, high)
    ami, sip, http = ct.free_ports(3)
    cmd = [ct.centralino_bin(), "serve", "--data-dir", str(tmp_path / "data"),
           "--ami-bind", "127.0.0.1:%d" % ami, "--sip-bind", "127.0.0.1:%d" % sip,
           "--http-bind", "127.0.0.1:%d" % http, "--rtp-ports", rtp]
    log = tmp_path / "serve.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL,
                                cwd=str(tmp_path))
        try:
            warned = ct.wait_until(lambda: "overlaps the kernel's ephemeral port range" in log.read_text(errors="replace"), 20)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert warned, "no warning for --rtp-ports %s inside %d-%d:\n%s" % (rtp, low, high, ct.tail(log.read_text(errors="replace")))
