"""Server control, SIPp phones/trunks, RTP peers and AMI helpers for the calls / click-to-call suite.

Everything runs on loopback; every external process and every wait is bounded by a timeout; waits
poll instead of sleeping for fixed times. Each runner keeps what the peer saw so that a failing test
can show what was sent and what came back.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
import server as common  # noqa: E402  (the suites' one server runner)
from ports import free_ports  # noqa: E402,F401  (outside the ephemeral port range)
from server import centralino_bin, tail  # noqa: E402,F401  (tests import them from here)
from connections import wait_until  # noqa: E402,F401  (tests import it from here)
from sipp_trace import sipp_blocks as _sipp_blocks  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SCENARIOS = HERE / "scenarios"

TENANT_A_UUID = "7d2c0e2a-1111-4222-8333-444455556666"   # the uuid of the reference transcripts
TENANT_B_UUID = "9e4f1a3b-5555-4666-8777-888899990000"
DOMAIN_A = "acme.test"
DOMAIN_B = "globex.test"
DOMAIN_C = "initech.test"          # a tenant whose trunk demands digest auth (407)
TENANT_C_UUID = "3c5d7e9f-aaaa-4bbb-8ccc-dddddddddddd"
TRUNK_C_USER, TRUNK_C_PASSWORD, TRUNK_C_REALM = "initech-trunk", "trunkS3cret", "carrier.example"

# extension passwords by (domain, number)
PASSWORDS: Dict[Tuple[str, str], str] = {}
for _n in ("100", "101", "102"):
    PASSWORDS[(DOMAIN_A, _n)] = "pwA" + _n
    PASSWORDS[(DOMAIN_B, _n)] = "pwB" + _n
PASSWORDS[(DOMAIN_C, "100")] = "pwC100"
CONCURRENT_AGENTS = [str(n) for n in range(200, 220)]
for _n in CONCURRENT_AGENTS:
    PASSWORDS[(DOMAIN_A, _n)] = "pwA" + _n

AMI_USERS = {
    # username: (secret, tenant domain)
    "crm": ("s3cret", DOMAIN_A),          # read=call write=call,originate (as the reference 'crm')
    "monitor": ("m0nitor", DOMAIN_A),     # read=all write=all
    "crm_b": ("s3cretB", DOMAIN_B),
    "monitor_b": ("m0nitorB", DOMAIN_B),
}


def provisioning_yaml(trunk_a: int, trunk_b: int, trunk_c: int) -> str:
    def exts(dom):
        return "\n".join('      - { number: "%s", name: "Ext %s", password: "%s" }' % (n, n, pw)
                         for (d, n), pw in sorted(PASSWORDS.items()) if d == dom)
    return f"""\
tenants:
  - name: acme
    uuid: {TENANT_A_UUID}
    domain: {DOMAIN_A}
    extensions:
{exts(DOMAIN_A)}
    trunks:
      - {{ name: carrier, host: 127.0.0.1, port: {trunk_a} }}
    outbound_routes:
      - {{ prefix: "0", trunk: carrier, strip: 1 }}
    ami_users:
      - {{ username: crm, password: s3cret, permit: ["127.0.0.0/8"], read: call, write: "call,originate" }}
      - {{ username: monitor, password: m0nitor, permit: ["127.0.0.0/8"], read: all, write: all }}
  - name: globex
    uuid: {TENANT_B_UUID}
    domain: {DOMAIN_B}
    extensions:
{exts(DOMAIN_B)}
    trunks:
      - {{ name: carrier, host: 127.0.0.1, port: {trunk_b} }}
    outbound_routes:
      - {{ prefix: "0", trunk: carrier, strip: 1 }}
    ami_users:
      - {{ username: crm_b, password: s3cretB, permit: ["127.0.0.0/8"], read: call, write: "call,originate" }}
      - {{ username: monitor_b, password: m0nitorB, permit: ["127.0.0.0/8"], read: all, write: all }}
  - name: initech
    uuid: {TENANT_C_UUID}
    domain: {DOMAIN_C}
    extensions:
{exts(DOMAIN_C)}
    trunks:
      - {{ name: carrier, host: 127.0.0.1, port: {trunk_c}, username: {TRUNK_C_USER}, password: {TRUNK_C_PASSWORD} }}
    outbound_routes:
      - {{ prefix: "0", trunk: carrier, strip: 1 }}
