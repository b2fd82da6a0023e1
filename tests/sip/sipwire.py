"""A small, independent SIP client for the registrar tests: builds requests, sends them over UDP or
TCP on loopback, parses responses and answers digest challenges (MD5 and SHA-256, qop=auth).

It is deliberately simple (one transaction at a time) and written from RFC 3261 / RFC 7616, not from
Centralino's code, so it is a second opinion next to SIPp and the real phones.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

COMPACT = {"i": "call-id", "f": "from", "t": "to", "v": "via", "m": "contact", "l": "content-length",
           "c": "content-type", "k": "supported", "s": "subject", "e": "content-encoding",
           "o": "event", "u": "allow-events", "r": "refer-to", "b": "referred-by", "x": "session-expires"}


def canon(name: str) -> str:
    n = name.strip().lower()
    return COMPACT.get(n, n)


def split_commas(value: str) -> List[str]:
    """Split a header value on commas that are outside quotes and <...>."""
    out, cur, q, ang = [], [], False, False
    for ch in value:
        if ch == '"' and not ang:
            q = not q
        elif ch == "<" and not q:
            ang = True
        elif ch == ">" and not q:
            ang = False
        if ch == "," and not q and not ang:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


@dataclass
class Message:
    start: str
    headers: List[Tuple[str, str]]
    body: bytes = b""
    raw: bytes = b""

    @property
    def is_response(self) -> bool:
        return self.start.startswith("SIP/2.0 ")

    @property
    def status(self) -> int:
        return int(self.start.split(" ", 2)[1]) if self.is_response else 0

    @property
    def reason(self) -> str:
        parts = self.start.split(" ", 2)
        return parts[2] if len(parts) > 2 else ""

    @property
    def method(self) -> str:
        return "" if self.is_response else self.start.split(" ", 1)[0]

    def get(self, name: str) -> Optional[str]:
        n = canon(name)
        for k, v in self.headers:
            if canon(k) == n:
                return v
        return None

    def get_all(self, name: str) -> List[str]:
        """All values of a header, multi-valued headers split on commas (not for WWW-Authenticate)."""
        n = canon(name)
        vals: List[str] = []
        for k, v in self.headers:
            if canon(k) == n:
                vals += split_commas(v) if n not in ("www-authenticate", "authorization",
                                                      "proxy-authenticate") else [v]
        return vals

    def header_names(self) -> List[str]:
        return [canon(k) for k, _ in self.headers]

    def contacts(self) -> List["Contact"]:
        return [Contact.parse(c) for c in self.get_all("contact")]

    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")


@dataclass
class Contact:
    uri: str
    params: Dict[str, str] = field(default_factory=dict)
    raw: str = ""

    @staticmethod
    def parse(value: str) -> "Contact":
        v = value.strip()
        if v == "*":
            return Contact("*", {}, v)
        m = re.match(r'^(?:"[^"]*"\s*|[^<]*)?<([^>]*)>(.*)$', v)
        if m:
            uri, rest = m.group(1), m.group(2)
        else:
            uri, _, rest = v.partition(";")
            rest = ";" + rest if rest else ""
        params = {}
        for p in rest.split(";"):
            p = p.strip()
            if not p:
                continue
            k, _, val = p.partition("=")
            params[k.strip().lower()] = val.strip().strip('"')
        return Contact(uri.strip(), params, v)

    @property
    def expires(self) -> Optional[int]:
        e = self.params.get("expires")
        return int(e) if e is not None and e.isdigit() else None


def parse_message(data: bytes) -> Message:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    lines = re.split(r"\r?\n", head.decode("utf-8", "replace"))
    headers: List[Tuple[str, str]] = []
    for ln in lines[1:]:
        if ln[:1] in (" ", "\t") and headers:
            k, v = headers[-1]
            headers[-1] = (k, v + " " + ln.strip())
            continue
        k, _, v = ln.partition(":")
        headers.append((k.strip(), v.strip()))
    return Message(lines[0].strip(), headers, body, data)


def parse_auth_params(value: str) -> Dict[str, str]:
    """Parameters of a 'Digest k=v, k="v"' header value (keys lower-cased)."""
    v = value.strip()
    if v.lower().startswith("digest"):
        v = v[6:]
    out = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)', v):
        out[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return out


def _h(alg: str, s: str) -> str:
    a = alg.upper()
    if a in ("MD5", "MD5-SESS"):
        return hashlib.md5(s.encode()).hexdigest()
    if a in ("SHA-256", "SHA-256-SESS"):
        return hashlib.sha256(s.encode()).hexdigest()
    raise ValueError("unsupported digest algorithm %r" % alg)


def digest_authorization(challenge: Dict[str, str], method: str, uri: str, username: str,
                         password: str, nc: int = 1, cnonce: Optional[str] = None) -> str:
    alg = challenge.get("algorithm", "MD5")
    realm, nonce = challenge["realm"], challenge["nonce"]
    ha1 = _h(alg, f"{username}:{realm}:{password}")
    ha2 = _h(alg, f"{method}:{uri}")
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    parts = [f'username="{username}"', f'realm="{realm}"', f'nonce="{nonce}"', f'uri="{uri}"']
    if "auth" in qops:
        cnonce = cnonce or uuid.uuid4().hex[:16]
        ncs = "%08x" % nc
        resp = _h(alg, f"{ha1}:{nonce}:{ncs}:{cnonce}:auth:{ha2}")
        parts += [f'response="{resp}"', f"algorithm={alg}", f'cnonce="{cnonce}"', "qop=auth", f"nc={ncs}"]
    else:
        resp = _h(alg, f"{ha1}:{nonce}:{ha2}")
        parts += [f'response="{resp}"', f"algorithm={alg}"]
    if "opaque" in challenge:
        parts.append(f'opaque="{challenge["opaque"]}"')
    return "Digest " + ", ".join(parts)


class SipError(AssertionError):
    pass


class SipClient:
    """One socket (UDP or a TCP connection) to the server; transactions one at a time."""

    def __init__(self, server_port: int, transport: str = "udp", server_ip: str = "127.0.0.1",
                 local_ip: str = "127.0.0.1", local_port: int = 0):
        self.server = (server_ip, server_port)
        self.transport = transport.lower()
        if self.transport == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((local_ip, local_port))
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.bind((local_ip, local_port))
            self.sock.settimeout(5)
            self.sock.connect(self.server)
        self.local = self.sock.getsockname()
        self._buf = b""
        self.call_id = uuid.uuid4().hex + "@sipwire"
        self.from_tag = uuid.uuid4().hex[:10]
        self.cseq = 0
        self.log: List[str] = []   # every message sent and received, for failure reports

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- raw I/O ----------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        self.log.append(">>> sent\n" + data.decode("utf-8", "replace"))
        if self.transport == "udp":
            self.sock.sendto(data, self.server)
        else:
            self.sock.sendall(data)

    def recv_message(self, timeout: float) -> Optional[Message]:
        deadline = time.monotonic() + timeout
        if self.transport == "udp":
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.sock.settimeout(left)
                try:
                    data, _ = self.sock.recvfrom(65535)
                except socket.timeout:
                    return None
                if data.strip():
                    msg = parse_message(data)
                    self.log.append("<<< received\n" + msg.text())
                    return msg
        while True:
            m = self._take_tcp_message()
            if m is not None:
                self.log.append("<<< received\n" + m.text())
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65535)
            except socket.timeout:
                return None
            except OSError:
                return None
            if not chunk:
                return None
            self._buf += chunk

    def _take_tcp_message(self) -> Optional[Message]:
        self._buf = self._buf.lstrip(b"\r\n")
        i = self._buf.find(b"\r\n\r\n")
        if i < 0:
            return None
        head = self._buf[:i]
        m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", head)
        n = int(m.group(1)) if m else 0
        if len(self._buf) < i + 4 + n:
            return None
        data, self._buf = self._buf[:i + 4 + n], self._buf[i + 4 + n:]
        return parse_message(data)

    # -- requests ---------------------------------------------------------

    def build(self, method: str, ruri: str, headers: Sequence[Tuple[str, str]], body: bytes = b"",
              branch: Optional[str] = None) -> bytes:
        branch = branch or "z9hG4bK" + uuid.uuid4().hex[:16]
        proto = "UDP" if self.transport == "udp" else "TCP"
        lines = [f"{method} {ruri} SIP/2.0",
                 f"Via: SIP/2.0/{proto} {self.local[0]}:{self.local[1]};branch={branch};rport"]
        lines += [f"{k}: {v}" for k, v in headers]
        lines += [f"Content-Length: {len(body)}", "", ""]
        return "\r\n".join(lines).encode() + body

    def transaction(self, data: bytes, timeout: float = 8.0) -> Message:
        """Send a request and return its final response (1xx skipped). UDP retransmits per Timer E."""
        self.send_raw(data)
        deadline = time.monotonic() + timeout
        interval = 0.5
        next_retx = time.monotonic() + interval
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise SipError("no final response within %.1fs; transcript:\n%s"
                               % (timeout, "\n".join(self.log[-6:])))
            wait = min(deadline, next_retx) - now if self.transport == "udp" else deadline - now
            msg = self.recv_message(max(wait, 0.01))
            if msg is None:
                if self.transport == "udp" and time.monotonic() >= next_retx:
                    self.send_raw(data)
                    interval = min(interval * 2, 4.0)
                    next_retx = time.monotonic() + interval
                continue
            if not msg.is_response:
                continue   # e.g. a qualify OPTIONS; not ours to answer here
            if 100 <= msg.status < 200:
                continue
            return msg

    def request(self, method: str, ruri: str, to: str, from_: Optional[str] = None,
                extra: Sequence[Tuple[str, str]] = (), body: bytes = b"",
                timeout: float = 8.0) -> Message:
        self.cseq += 1
        hdrs = [("Max-Forwards", "70"),
                ("From", f"<{from_ or to}>;tag={self.from_tag}"),
                ("To", f"<{to}>"),
                ("Call-ID", self.call_id),
                ("CSeq", f"{self.cseq} {method}")] + list(extra)
        return self.transaction(self.build(method, ruri, hdrs, body), timeout)

    def register(self, user: str, password: Optional[str], domain: str, *,
                 contacts: Sequence[str] = (), expires: Optional[int] = None,
                 ruri: Optional[str] = None, algorithm: str = "MD5",
                 auth_user: Optional[str] = None, extra: Sequence[Tuple[str, str]] = (),
                 timeout: float = 8.0) -> Tuple[Message, Message]:
        """REGISTER, answer a 401 with digest (chosen algorithm) and return (first, final) responses.
        If the first response is not a 401 (or password is None) both are the same message."""
        aor = f"sip:{user}@{domain}"
        ruri = ruri or f"sip:{domain}"
        hdrs: List[Tuple[str, str]] = [("Contact", c) for c in contacts]
        if expires is not None:
            hdrs.append(("Expires", str(expires)))
        hdrs += list(extra)
        first = self.request("REGISTER", ruri, aor, extra=hdrs, timeout=timeout)
        if first.status != 401 or password is None:
            return first, first
        chal = pick_challenge(first, algorithm)
        auth = digest_authorization(chal, "REGISTER", ruri, auth_user or user, password)
        final = self.request("REGISTER", ruri, aor, extra=hdrs + [("Authorization", auth)],
                             timeout=timeout)
        return first, final


def pick_challenge(resp: Message, algorithm: str = "MD5") -> Dict[str, str]:
    chals = [parse_auth_params(v) for v in resp.get_all("www-authenticate")]
    if not chals:
        raise SipError("401 without WWW-Authenticate:\n" + resp.text())
    for c in chals:
        if c.get("algorithm", "MD5").upper() == algorithm.upper():
            return c
    raise SipError("no %s challenge in:\n%s" % (algorithm, resp.text()))


def udp_exchange(server_port: int, data: bytes, timeout: float = 3.0,
                 local_ip: str = "127.0.0.1") -> Optional[Message]:
    """Send one raw datagram and return the first message that comes back (or None)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((local_ip, 0))
        s.sendto(data, ("127.0.0.1", server_port))
        s.settimeout(timeout)
        try:
            d, _ = s.recvfrom(65535)
        except socket.timeout:
            return None
        return parse_message(d)
    finally:
        s.close()


def local_udp_port(sock_ip: str = "127.0.0.1") -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sock_ip, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false", "no")
