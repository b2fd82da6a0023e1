"""Qualify and dead phones: a registered phone that stops answering OPTIONS is marked unreachable
(no final response within Timer F, 32 s) and a Dial to an extension whose every contact is
unreachable ends at once with DIALSTATUS CHANUNAVAIL (the caller gets 480 or 404, as for an
unregistered extension) instead of ringing the dead contact until Timer B (32 s, then 408).

This module's server qualifies every second (`--sip-qualify-interval 1`). 102 registers with SIPp,
which then exits: nothing answers at its contact any more.
"""

from __future__ import annotations

import socket
import time

import calltools as ct
from calltools import SCENARIOS, Server

TIMER_F = 32    # seconds: 64·T1, an OPTIONS without final response by then marks the contact unreachable


pbx = ct.pbx_fixture("qualify", "--sip-qualify-interval", "1")


def unreachable_logged(server: Server, number: str) -> bool:
    text = server.log_path.read_text(errors="replace")
    return any("SIP contact unreachable" in line and ("|%s|" % number) in line for line in text.splitlines())


def test_dial_to_a_phone_that_stopped_answering_options_fails_fast(pbx, peers, recorders):
    peers.register(["102"])     # SIPp registers 102 and exits: its contact answers nothing from now on
    assert ct.wait_until(lambda: unreachable_logged(pbx, "102"), TIMER_F + 15, 0.5), (
        "102 was never marked unreachable (no OPTIONS answer for %d s)" % (TIMER_F + 15))
    mon = recorders("monitor")
    mark = mon.mark()
    started = time.monotonic()
    caller = peers.caller("100", "102", str(SCENARIOS / "uac_call_fail.xml"), timeout=15)
    rc = caller.wait()
    elapsed = time.monotonic() - started
    assert rc.returncode == 0, "caller 100 -> unreachable 102: SIPp exit %s\n%s" % (rc.returncode, rc.report())
    finals = rc.received_finals()
    assert finals and finals[-1] in (480, 404), "caller got %s, want 480 or 404 at once:\n%s" % (finals, rc.report())
    assert elapsed < 10, "the call to an unreachable phone took %.1f s to fail (rang into the void?)" % elapsed
    ends = [d.get("DialStatus") for d in mon.events(mark, "DialEnd")]
    assert ends in ([], ["CHANUNAVAIL"]), "DialEnd: %s" % ends
    assert not [m for m in mon.events(mark, "Newchannel") if (m.get("Channel") or "").startswith("PJSIP/102-")], (
        "no channel may be created toward an unreachable contact")
    assert ct.wait_until(lambda: not ct.channels_now(mon), 5, 0.2), "channels left: %s" % [
        c.get("Channel") for c in ct.channels_now(mon)]


def test_a_phone_that_registers_again_is_called_at_once(pbx, peers, recorders):
    """The same contact registers again after it was marked unreachable: it is dialled again at once
    (not only after the next answered OPTIONS). A raw UDP socket plays the phone and answers 486."""
    port = peers.register(["102"])
    assert ct.wait_until(lambda: unreachable_logged(pbx, "102"), TIMER_F + 15, 0.5), "102 never marked unreachable"
    peers.register(["102"], port=port)      # the same contact registers again
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as phone:
        phone.bind(("127.0.0.1", port))
        phone.settimeout(0.2)
        caller = peers.caller("100", "102", str(SCENARIOS / "uac_call_fail.xml"), timeout=15)
        invite = None
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and invite is None:
            try:
                data, source = phone.recvfrom(65536)
            except socket.timeout:
                continue
            if data.startswith(b"INVITE "):
                invite = data.decode(errors="replace")
                head = invite.split("\r\n\r\n", 1)[0].split("\r\n")
                keep = [ln for ln in head[1:] if ln.split(":", 1)[0].strip().lower() in ("via", "from", "call-id", "cseq")]
                to = next(ln for ln in head[1:] if ln.split(":", 1)[0].strip().lower() == "to")
                reply = "\r\n".join(["SIP/2.0 486 Busy Here"] + keep + [to + ";tag=rawphone", "Content-Length: 0", "", ""])
                phone.sendto(reply.encode(), source)
        rc = caller.wait()
    assert invite is not None, "the phone that registered again was never called (still treated as unreachable)"
    finals = rc.received_finals()
    assert finals and finals[-1] == 486, "caller got %s, want the phone's 486:\n%s" % (finals, rc.report())
