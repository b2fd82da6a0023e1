"""Free ports for the servers and peers the tests start, outside the kernel's ephemeral port range.

A port found by binding to port 0 lies in the ephemeral range (32768-60999 by default): between the
moment the test releases it and the moment the server binds it, any client socket of the run (SIPp,
an AMI client, the browser) may take it as its own source port, and the server's start fails with
"Address already in use". Ports are therefore drawn at random from POOL, which lies below that range
and apart from the RTP ranges the suites give their servers (20000 and up), each checked free for TCP
and UDP (and the ports after it that a caller says it needs) and never handed out twice in one run.
"""
from __future__ import annotations

import random
import socket
import threading
from typing import List

POOL = range(12000, 20000)

_lock = threading.Lock()
_handed_out: set = set()


def _bindable(ip: str, port: int) -> bool:
    socks = []
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            socks.append(s)
            s.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_ports(n: int, ip: str = "127.0.0.1", even: bool = False, span: int = 1) -> List[int]:
    """n distinct ports free for TCP and UDP on ip, each with the `span - 1` ports after it (and port+1
    when even=True: an RTP/RTCP pair)."""
    span = max(span, 2 if even else 1)
    ports: List[int] = []
    with _lock:
        for _ in range(len(POOL) * 4):
            if len(ports) == n:
                break
            port = random.randrange(POOL.start, POOL.stop - span + 1)
            if even:
                port -= port % 2
            wanted = tuple(range(port, port + span))
            if any(p in _handed_out for p in wanted) or not all(_bindable(ip, p) for p in wanted):
                continue
            _handed_out.update(wanted)
            ports.append(port)
        if len(ports) < n:
            raise RuntimeError("no %d free ports left in %d-%d" % (n, POOL.start, POOL.stop - 1))
    return ports


def free_port(ip: str = "127.0.0.1") -> int:
    return free_ports(1, ip)[0]


def wait_for_port(port: int, process, timeout: float = 60) -> None:
    """Waits until 127.0.0.1:port accepts TCP connections; fails at once when `process` exits."""
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"port {port} did not open")
