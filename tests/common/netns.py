"""A network namespace of the test's own, entered by the calling thread (so every process the test
starts afterwards, Centralino and its peers, runs inside it), plus nftables rules in it.

Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN). When a namespace cannot be made the test FAILS: the
reliability tests must not silently turn into skips. `ip` (iproute2) and `nft` (nftables) are
installed with apt-get when missing."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import subprocess
import threading
import uuid
from typing import Iterator, List

import pytest

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def ensure_tools() -> None:
    """apt-get install iproute2 and nftables when `ip` or `nft` is missing."""
    missing = [pkg for tool, pkg in (("ip", "iproute2"), ("nft", "nftables")) if shutil.which(tool) is None]
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=False, env=env, timeout=300)
    res = subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing,
                         capture_output=True, text=True, env=env, timeout=600)
    if res.returncode != 0 or shutil.which("ip") is None or shutil.which("nft") is None:
        pytest.fail("cannot install %s: %s" % (" ".join(missing), res.stderr[-2000:]), pytrace=False)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: %s" % os.strerror(err))


class Namespace:
    def __init__(self, name: str):
        self.name = name

    def nft(self, script: str) -> None:
        """Runs an nft script inside the namespace (the caller is already in it)."""
        res = subprocess.run(["nft", "-f", "-"], input=script, capture_output=True, text=True, timeout=20)
        if res.returncode != 0:
            raise RuntimeError("nft failed (%d): %s\nscript:\n%s" % (res.returncode, res.stderr, script))

    def nft_list(self) -> str:
        return subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True, timeout=20).stdout


@contextlib.contextmanager
def network_namespace(prefix: str = "ctest") -> Iterator[Namespace]:
    """Creates `ip netns` NAME with lo up, moves the calling thread into it, yields, then moves back
    and deletes the namespace (with every nftables rule in it)."""
    ensure_tools()
    name = "%s-%s" % (prefix, uuid.uuid4().hex[:8])
    res = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True, timeout=20)
    if res.returncode != 0:
        pytest.fail("cannot create a network namespace (the test needs root): %s" % res.stderr.strip(), pytrace=False)
    try:
        with entered(name):
            up = subprocess.run(["ip", "link", "set", "lo", "up"], capture_output=True, text=True, timeout=20)
            if up.returncode != 0:
                pytest.fail("cannot bring lo up in %s: %s" % (name, up.stderr.strip()), pytrace=False)
            yield Namespace(name)
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=20)


def _gettid() -> int:
    return threading.get_native_id()


def processes_in(name: str) -> List[int]:
    res = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True, timeout=20)
    return [int(p) for p in res.stdout.split()]


@contextlib.contextmanager
def entered(name: str) -> Iterator[None]:
    """Moves the calling thread into the existing namespace `name` (an `ip netns` name) and back:
    sockets made and processes started meanwhile belong to it."""
    original = os.open("/proc/self/task/%d/ns/net" % _gettid(), os.O_RDONLY)
    try:
        target = os.open("/run/netns/%s" % name, os.O_RDONLY)
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            yield
        finally:
            _setns(original)
    finally:
        os.close(original)


class BridgedHosts:
    """Hosts (network namespaces) on one Ethernet segment: a bridge in a namespace of its own and a veth
    pair per host (`eth0` in the host, with `<subnet>.<n>/24`). `host(name)` is the namespace's name,
    `ip(name)` its address, `exec_prefix(name)` the `ip netns exec` words that run a command there."""

    def __init__(self, prefix: str, hosts: "dict[str, int]", subnet: str):
        self.prefix = prefix
        self.subnet = subnet
        self.addresses = {name: "%s.%d" % (subnet, n) for name, n in hosts.items()}
        self.names = {name: "%s-%s" % (prefix, name) for name in hosts}
        self.switch = "%s-sw" % prefix
        self.made: List[str] = []

    def host(self, name: str) -> str:
        return self.names[name]

    def ip(self, name: str) -> str:
        return self.addresses[name]

    def exec_prefix(self, name: str) -> List[str]:
        return ["ip", "netns", "exec", self.names[name]]

    def _ip(self, *args: str) -> None:
        res = subprocess.run(["ip"] + list(args), capture_output=True, text=True, timeout=20)
        if res.returncode != 0:
            raise RuntimeError("ip %s failed: %s" % (" ".join(args), res.stderr.strip()))

    def create(self) -> None:
        for ns in [self.switch] + list(self.names.values()):
            res = subprocess.run(["ip", "netns", "add", ns], capture_output=True, text=True, timeout=20)
            if res.returncode != 0:
                pytest.fail("cannot create a network namespace (the test needs root): %s" % res.stderr.strip(),
                            pytrace=False)
            self.made.append(ns)
            self._ip("-n", ns, "link", "set", "lo", "up")
        self._ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        self._ip("-n", self.switch, "link", "set", "br0", "up")
        for index, (name, ns) in enumerate(self.names.items()):
            port = "p%d" % index
            self._ip("-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
            self._ip("-n", self.switch, "link", "set", port, "master", "br0", "up")
            self._ip("-n", ns, "addr", "add", "%s/24" % self.addresses[name], "dev", "eth0")
            self._ip("-n", ns, "link", "set", "eth0", "up")

    def destroy(self) -> None:
        """Kills what still runs in the hosts (processes the test started there) and deletes them."""
        for ns in reversed(self.made):
            for pid in processes_in(ns):
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)
        self.made = []


@contextlib.contextmanager
def bridged_hosts(prefix: str, hosts: "dict[str, int]", subnet: str) -> Iterator[BridgedHosts]:
    """`BridgedHosts` created, yielded, and removed (with every process left in them) even on failure."""
    ensure_tools()
    topo = BridgedHosts(prefix, hosts, subnet)
    try:
        topo.create()
        yield topo
    finally:
        topo.destroy()