"""


# -- Centralino --------------------------------------------------------------

# RTP ranges below the kernel's ephemeral ports (32768-60999 by default), so no client socket of the
# test run can hold one: 2000-port slots in 20000-31999, handed out in turn.
_RTP_SLOTS = [20000 + 2000 * i for i in range(6)]
_rtp_slot = [0]


class Server(common.Server):
    """The suite's server: the tenants of provisioning_yaml() with a trunk port each, a private RTP range,
    debug logs, lockouts off, qualify every hour; `extra_args` come last (the last of a flag wins)."""

    def __init__(self, workdir: Path, name: str = "server", extra_args: Sequence[str] = ()):
        self.trunk_a, self.trunk_b, self.trunk_c = free_ports(3)
        self.rtp_low = _RTP_SLOTS[_rtp_slot[0] % len(_RTP_SLOTS)]
        self.rtp_high = self.rtp_low + 1999
        _rtp_slot[0] += 1
        self.registered: Dict[Tuple[str, str], int] = {}
        super().__init__(workdir, name=name, log_level="debug",
                         yaml_text=provisioning_yaml(self.trunk_a, self.trunk_b, self.trunk_c),
                         extra_args=["--rtp-ports", "%d-%d" % (self.rtp_low, self.rtp_high),
                                     "--sip-qualify-interval", "3600",
                                     "--sip-lockout-failures", "100000",
                                     "--ami-lockout-failures", "100000",
                                     "--ami-auth-delay-ms", "100"] + list(extra_args))

    def trunk_port(self, domain: str) -> int:
        return {DOMAIN_A: self.trunk_a, DOMAIN_B: self.trunk_b, DOMAIN_C: self.trunk_c}[domain]


def pbx_fixture(name: str, *extra_args: str):
    """A test module's own `pbx` fixture: a Server with these flags for the module's tests."""

    @pytest.fixture(scope="module")
    def pbx(tmp_path_factory):
        srv = Server(tmp_path_factory.mktemp("pbx"), name=name, extra_args=extra_args)
        yield srv
        srv.stop()

    return pbx


# -- SIPp ----------------------------------------------------------------------

@dataclass
class SipMsg:
    direction: str
    text: str

    @property
    def start(self) -> str:
        return self.text.split("\n", 1)[0]

    @property
    def is_response(self) -> bool:
        return self.start.startswith("SIP/2.0 ")

    @property
    def status(self) -> int:
        return int(self.start.split()[1]) if self.is_response else 0

    @property
    def method(self) -> str:
        if self.is_response:
            m = re.search(r"(?mi)^CSeq:\s*\d+\s+(\w+)", self.text)
            return m.group(1).upper() if m else ""
        return self.start.split()[0]

    @property
    def ruri(self) -> str:
        return "" if self.is_response else self.start.split()[1]

    def header(self, name: str) -> Optional[str]:
        short = {"from": "f", "to": "t", "call-id": "i", "contact": "m", "via": "v",
                 "content-type": "c", "content-length": "l"}.get(name.lower())
        for ln in self.text.split("\n"):
            if not ln.strip():
                break
            k, sep, v = ln.partition(":")
            if sep and (k.strip().lower() == name.lower() or (short and k.strip().lower() == short)):
                return v.strip()
        return None

    @property
    def body(self) -> str:
        parts = re.split(r"\n\s*\n", self.text, maxsplit=1)
        return parts[1] if len(parts) > 1 else ""


@dataclass
class SippResult:
    cmd: List[str]
    returncode: Optional[int]
    stdout: str
    stderr: str
    messages: str
    logs: str
    errors: str
    stats: str = ""

    def msgs(self) -> List[SipMsg]:
        return [SipMsg(d, t) for d, t in _sipp_blocks(self.messages)]

    def received(self) -> List[SipMsg]:
        return [m for m in self.msgs() if m.direction == "received"]

    def sent(self) -> List[SipMsg]:
        return [m for m in self.msgs() if m.direction == "sent"]

    def received_requests(self, method: str) -> List[SipMsg]:
        return [m for m in self.received() if not m.is_response and m.method == method]

    def received_finals(self, method: str = "INVITE") -> List[int]:
        return [m.status for m in self.received() if m.is_response and m.method == method
                and m.status >= 200]

    def stat(self, name: str) -> Optional[int]:
        """A counter from SIPp's screen (e.g. 'Successful call', 'Failed call')."""
        m = re.findall(r"%s\s*\|\s*\d+\s*\|\s*(\d+)" % re.escape(name), self.stats)
        return int(m[-1]) if m else None

    def report(self) -> str:
        return ("sipp cmd: %s\nexit: %s\n--- stdout/stderr:\n%s\n%s\n--- errors log:\n%s\n"
                "--- log actions:\n%s\n--- messages (-trace_msg):\n%s"
                % (" ".join(self.cmd), self.returncode, tail(self.stdout, 30), tail(self.stderr, 30),
                   tail(self.errors, 40), tail(self.logs, 20), tail(self.messages, 200)))


