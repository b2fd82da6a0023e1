"""Fixtures for the calls / click-to-call real-peer suite.

``pbx`` is one shared server (two tenants, acme and globex, with the same extension numbers, a SIPp
trunk port each, AMI users crm/monitor and crm_b/monitor_b). ``phones`` registers an extension with
SIPp once per server (fixed contact port per extension) and starts SIPp UAS scenarios on that port;
``trunk`` starts a SIPp UAS on the tenant's trunk port. Every SIPp started by a test is stopped and
its traces attached to the report when the test fails, with the server's log written during the test.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

import calltools as ct
from calltools import DOMAIN_A, PASSWORDS, Server, Sipp
from server import peer_log, pytest_runtest_makereport, pytest_runtest_protocol  # noqa: F401  (reports)


@pytest.fixture(scope="session", autouse=True)
def _tools_present():
    if shutil.which("sipp") is None:
        pytest.fail("sipp is not installed (see tests/sip/install-peers.sh)", pytrace=False)


# One server per test module, so registrations made by one module never reach another's tests.
pbx = ct.pbx_fixture("main")


class Peers:
    """Registers extensions and runs SIPp peers for one test."""

    def __init__(self, server: Server, workdir: Path, log):
        self.server = server
        self.workdir = workdir
        self.log = log
        self.procs: List[Tuple[str, Sipp]] = []

    # registration: one contact port per (domain, ext) for the server's life
    def register(self, exts: List[str], domain: str = DOMAIN_A, port: Optional[int] = None) -> int:
        """Register extensions (all with Contact at one port); returns that port."""
        key = (domain, tuple(exts))
        cached = self.server.registered.get(key)
        if cached is not None and port is None:
            return cached
        port = port or ct.free_ports(1)[0]
        csv = self.workdir / ("users_%d.csv" % port)
        csv.write_text("SEQUENTIAL\n" + "".join("%s;[authentication username=%s password=%s];%s\n"
                                                 % (e, e, PASSWORDS[(domain, e)], domain)
                                                 for e in exts))
        reg = Sipp(str(ct.SCENARIOS / "register.xml"), self.workdir, local_port=port,
                   remote="127.0.0.1:%d" % self.server.sip_port, calls=len(exts), inf=csv,
                   timeout=15, tag="register", extra=["-r", "50"])
        res = reg.wait()
        self.log("register %s@%s on port %d" % (",".join(exts), domain, port), res.report())
        assert res.returncode == 0, "REGISTER of %s@%s failed (SIPp exit %s)\n%s" % (
            exts, domain, res.returncode, res.report())
        self.server.registered[key] = port
        return port

    def phone(self, ext: str, scenario: str, domain: str = DOMAIN_A, calls: int = 1,
              timeout: float = 25, keys: Optional[Dict[str, str]] = None, name: Optional[str] = None,
              port: Optional[int] = None) -> Sipp:
        """A SIPp UAS acting as registered extension `ext` (registering it first if needed)."""
        port = port or self.register([ext], domain)
        p = Sipp(scenario, self.workdir, local_port=port, calls=calls, timeout=timeout, keys=keys,
                 tag=name or ("phone%s" % ext))
        self.procs.append((name or "phone %s@%s" % (ext, domain), p))
        return p

    def trunk(self, scenario: str, domain: str = DOMAIN_A, calls: int = 1, timeout: float = 25,
              keys: Optional[Dict[str, str]] = None) -> Sipp:
        p = Sipp(scenario, self.workdir, local_port=self.server.trunk_port(domain), calls=calls,
                 timeout=timeout, keys=keys, tag="trunk_" + domain.split(".")[0])
        self.procs.append(("trunk of %s" % domain, p))
        return p

    def caller(self, ext: str, dialled: str, scenario: str, domain: str = DOMAIN_A,
               pause_ms: int = 1000, timeout: float = 25, keys: Optional[Dict[str, str]] = None,
               calls: int = 1, extra=()) -> Sipp:
        k = {"caller": ext, "domain": domain}
        k.update(keys or {})
        p = Sipp(scenario, self.workdir, local_port=ct.free_ports(1)[0],
                 remote="127.0.0.1:%d" % self.server.sip_port, calls=calls, timeout=timeout,
                 service=dialled, auth=(ext, PASSWORDS[(domain, ext)]), keys=k, pause_ms=pause_ms,
                 tag="caller%s" % ext, extra=extra)
        self.procs.append(("caller %s@%s -> %s" % (ext, domain, dialled), p))
        return p

    def finish(self) -> None:
        for title, p in self.procs:
            res = p.stop() if not p.done() else p.wait()
            self.log(title, res.report())


def hang_up_leftovers(server: Server, log) -> None:
    """After a test (peers stopped): hang up whatever channels a failed test left behind, so that the
    next test starts from an idle PBX. Tests that care assert "no channel left" themselves, before."""
    for user in ("monitor", "monitor_b"):
        try:
            rec = ct.AMIRecorder(server.ami_port, user, ct.AMI_USERS[user][0], events="off")
        except Exception as e:   # the server may be dead; the report shows that
            log("cleanup", "cannot log in as %s: %r" % (user, e))
            return
        try:
            left = [m.get("Channel") for m in ct.channels_now(rec)]
            for ch in left:
                rec.action([("Action", "Hangup"), ("Channel", ch)])
            if left:
                log("cleanup", "hung up channels left by the test (%s): %s" % (user, left))
                ct.wait_until(lambda: not ct.channels_now(rec), 5, 0.2)
        finally:
            rec.close()


@pytest.fixture
def peers(pbx, tmp_path, peer_log):
    pr = Peers(pbx, tmp_path, peer_log)
    yield pr
    pr.finish()
    hang_up_leftovers(pbx, peer_log)


@pytest.fixture
def recorders(pbx):
    """Factory for raw AMI recorders (closed at the end of the test)."""
    made = []

    def _make(user: str, events: Optional[str] = None) -> ct.AMIRecorder:
        secret = ct.AMI_USERS[user][0]
        r = ct.AMIRecorder(pbx.ami_port, user, secret, events=events)
        made.append(r)
        return r

    yield _make
    for r in made:
        r.close()
