"""Client connections for the tests of connection caps and idle timeouts: whether the server closed
one, waiting for the server to close them, and connecting again once it has freed a slot."""

from __future__ import annotations

import errno
import select
import socket
import time
from typing import Callable, Tuple, Type, TypeVar

T = TypeVar("T")


def is_closed(s: socket.socket) -> bool:
    """True when the server closed (EOF or reset); False while the connection is open and silent.
    `s` is non-blocking."""
    readable, _, _ = select.select([s], [], [], 0)
    if not readable:
        return False
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError as error:
        return error.errno in (errno.ECONNRESET, errno.EPIPE, errno.ENOTCONN)


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    """Polls `predicate` until it holds or `timeout` seconds have passed; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def retry(connect: Callable[[], T], errors: Tuple[Type[BaseException], ...], timeout: float = 5.0) -> T:
    """`connect()` again while it raises one of `errors`, for up to `timeout` seconds: the server frees a
    connection slot only once it has seen the close, so a connection made at once may be refused."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return connect()
        except errors:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