def uas_scenario(workdir: Path, kind: str, ring: Optional[int] = 500, hold: int = 1000, code: int = 486,
                 reason: str = "Busy Here", end: str = "wait", wait: int = 30000) -> str:
    """Write a UAS scenario from a template: kind answer (end wait = wait for BYE, end bye = send
    BYE after hold ms), reject (code/reason after 180 + ring ms, or at once without 180 when ring is None) or noanswer (ring until CANCEL)."""
    text = (SCENARIOS / ("uas_%s.xml.tmpl" % kind)).read_text()
    if end == "wait":
        end_xml = """  <recv request="BYE" timeout="%d"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>""" % wait
        end_desc = "waits for BYE"
    else:
        end_xml = """  <pause milliseconds="%d"/>
  <send retrans="500">
    <![CDATA[
      BYE [$rt1][$rt2] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$remote_to];tag=[pid]SIPpTag01[call_number]
      To: [$remote_from]
      Call-ID: [call_id]
      CSeq: 1 BYE
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>""" % hold
        end_desc = "hangs up (BYE) after %d ms" % hold
    if kind == "reject" and ring is None:
        ringing, ring_desc = "", "at once, without 180"
    else:
        ringing = """  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
    ]]>
  </send>
  <pause milliseconds="%d"/>
""" % (ring or 0)
        ring_desc = "after 180 and %s ms of ringing" % ring
    text = (text.replace("{{RINGING}}", ringing).replace("{{RING_DESC}}", ring_desc)
            .replace("{{RING}}", str(ring)).replace("{{END}}", end_xml)
            .replace("{{END_DESC}}", end_desc).replace("{{CODE}}", str(code))
            .replace("{{REASON}}", reason).replace("{{WAIT}}", str(wait)))
    workdir.mkdir(parents=True, exist_ok=True)
    tag = re.sub(r"[^A-Za-z0-9]+", "-", reason)
    out = workdir / ("uas_%s_%s_%s_%d_%d_%s_%d.xml" % (kind, end, ring, hold, code, tag, wait))
    # Tests start a SIPp on a scenario and ask for the same one again at once: never truncate a file a
    # SIPp may be reading (it would read an empty scenario and exit); write a new one and rename it.
    if not (out.exists() and out.read_text() == text):
        fd, tmp = tempfile.mkstemp(dir=workdir, prefix=out.name + ".", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, out)
    return str(out)


