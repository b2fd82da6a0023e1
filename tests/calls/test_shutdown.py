"""Orderly shutdown (SIGTERM) of a node with a call up, against real peers.

Two SIPp phones of acme talk through Centralino (100 calls 101; both answer and then wait for a BYE).
On SIGTERM the node must stop accepting AMI and HTTP first (an AMI session is closed before it sees
any Hangup), then end the call with a BYE to each phone, then close SIP and media and exit 0 within
the grace period (plus a margin); its RTP ports are free afterwards. A phone that never answers its
BYE holds the node for the grace period only, and an INVITE during that time gets 503.
"""

from __future__ import annotations

import re
import signal
import socket
import threading
import time
from typing import Dict

import pytest

import calltools as ct
from calltools import SCENARIOS, sipp_ok

GRACE = 3
# What the rest of the shutdown may take beyond the grace period (Serve.shutdownMargin is 5 s).
MARGIN = 5.0



@pytest.fixture
def pbx(tmp_path_factory):
    """A server of its own per test: each test stops it."""
    srv = ct.Server(tmp_path_factory.mktemp("pbx"), name="shutdown", extra_args=["--shutdown-grace", str(GRACE)])
    yield srv
    srv.stop()


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def udp_port_free(port: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def test_sigterm_ends_calls_with_bye_after_ami_and_http_close(pbx, peers, recorders):
    mon = recorders("monitor")
    callee = peers.phone("101", ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait", wait=30000))
    caller = peers.caller("100", "101", str(SCENARIOS / "uac_call_wait_bye.xml"), timeout=30)

    def up() -> bool:
        channels = ct.channels_now(mon)
        return len(channels) == 2 and all(c.get("ChannelStateDesc") == "Up" for c in channels)
    assert ct.wait_until(up, 10, 0.2), "the call did not come up: %s" % ct.channels_now(mon)

    # Centralino's RTP ports of both legs (its SDP toward each phone).
    invite = callee.wait_for_message(lambda m: m.direction == "received" and m.start.startswith("INVITE"), 5)
    ok = caller.wait_for_message(lambda m: m.direction == "received" and m.is_response and m.status == 200
                                 and m.method == "INVITE", 5)
    assert invite is not None and ok is not None
    rtp_ports = [ct.sdp_media(invite.body)[1], ct.sdp_media(ok.body)[1]]
    assert all(p is not None and pbx.rtp_low <= p <= pbx.rtp_high for p in rtp_ports), rtp_ports
    assert not any(udp_port_free(p) for p in rtp_ports), "the call's RTP ports should be held while it is up"

    # Whether each phone has had its BYE, and whether the listeners still accepted right after the first:
    # a connection tried after the server sent a BYE is tried after the server closed them, however late
    # this thread runs (no race of observers).
    got_bye: Dict[str, bool] = {"100": False, "101": False}
    accepted_after_bye: Dict[str, bool] = {}
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for ext, phone in (("100", caller), ("101", callee)):
                if not got_bye[ext] and any(m.direction == "received" and m.start.startswith("BYE")
                                            for m in phone.messages_so_far()):
                    got_bye[ext] = True
                    if not accepted_after_bye:
                        # (while the process still runs: after its exit every connect is refused anyway)
                        running = pbx.proc.poll() is None
                        accepted_after_bye.update(running=running, ami=accepts(pbx.ami_port), http=accepts(pbx.http_port))
            time.sleep(0.005)

    mark = mon.mark()
    watcher = threading.Thread(target=watch, daemon=True)
    started = time.monotonic()
    pbx.proc.send_signal(signal.SIGTERM)
    watcher.start()
    try:
        code = pbx.proc.wait(GRACE + MARGIN)
    finally:
        exited = time.monotonic()
        stop.set()
        watcher.join(2)
    log = pbx.log_text()
    assert code == 0, "serve exited with %s after SIGTERM\n%s" % (code, ct.tail(log, 40))
    assert exited - started < GRACE + MARGIN

    rc, re_ = caller.wait(10), callee.wait(10)
    sipp_ok(rc, "caller 100 (gets a BYE from Centralino at shutdown, answers 200)")
    sipp_ok(re_, "callee 101 (gets a BYE from Centralino at shutdown, answers 200)")
    assert len(rc.received_requests("BYE")) >= 1 and len(re_.received_requests("BYE")) >= 1

    # AMI and HTTP stopped before the call was ended: the AMI session was closed without seeing the
    # hang-up, and neither listener accepted any more by the time a phone had its BYE.
    hangup_events = [m.event for m in mon.events(mark) if m.event in ("HangupRequest", "SoftHangupRequest", "Hangup")]
    assert not hangup_events, "the AMI session saw the calls end; AMI must close first: %s" % hangup_events
    assert all(got_bye.values()), "the watcher saw no BYE at: %s" % [ext for ext, got in got_bye.items() if not got]
    assert accepted_after_bye == {"running": True, "ami": False, "http": False}, (
        "a listener still accepted after the first BYE: %s" % accepted_after_bye)
    mon._t.join(5)
    assert not mon._t.is_alive(), "the AMI session was not closed"

    # The logs say the order too: calls ended before media was closed, and nothing was left waiting.
    ending, ended, media = (log.find("shutdown: ending calls"), log.find("shutdown: every call ended"),
                            log.find("shutdown: media legs closed"))
    assert 0 <= ending < ended < media, ct.tail(log, 40)
    assert "Centralino stopped" in log

    for port in rtp_ports:
        assert udp_port_free(port) and udp_port_free(port + 1), "RTP/RTCP port %d still bound" % port


def test_a_peer_that_never_answers_its_bye_holds_shutdown_for_the_grace_period_only(pbx, peers, recorders):
    mon = recorders("monitor")
    # The callee takes the BYE and never answers it (its retransmissions too): a stuck peer.
    answer = ct.uas_scenario(peers.workdir, "answer", ring=200, end="wait", wait=30000)
    text = re.sub(r'(<recv request="BYE"[^>]*/>)\s*<send>.*?</send>', r'\1\n  <pause milliseconds="15000"/>',
                  open(answer).read(), count=1, flags=re.S)
    stuck = peers.workdir / "uas_answer_ignore_bye.xml"
    stuck.write_text(text)
    callee = peers.phone("101", str(stuck), timeout=30)
    caller = peers.caller("100", "101", str(SCENARIOS / "uac_call_wait_bye.xml"), timeout=30)
    assert ct.wait_until(lambda: len(ct.channels_now(mon)) == 2 and all(
        c.get("ChannelStateDesc") == "Up" for c in ct.channels_now(mon)), 10, 0.2), ct.channels_now(mon)

    started = time.monotonic()
    pbx.proc.send_signal(signal.SIGTERM)
    assert callee.wait_for_message(lambda m: m.direction == "received" and m.start.startswith("BYE"), GRACE)

    # Still draining: a new call is refused with 503 (before any digest challenge).
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(2)
    port = s.getsockname()[1]
    s.sendto(("INVITE sip:101@%s SIP/2.0\r\n"
              "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKshutdown1;rport\r\n"
              "From: <sip:102@%s>;tag=shut1\r\nTo: <sip:101@%s>\r\nCall-ID: shutdown-invite-1\r\n"
              "CSeq: 1 INVITE\r\nContact: <sip:102@127.0.0.1:%d>\r\nMax-Forwards: 70\r\n"
              "Content-Length: 0\r\n\r\n" % (ct.DOMAIN_A, port, ct.DOMAIN_A, ct.DOMAIN_A, port)).encode(),
             ("127.0.0.1", pbx.sip_port))
    replies = []
    try:
        while not replies or replies[-1].startswith("SIP/2.0 1"):   # past 100 Trying to the final answer
            replies.append(s.recv(4096).decode("utf-8", "replace"))
    finally:
        s.close()
    assert replies[-1].startswith("SIP/2.0 503"), replies

    code = pbx.proc.wait(GRACE + MARGIN)
    elapsed = time.monotonic() - started
    log = pbx.log_text()
    assert code == 0, ct.tail(log, 40)
    assert GRACE - 0.5 <= elapsed < GRACE + MARGIN, "exited %.2f s after SIGTERM (grace %d s)" % (elapsed, GRACE)
    assert "shutdown: calls still ending when the grace period ran out" in log, ct.tail(log, 40)
    rc = caller.wait(10)
    sipp_ok(rc, "caller 100 (gets a BYE from Centralino at shutdown, answers 200)")
    callee.stop()
