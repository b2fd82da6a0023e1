"""A tiny authoritative DNS responder over UDP on a local port, for tests of Centralino's RFC 3263
lookups (``serve --dns-server 127.0.0.1:PORT``). Standard library only: it reads the question of
each query and answers from a dict of SRV and A records; any other name gets NXDOMAIN. Every query
is recorded (name, type) so tests can check what was asked."""

from __future__ import annotations

import socket
import struct
import threading
from typing import Dict, List, Tuple

TYPE_A, TYPE_SRV = 1, 33


def _name(text: str) -> bytes:
    return b"".join(bytes([len(label)]) + label.encode() for label in text.rstrip(".").split(".")) + b"\0"


class DNSResponder:
    def __init__(self, srv: Dict[str, List[Tuple[int, int, int, str]]], a: Dict[str, str], ttl: int = 300):
        self.srv = {k.lower(): v for k, v in srv.items()}
        self.a = {k.lower(): v for k, v in a.items()}
        self.ttl = ttl
        # Names answered with a malformed reply: an answer whose name is a compression pointer to itself.
        self.hostile: set = set()
        self.queries: List[Tuple[str, int]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.sock.close()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                reply = self._answer(data)
            except (IndexError, struct.error, UnicodeDecodeError):
                continue
            try:
                self.sock.sendto(reply, peer)
            except OSError:
                return

    def _answer(self, query: bytes) -> bytes:
        qid, _flags, qdcount = struct.unpack("!HHH", query[:6])
        pos, labels = 12, []
        while query[pos]:
            n = query[pos]
            labels.append(query[pos + 1:pos + 1 + n].decode())
            pos += 1 + n
        qtype = struct.unpack("!H", query[pos + 1:pos + 3])[0]
        question = query[12:pos + 5]
        name = ".".join(labels).lower()
        self.queries.append((name, qtype))
        answers = []
        if name in self.hostile:
            start = 12 + len(question)
            loop = bytes([0xC0 | (start >> 8), start & 0xFF]) + struct.pack("!HHIH", qtype, 1, self.ttl, 0)
            return struct.pack("!HHHHHH", qid, 0x8580, 1, 1, 0, 0) + question + loop
        if qtype == TYPE_SRV and name in self.srv:
            for prio, weight, port, target in self.srv[name]:
                rdata = struct.pack("!HHH", prio, weight, port) + _name(target)
                answers.append(b"\xc0\x0c" + struct.pack("!HHIH", TYPE_SRV, 1, self.ttl, len(rdata)) + rdata)
        elif qtype == TYPE_A and name in self.a:
            rdata = socket.inet_aton(self.a[name])
            answers.append(b"\xc0\x0c" + struct.pack("!HHIH", TYPE_A, 1, self.ttl, len(rdata)) + rdata)
        known = name in self.srv or name in self.a
        rcode = 0 if known else 3
        flags = 0x8400 | 0x0100 | 0x0080 | rcode   # QR AA RD RA
        return struct.pack("!HHHHHH", qid, flags, 1, len(answers), 0, 0) + question + b"".join(answers)