_sipp_counter = [0]


class Sipp:
    """A SIPp process (client or server mode) in the background; wait() collects its traces."""

    def __init__(self, scenario_file: str, workdir: Path, *, local_port: int,
                 remote: Optional[str] = None, calls: int = 1, timeout: float = 20.0,
                 service: Optional[str] = None, auth: Optional[Tuple[str, str]] = None,
                 keys: Optional[Dict[str, str]] = None, rate: Optional[float] = None,
                 limit: Optional[int] = None, pause_ms: Optional[int] = None,
                 inf: Optional[Path] = None, extra: Sequence[str] = (), tag: str = "sipp"):
        workdir.mkdir(parents=True, exist_ok=True)
        _sipp_counter[0] += 1
        base = workdir / ("%s_%d" % (tag, _sipp_counter[0]))
        self.msg_f, self.log_f, self.err_f, self.scr_f = (
            Path(str(base) + s) for s in ("_messages.log", "_logs.log", "_errors.log", "_screen.log"))
        self.tag = tag
        cmd = ["sipp", "-sf", scenario_file]
        if remote:
            cmd.append(remote)
        # SIPp binds four media sockets from -mp: audio RTP and RTCP, then video RTP and RTCP (+2, +3),
        # whether the scenario has media or not; all four must be free and kept from other servers.
        mp = free_ports(1, even=True, span=4)[0]
        cmd += ["-i", "127.0.0.1", "-p", str(local_port), "-mp", str(mp), "-bind_local", "-t", "u1",
                "-m", str(calls), "-nostdin", "-timeout", "%ds" % int(math.ceil(timeout)),
                "-timeout_error", "-max_recv_loops", "1000",
                "-trace_msg", "-message_file", str(self.msg_f), "-trace_logs", "-log_file",
                str(self.log_f), "-trace_err", "-error_file", str(self.err_f),
                "-trace_screen", "-screen_file", str(self.scr_f)]
        if service:
            cmd += ["-s", service]
        if auth:
            cmd += ["-au", auth[0], "-ap", auth[1]]
        if rate is not None:
            cmd += ["-r", str(rate)]
        if limit is not None:
            cmd += ["-l", str(limit)]
        if pause_ms is not None:
            cmd += ["-d", str(pause_ms)]
        if inf is not None:
            cmd += ["-inf", str(inf)]
        k = {"expires": "3600", "rtp_port": str(free_ports(1, even=True)[0])}
        k.update(keys or {})
        for kk, vv in k.items():
            cmd += ["-key", kk, str(vv)]
        cmd += list(extra)
        self.cmd = cmd
        self.timeout = timeout
        self.result: Optional[SippResult] = None
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, cwd=str(workdir), text=True,
                                     start_new_session=True)

    def done(self) -> bool:
        return self.proc.poll() is not None

    def messages_so_far(self) -> List[SipMsg]:
        try:
            text = self.msg_f.read_text(errors="replace")
        except OSError:
            return []
        return [SipMsg(d, t) for d, t in _sipp_blocks(text)]

    def wait_for_message(self, pred: Callable[[SipMsg], bool], timeout: float) -> Optional[SipMsg]:
        """Poll the live -trace_msg file for a message matching pred."""
        deadline = time.monotonic() + timeout
        while True:
            for m in self.messages_so_far():
                if pred(m):
                    return m
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def wait(self, timeout: Optional[float] = None) -> SippResult:
        if self.result is not None:
            return self.result
        try:
            out, err = self.proc.communicate(timeout=(timeout if timeout is not None else self.timeout + 10))
            rc = self.proc.returncode
        except subprocess.TimeoutExpired:
            self.kill_group()
            out, err = self.proc.communicate(timeout=5)
            rc = None
            err = "KILLED by the test after its timeout\n" + (err or "")

        def rd(f: Path) -> str:
            try:
                return f.read_text(errors="replace")
            except OSError:
                return ""
        self.result = SippResult(self.cmd, rc, out or "", err or "", rd(self.msg_f), rd(self.log_f),
                                 rd(self.err_f), rd(self.scr_f))
        return self.result

    def kill_group(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self) -> SippResult:
        """Stop early (SIGTERM to its own process group) and collect what it saw."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        return self.wait(5)


# -- RTP -----------------------------------------------------------------------

@dataclass
class RtpPacket:
    t: float
    src: Tuple[str, int]
    pt: int
    seq: int
    ts: int
    ssrc: int
    marker: bool
    payload: bytes


class RtpPeer:
    """A tiny RTP endpoint on 127.0.0.1:port: records every packet it receives and, when started,
    sends 20 ms PCMU packets (payload filled with `fill`) to the address it learns from the SDP."""

    def __init__(self, port: Optional[int] = None):
        self.port = port if port is not None else free_ports(1, even=True)[0]
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.settimeout(0.1)
        self.packets: List[RtpPacket] = []
        self.sent = 0
        self._stop = threading.Event()
        self._send_to: Optional[Tuple[str, int]] = None
        self._fill = b"\x00"
        self._rx = threading.Thread(target=self._recv_loop, daemon=True)
        self._rx.start()
        self._tx: Optional[threading.Thread] = None

    def _recv_loop(self) -> None:
        while not self._stop.is_set():
            try:
                data, src = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(data) < 12 or data[0] >> 6 != 2:
                continue
            cc = data[0] & 0x0F
            hdr = 12 + 4 * cc
            pt = data[1] & 0x7F
            seq, ts, ssrc = struct.unpack("!HII", data[2:12])
            self.packets.append(RtpPacket(time.monotonic(), src, pt, seq, ts, ssrc,
                                          bool(data[1] & 0x80), data[hdr:]))

    def start_sending(self, dest: Tuple[str, int], fill: bytes, pt: int = 0) -> None:
        self._send_to = dest
        self._fill = fill

        def loop():
            seq, ts, ssrc = 1000, 0, 0x1234ABCD ^ self.port
            nxt = time.monotonic()
            while not self._stop.is_set():
                pkt = struct.pack("!BBHII", 0x80, pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + self._fill * (160 // len(self._fill))
                try:
                    self.sock.sendto(pkt, self._send_to)
                    self.sent += 1
                except OSError:
                    pass
                seq += 1
                ts += 160
                nxt += 0.02
                time.sleep(max(0.0, nxt - time.monotonic()))
        self._tx = threading.Thread(target=loop, daemon=True)
        self._tx.start()

    def received_with(self, fill: bytes, since: float = 0.0) -> List[RtpPacket]:
        return [p for p in self.packets if p.t >= since and p.payload and
                p.payload == fill * (len(p.payload) // len(fill))]

    def close(self) -> None:
        self._stop.set()
        if self._tx:
            self._tx.join(1)
        self._rx.join(1)
        self.sock.close()


def ulaw_decode(b: int) -> int:
    b = ~b & 0xFF
    sign, exponent, mantissa = b & 0x80, (b >> 4) & 0x07, b & 0x0F
    sample = ((mantissa << 3) + 0x84) << exponent
    sample -= 0x84
    return -sample if sign else sample


_ULAW = [ulaw_decode(i) for i in range(256)]


def tone_power(samples: List[int], freq: float, rate: int = 8000) -> float:
    """Goertzel power of one frequency, normalised by the signal energy (0..1-ish)."""
    if not samples:
        return 0.0
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    p = s1 * s1 + s2 * s2 - k * s1 * s2
    energy = sum(x * x for x in samples) * len(samples) / 2
    return p / energy if energy else 0.0


def pcmu_samples(payloads: Sequence[bytes]) -> List[int]:
    out: List[int] = []
    for p in payloads:
        out.extend(_ULAW[b] for b in p)
    return out


# -- SDP -----------------------------------------------------------------------

def sdp_media(body: str) -> Tuple[Optional[str], Optional[int], List[str]]:
    """(connection address, audio port, payload types) of an SDP body."""
    c = re.search(r"(?m)^c=IN IP4 (\S+)", body)
    m = re.search(r"(?m)^m=audio (\d+) RTP/AVP ([\d ]+)", body)
    return (c.group(1) if c else None, int(m.group(1)) if m else None,
            m.group(2).split() if m else [])


# -- AMI -------------------------------------------------------------------------

CRLF = b"\r\n"
TERM = b"\r\n\r\n"


def parse_message(message: bytes) -> List[Tuple[str, str]]:
    pairs = []
    for line in message.split(CRLF):
        if not line:
            continue
        key, sep, value = line.decode("utf-8", "replace").partition(":")
        if value.startswith(" "):
            value = value[1:]
        pairs.append((key, value))
    return pairs


class Msg:
    """One AMI message: ordered (key, value) pairs plus case-insensitive lookup."""

    def __init__(self, pairs: List[Tuple[str, str]], t: float = 0.0, raw: bytes = b""):
        self.pairs = pairs
        self.t = t
        self.raw = raw

    def get(self, key: str, default=None):
        for k, v in self.pairs:
            if k.lower() == key.lower():
                return v
        return default

    __getitem__ = lambda self, k: self.get(k)

    @property
    def keys(self) -> List[str]:
        return [k for k, _ in self.pairs]

    @property
    def event(self) -> Optional[str]:
        return self.get("Event")

    def __repr__(self):
        return "<%s>" % " | ".join("%s: %s" % kv for kv in self.pairs)


class AMIRecorder:
    """A raw-socket AMI session that logs in and records every message it receives (a thread)."""

    def __init__(self, port: int, username: str, secret: str, events: Optional[str] = None,
                 timeout: float = 5.0, host: str = "127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.messages: List[Msg] = []
        self.raw = b""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.banner = self._read_line(timeout)
        login = [("Action", "Login"), ("Username", username), ("Secret", secret)]
        if events is not None:
            login.append(("Events", events))
        login.append(("ActionID", "rec-login"))
        self.send(login)
        deadline = time.monotonic() + timeout
        while TERM not in self.buf:
            self._fill(deadline)
        first, _, self.buf = self.buf.partition(TERM)
        self.login_response = Msg(parse_message(first))
        if self.login_response.get("Response") != "Success":
            raise AssertionError("login of %s failed: %r" % (username, self.login_response))
        self.sock.settimeout(0.1)
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    def _fill(self, deadline: float) -> None:
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = self.sock.recv(65536)
        if not chunk:
            raise AssertionError("AMI connection closed; buffered %r" % self.buf)
        self.buf += chunk
        self.raw += chunk

    def _read_line(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while CRLF not in self.buf:
            self._fill(deadline)
        line, _, self.buf = self.buf.partition(CRLF)
        return line

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            if not chunk:
                return
            now = time.monotonic()
            self.raw += chunk
            self.buf += chunk
            while TERM in self.buf:
                m, _, self.buf = self.buf.partition(TERM)
                with self._lock:
                    self.messages.append(Msg(parse_message(m), now, m + TERM))

    def send(self, headers: Sequence[Tuple[str, str]]) -> None:
        self.sock.sendall(b"".join(("%s: %s" % kv).encode() + CRLF for kv in headers) + CRLF)

    def mark(self) -> int:
        with self._lock:
            return len(self.messages)

    def since(self, mark: int = 0) -> List[Msg]:
        with self._lock:
            return list(self.messages[mark:])

    def events(self, mark: int = 0, name: Optional[str] = None) -> List[Msg]:
        return [m for m in self.since(mark) if m.event and (name is None or m.event == name)]

    def wait_for(self, pred: Callable[[Msg], bool], timeout: float, mark: int = 0) -> Optional[Msg]:
        deadline = time.monotonic() + timeout
        while True:
            for m in self.since(mark):
                if pred(m):
                    return m
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)

    def action(self, headers: Sequence[Tuple[str, str]], timeout: float = 5.0) -> List[Msg]:
        """Send an action with a fresh ActionID; returns the response and, for lists, every message
        with that ActionID up to the one with EventList: Complete."""
        aid = "act-%d-%d" % (os.getpid(), int(time.monotonic() * 1e6))
        mark = self.mark()
        self.send(list(headers) + [("ActionID", aid)])
        deadline = time.monotonic() + timeout
        while True:
            got = [m for m in self.since(mark) if m.get("ActionID") == aid]
            if got:
                first = got[0]
                is_list = (first.get("EventList") == "start" or
                           "will follow" in (first.get("Message") or ""))
                if not is_list or any(m.get("EventList") == "Complete" for m in got[1:]):
                    return got
            if time.monotonic() > deadline:
                raise AssertionError("no (complete) response to %r within %.1fs; got %r"
                                     % (headers, timeout, got))
            time.sleep(0.02)

    def close(self) -> None:
        self._stop.set()
        try:
            self.sock.close()
        except OSError:
            pass
        self._t.join(1)


def channels_now(rec: AMIRecorder) -> List[Msg]:
    """CoreShowChannels as the recorder's user: the CoreShowChannel entries."""
    msgs = rec.action([("Action", "CoreShowChannels")])
    return [m for m in msgs if m.event == "CoreShowChannel"]


