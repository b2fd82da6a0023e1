"""Two real softphones (pjsua2, null audio device, VAD off) through Centralino: 101 auto-answers, 100
calls it, they talk a few seconds, the caller hangs up. Each phone reports its RTP stream statistics
(`peers/pj_call_phone.py` prints `STATS rx=.. tx=..`), which must show audio both ways through
Centralino's relay.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List, Optional

import calltools as ct
from calltools import DOMAIN_A, PASSWORDS

PHONE = Path(__file__).resolve().parent / "peers" / "pj_call_phone.py"
MIN_PACKETS = 50          # 1 s of 20 ms frames; after ~4 s of talk each side should be near 200
STATS_RE = re.compile(r"^STATS (?:final )?rx=(\d+) tx=(\d+)")


class PjPhone:
    """One pj_call_phone.py process; a thread collects its stdout lines (with their arrival time)."""

    def __init__(self, workdir: Path, server: ct.Server, ext: str, *args: str, timeout: float = 30.0):
        self.ext = ext
        sip_port = ct.free_ports(1)[0]
        rtp_port = ct.free_ports(1, even=True)[0]
        self.cmd = [sys.executable, str(PHONE), ext, PASSWORDS[(DOMAIN_A, ext)],
                    "127.0.0.1:%d" % server.sip_port, "--domain", DOMAIN_A, "--sip-port", str(sip_port),
                    "--rtp-port", str(rtp_port), "--timeout", str(timeout), "--log-messages"] + list(args)
        self.timeout = timeout
        self.lines: List[str] = []
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=str(workdir), text=True,
                                     errors="replace", start_new_session=True)
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self) -> None:
        for line in iter(self.proc.stdout.readline, ""):
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def snapshot(self) -> List[str]:
        with self._lock:
            return list(self.lines)

    def events(self) -> List[str]:
        """The phone's own report lines (not pjsip's LOG lines)."""
        return [ln for ln in self.snapshot() if not ln.startswith("LOG ")]

    def wait_line(self, pattern: str, timeout: float) -> Optional[re.Match]:
        rx = re.compile(pattern)
        found: List[re.Match] = []

        def seen():
            for ln in self.events():
                m = rx.search(ln)
                if m:
                    found.append(m)
                    return True
            return False
        ct.wait_until(seen, timeout, 0.05)
        return found[0] if found else None

    def stats_lines(self):
        return [(int(m.group(1)), int(m.group(2)), ln) for ln in self.events()
                for m in [STATS_RE.match(ln)] if m]

    def wait(self, timeout: Optional[float] = None) -> Optional[int]:
        try:
            self.proc.wait(timeout if timeout is not None else self.timeout + 10)
        except subprocess.TimeoutExpired:
            self.kill()
        self._t.join(2)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            import os
            import signal
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)

    def report(self) -> str:
        return "cmd: %s\nexit: %s\n%s" % (" ".join(self.cmd), self.proc.returncode,
                                           ct.tail("\n".join(self.snapshot()), 400))


def test_real_phones_exchange_audio(pbx, peers, recorders):
    mon = recorders("monitor")
    mark = mon.mark()
    callee = caller = None
    try:
        callee = PjPhone(peers.workdir, pbx, "101", "--answer", timeout=30)
        m = callee.wait_line(r"^REG code=(\d+)", 10)
        assert m and m.group(1) == "200", "pjsua2 phone 101 did not register:\n%s" % callee.report()

        caller = PjPhone(peers.workdir, pbx, "100", "--call", "101", "--talk", "4", timeout=25)
        m = caller.wait_line(r"^REG code=(\d+)", 10)
        assert m and m.group(1) == "200", "pjsua2 phone 100 did not register:\n%s" % caller.report()

        assert caller.wait_line(r"^CALL state=CONFIRMED", 10), (
            "100 -> 101 did not connect\n--- caller:\n%s\n--- callee:\n%s" % (caller.report(), callee.report()))
        assert callee.wait_line(r"^CALL state=CONFIRMED", 5), "callee never confirmed:\n%s" % callee.report()

        # the caller hangs up by itself after 4 s of talk; both calls must end
        assert caller.wait_line(r"^HANGUP", 10), "caller never hung up:\n%s" % caller.report()
        c_end = caller.wait_line(r"^CALL state=DISCONNECTED", 5)
        e_end = callee.wait_line(r"^CALL state=DISCONNECTED", 5)
        caller_rc, callee_rc = caller.wait(15), callee.wait(15)

        c_stats, e_stats = caller.stats_lines(), callee.stats_lines()
        final = [s for s in c_stats if "final" in s[2]]
        assert final, "caller printed no final STATS before hanging up:\n%s" % caller.report()
        c_rx, c_tx, _ = final[-1]
        assert e_stats, "callee printed no STATS while connected:\n%s" % callee.report()
        e_rx, e_tx, _ = e_stats[-1]     # its last report before the BYE reached it
        summary = ("caller 100: rx=%d tx=%d; callee 101: rx=%d tx=%d (RTP packets)"
                   % (c_rx, c_tx, e_rx, e_tx))
        assert c_tx > MIN_PACKETS and e_tx > MIN_PACKETS, (
            "a phone did not send RTP (VAD off, null device; want > %d each): %s\n--- caller:\n%s\n"
            "--- callee:\n%s" % (MIN_PACKETS, summary, caller.report(), callee.report()))
        assert c_rx > MIN_PACKETS and e_rx > MIN_PACKETS, (
            "audio did not flow both ways through Centralino's relay (want > %d received each): %s\n"
            "--- caller:\n%s\n--- callee:\n%s" % (MIN_PACKETS, summary, caller.report(), callee.report()))

        assert c_end, "the caller's call did not end after its BYE:\n%s" % caller.report()
        assert e_end, "the callee's call did not end (no BYE relayed?):\n%s" % callee.report()
        assert caller_rc == 0 and callee_rc == 0, (
            "phone exit codes caller %s callee %s\n--- caller:\n%s\n--- callee:\n%s"
            % (caller_rc, callee_rc, caller.report(), callee.report()))

        # AMI: the two legs hung up with normal clearing, nothing left
        def hangups():
            return {h.get("Channel"): h for h in mon.events(mark, "Hangup")
                    if re.match(r"PJSIP/10[01]-", h.get("Channel") or "")}
        ct.wait_until(lambda: {n.split("-")[0] for n in hangups()} >= {"PJSIP/100", "PJSIP/101"}, 5)
        hs = hangups()
        answered = [h for n, h in hs.items() if h.get("Cause") == "16"]
        assert {n.split("-")[0] for n in hs} >= {"PJSIP/100", "PJSIP/101"} and len(answered) >= 2, (
            "AMI Hangup of both legs with Cause 16 expected: %s" % hs)
        left = []
        assert ct.wait_until(lambda: not left.__setitem__(slice(None), ct.channels_now(mon)) and not left,
                             5, 0.2), "channels left: %s" % [c.get("Channel") for c in left]
    finally:
        for title, ph in (("pjsua2 caller 100", caller), ("pjsua2 callee 101", callee)):
            if ph is not None:
                ph.wait(15)
                peers.log(title, ph.report())
