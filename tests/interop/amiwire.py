"""Raw-socket AMI helpers for the interop tests.

Everything here works on bytes so that tests can compare exactly what the
server sends.  All reads have deadlines; nothing sleeps for a fixed time.
"""

from __future__ import annotations

import socket
import time
from typing import Dict, List, Optional, Sequence, Tuple

CRLF = b"\r\n"
TERM = b"\r\n\r\n"
BANNER = b"Asterisk Call Manager/9.0.0\r\n"

DEFAULT_TIMEOUT = 5.0


class AMIError(AssertionError):
    """Raised when the server does not answer as expected (in time)."""


def build(headers: Sequence[Tuple[str, str]] | Dict[str, str], eol: bytes = CRLF) -> bytes:
    """Serialise one action: ``Key: Value`` lines, then an empty line."""
    items = headers.items() if isinstance(headers, dict) else headers
    out = b"".join(f"{k}: {v}".encode() + eol for k, v in items)
    return out + eol


def parse(message: bytes) -> List[Tuple[str, str]]:
    """Parse one message (without its terminator) into (key, value) pairs.

    The value keeps its trailing whitespace; only the single space after the
    colon is dropped (the server always writes ``Key: Value``)."""
    pairs = []
    for line in message.split(CRLF):
        if not line:
            continue
        key, sep, value = line.decode("utf-8", "replace").partition(":")
        if not sep:
            pairs.append((key, ""))
            continue
        if value.startswith(" "):
            value = value[1:]
        pairs.append((key, value))
    return pairs


def first(pairs: List[Tuple[str, str]], key: str) -> Optional[str]:
    for k, v in pairs:
        if k.lower() == key.lower():
            return v
    return None


class AMIConn:
    """A blocking AMI connection with deadline-based reads."""

    def __init__(self, port: int, host: str = "127.0.0.1", source: Optional[str] = None,
                 rcvbuf: Optional[int] = None, timeout: float = DEFAULT_TIMEOUT,
                 read_banner: bool = True):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source is not None:
            self.sock.bind((source, 0))
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.buf = b""
        self.raw = b""          # every byte received, in order
        self.eof = False
        self.banner = None
        if read_banner:
            self.banner = self.read_line(timeout)

    # -- low level -------------------------------------------------------
    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, deadline: float) -> bool:
        """Receive once. Returns False on EOF/reset, raises AMIError on timeout."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AMIError("timed out waiting for data; buffered so far: %r" % self.buf[-2000:])
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            raise AMIError("timed out waiting for data; buffered so far: %r" % self.buf[-2000:])
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        self.raw += chunk
        return True

    def read_line(self, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        deadline = time.monotonic() + timeout
        while CRLF not in self.buf:
            if not self._fill(deadline):
                raise AMIError("EOF before a full line; got %r" % self.buf)
        line, _, self.buf = self.buf.partition(CRLF)
        return line + CRLF

    def read_message(self, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """One message including its terminating empty line."""
        deadline = time.monotonic() + timeout
        while TERM not in self.buf:
            if not self._fill(deadline):
                raise AMIError("EOF before a full message; got %r" % self.buf)
        msg, _, self.buf = self.buf.partition(TERM)
        return msg + TERM

    def read_pairs(self, timeout: float = DEFAULT_TIMEOUT) -> List[Tuple[str, str]]:
        return parse(self.read_message(timeout))

    def read_until_eof(self, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """Read until the server closes; returns the bytes read meanwhile."""
        deadline = time.monotonic() + timeout
        while self._fill(deadline):
            pass
        rest, self.buf = self.buf, b""
        return rest

    def expect_eof(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        rest = self.read_until_eof(timeout)
        assert rest == b"", "expected the server to close, but it also sent %r" % rest

    def read_response(self, action_id: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT,
                      ) -> bytes:
        """Next message starting with ``Response:`` (events are skipped);
        if action_id is given, the response must carry it."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read_message(max(0.0, deadline - time.monotonic()))
            if msg.startswith(b"Response:"):
                if action_id is not None:
                    got = first(parse(msg), "ActionID")
                    assert got == action_id, "response for ActionID %r expected, got %r" % (action_id, msg)
                return msg

    def read_event(self, name: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT,
                   predicate=None) -> List[Tuple[str, str]]:
        """Next event (optionally named / matching predicate); others are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read_message(max(0.0, deadline - time.monotonic()))
            if not msg.startswith(b"Event:"):
                continue
            pairs = parse(msg)
            if name is not None and first(pairs, "Event") != name:
                continue
            if predicate is not None and not predicate(pairs):
                continue
            return pairs

    def action(self, headers, timeout: float = DEFAULT_TIMEOUT) -> bytes:
        """Send an action and return its response message (bytes)."""
        self.send(build(headers))
        aid = None
        items = headers.items() if isinstance(headers, dict) else headers
        for k, v in items:
            if k.lower() == "actionid":
                aid = v
                break
        return self.read_response(aid, timeout)

    def login(self, username: str, secret: str, events: Optional[str] = None,
              action_id: str = "login", timeout: float = DEFAULT_TIMEOUT) -> bytes:
        hdrs = [("Action", "Login"), ("Username", username), ("Secret", secret)]
        if events is not None:
            hdrs.append(("Events", events))
        hdrs.append(("ActionID", action_id))
        return self.action(hdrs, timeout)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def ok_login(username: str, action_id: str = "login") -> bytes:
    return (b"Response: Success\r\nActionID: " + action_id.encode()
            + b"\r\nMessage: Authentication accepted\r\n\r\n")


def failed_login(action_id: str = "login") -> bytes:
    return (b"Response: Error\r\nActionID: " + action_id.encode()
            + b"\r\nMessage: Authentication failed\r\n\r\n")


def login_conn(port: int, username: str, secret: str, events: Optional[str] = None,
               source: Optional[str] = None, rcvbuf: Optional[int] = None) -> AMIConn:
    """Connect and log in; asserts success."""
    conn = AMIConn(port, source=source, rcvbuf=rcvbuf)
    assert conn.banner == BANNER, conn.banner
    resp = conn.login(username, secret, events=events)
    assert resp == ok_login(username), "login of %s failed: %r" % (username, resp)
    return conn