def no_channels_left(mon: AMIRecorder) -> None:
    assert wait_until(lambda: not channels_now(mon), 5, 0.2), "channels left: %s" % [
        c.get("Channel") for c in channels_now(mon)]


def hangups(mon: AMIRecorder, mark: int, prefix: str) -> List[Msg]:
    """The Hangup events since `mark` of channels whose name starts with `prefix`."""
    return [e for e in mon.events(mark, "Hangup") if (e.get("Channel") or "").startswith(prefix)]


def register_phone(pbx, workdir: Path, ext: str, domain: str = DOMAIN_A) -> int:
    """Registers `ext@domain` once from a new local port with SIPp (digest with its password); the port."""
    port = free_ports(1)[0]
    csv = workdir / ("users_%d.csv" % port)
    csv.write_text("SEQUENTIAL\n%s;[authentication username=%s password=%s];%s\n" % (ext, ext, PASSWORDS[(domain, ext)], domain))
    res = Sipp(str(SCENARIOS / "register.xml"), workdir, local_port=port, remote="127.0.0.1:%d" % pbx.sip_port,
               calls=1, inf=csv, timeout=15, tag="register").wait()
    assert res.returncode == 0, res.report()
    return port


def sipp_ok(res: SippResult, what: str) -> None:
    assert res.returncode == 0, "%s: SIPp exit %s (0 = its scenario completed)\n%s" % (
        what, res.returncode, res.report())


