"""NAT keep-alives against the real binary, with raw sockets.

- SIP over TCP: a client's RFC 5626 §4.4.1 "ping" (CRLFCRLF) is answered with a "pong" (CRLF) and the
  connection keeps serving SIP.
- SIP over UDP: every registered contact gets a CRLFCRLF datagram every `--sip-keepalive-interval`
  seconds (1 in this module's server), which holds its NAT binding open.
"""

from __future__ import annotations

import socket
import struct
import time

import calltools as ct

KEEPALIVE_INTERVAL = 1    # --sip-keepalive-interval of this module's server
# Linux's SO_TIMESTAMPNS (also its control message type), which Python's socket module may not name
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


pbx = ct.pbx_fixture("keepalive", "--sip-keepalive-interval", str(KEEPALIVE_INTERVAL))


def recv_until(sock: socket.socket, predicate, timeout: float) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while not predicate(data) and time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return data


def options(port: int, local: str) -> bytes:
    return ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/TCP %s;branch=z9hG4bK-ka-%d\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=ka\r\nTo: <sip:127.0.0.1:%d>\r\n"
            "Call-ID: ka-%d@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            % (port, local, time.monotonic_ns(), port, time.monotonic_ns())).encode()


def test_tcp_crlfcrlf_ping_gets_crlf_pong(pbx):
    with socket.create_connection(("127.0.0.1", pbx.sip_port), timeout=5) as s:
        local = "%s:%d" % s.getsockname()
        # A message first (a connection that never sent one is only kept for the setup timeout).
        s.sendall(options(pbx.sip_port, local))
        first = recv_until(s, lambda d: b"\r\n\r\n" in d, 5)
        assert first.startswith(b"SIP/2.0 200"), first
        for _ in range(2):
            s.sendall(b"\r\n\r\n")
            pong = recv_until(s, lambda d: len(d) >= 2, 3)
            assert pong == b"\r\n", "a CRLFCRLF ping must get exactly a CRLF pong (RFC 5626 §4.4.1), got %r" % pong
        # A ping split across two segments is one ping.
        s.sendall(b"\r\n")
        time.sleep(0.2)
        s.sendall(b"\r\n")
        pong = recv_until(s, lambda d: len(d) >= 2, 3)
        assert pong == b"\r\n", pong
        # The connection still serves SIP.
        s.sendall(options(pbx.sip_port, local))
        again = recv_until(s, lambda d: b"\r\n\r\n" in d, 5)
        assert again.startswith(b"SIP/2.0 200"), again


def test_udp_contacts_get_crlf_keepalives(pbx, peers):
    port = peers.register(["102"])     # SIPp registers 102 from this port and exits
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", port))
        s.settimeout(0.2)
        # each datagram's arrival time from the kernel (SO_TIMESTAMPNS), so that a stalled reader does not
        # see two keep-alives come at once
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        keepalives, others = [], []
        deadline = time.monotonic() + 6 * KEEPALIVE_INTERVAL + 2
        while len(keepalives) < 3 and time.monotonic() < deadline:
            try:
                data, ancillary, _, source = s.recvmsg(65536, 256)
            except socket.timeout:
                continue
            arrival = next((struct.unpack("qq", payload[:16]) for level, kind, payload in ancillary
                            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS), None)
            assert arrival is not None, "no SO_TIMESTAMPNS arrival time with the datagram: %r" % (ancillary,)
            (keepalives if data == b"\r\n\r\n" else others).append((arrival[0] + arrival[1] / 1e9, source))
    assert len(keepalives) >= 3, ("the registered UDP contact got %d CRLFCRLF keep-alives in %d s with "
                                  "--sip-keepalive-interval %d (other datagrams: %d)"
                                  % (len(keepalives), 6 * KEEPALIVE_INTERVAL + 2, KEEPALIVE_INTERVAL, len(others)))
    assert all(src == ("127.0.0.1", pbx.sip_port) for _, src in keepalives), (
        "keep-alives must come from the SIP port (the NAT binding's other end): %s" % keepalives)
    gaps = [b[0] - a[0] for a, b in zip(keepalives, keepalives[1:])]
    assert all(0.3 <= g <= 4 * KEEPALIVE_INTERVAL for g in gaps), "keep-alive gaps (s): %s" % gaps
