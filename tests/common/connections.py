"""Whether the server closed a client connection, for the tests of connection caps and idle timeouts."""

from __future__ import annotations

import errno
import select
import socket


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