# -- panoramisk Originate ----------------------------------------------------------

def c2c_variables_form(agent: str, number: str, tenant_uuid: Optional[str] = TENANT_A_UUID,
                       timeout_ms: int = 10000, cid_num: Optional[str] = None) -> Dict[str, object]:
    act: Dict[str, object] = {
        "Action": "Originate", "Async": "true", "Channel": "Local/%s@c2c" % agent,
        "Context": "from_c2c", "Exten": number,
        "CallerId": '"c2c: %s" <%s>' % (number, cid_num or number), "Timeout": str(timeout_ms),
        "Priority": "1"}
    variables = ["C2C_SRC=%s" % agent, "C2C_DST=%s" % number]
    if tenant_uuid is not None:
        variables.append("__TENANT_UUID=%s" % tenant_uuid)
    act["Variable"] = variables
    return act


def c2c_wrapper_form(agent: str, number: str, tenant_uuid: str = TENANT_A_UUID,
                     timeout_ms: int = 10000) -> Dict[str, object]:
    return {"Action": "Originate", "Async": "true", "Channel": "Local/%s@c2c_%s" % (agent, tenant_uuid),
            "Context": "from_c2c_%s" % tenant_uuid, "Exten": number,
            "CallerId": '"c2c: %s" <%s>' % (number, agent), "Timeout": str(timeout_ms),
            "Priority": "1"}


class PanoramiskOriginate:
    """Runs one Originate through panoramisk in its own thread and event loop. panoramisk resolves an
    async Originate's future on the OriginateResponse that carries the same ActionID; result() gives
    the list of messages [queued response, OriginateResponse] (or the single error response)."""

    def __init__(self, port: int, username: str, secret: str, action: Dict[str, object],
                 timeout: float = 30.0):
        self.port, self.username, self.secret = port, username, secret
        self.action = dict(action)
        self.timeout = timeout
        self._result = None
        self._error: Optional[BaseException] = None
        self.action_id: Optional[str] = None
        self._done = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        try:
            self._result = asyncio.run(asyncio.wait_for(self._go(), self.timeout))
        except BaseException as e:   # reported by result()
            self._error = e
        finally:
            self._done.set()

    async def _go(self):
        from panoramisk import Manager
        from panoramisk.actions import Action
        loop = asyncio.get_running_loop()
        logged = loop.create_future()
        mgr = Manager(host="127.0.0.1", port=self.port, username=self.username, secret=self.secret,
                      events="on", loop=loop, ping_delay=600, reconnect_timeout=600)
        mgr.on_login = lambda m: logged.done() or logged.set_result(True)
        await mgr.connect()
        try:
            await asyncio.wait_for(logged, 5)
            act = Action(self.action)
            self.action_id = act.id
            res = await mgr.send_action(act)
            return res if isinstance(res, list) else [res]
        finally:
            mgr.close()

    def done(self) -> bool:
        return self._done.is_set()

    def result(self, timeout: Optional[float] = None):
        if not self._done.wait(timeout if timeout is not None else self.timeout + 5):
            raise AssertionError("panoramisk Originate still running after %.0fs" % self.timeout)
        if self._error is not None:
            raise AssertionError("panoramisk Originate failed: %r" % (self._error,))
        return self._result


def final_originate_message(res) -> Dict[str, str]:
    """The OriginateResponse (or error response) as a plain dict."""
    last = res[-1]
    return {k: v for k, v in last.items()}


def originate_many(port: int, username: str, secret: str, actions: Sequence[Dict[str, object]],
                   timeout: float = 30.0):
    """Send several Originates at once over one panoramisk connection; returns, per action, the list
    panoramisk resolved (queued response + OriginateResponse) or the exception it raised."""
    async def go():
        from panoramisk import Manager
        from panoramisk.actions import Action
        loop = asyncio.get_running_loop()
        logged = loop.create_future()
        mgr = Manager(host="127.0.0.1", port=port, username=username, secret=secret, events="on",
                      loop=loop, ping_delay=600, reconnect_timeout=600)
        mgr.on_login = lambda m: logged.done() or logged.set_result(True)
        await mgr.connect()
        try:
            await asyncio.wait_for(logged, 5)
            acts = [Action(dict(a)) for a in actions]
            futs = [mgr.send_action(a) for a in acts]
            res = await asyncio.gather(*futs, return_exceptions=True)
            return [(a.id, r if isinstance(r, (list, BaseException)) else [r]) for a, r in zip(acts, res)]
        finally:
            mgr.close()
    return asyncio.run(asyncio.wait_for(go(), timeout))
