"""Fixtures for the cluster suite: a private PostgreSQL, the SIP edge (Kamailio with
deploy/kamailio/kamailio.cfg) in front of one Centralino node, and SIPp peers.

PostgreSQL 15 (Debian) runs from a fresh data directory in a temporary directory on a free port,
with trust authentication on 127.0.0.1 only. PostgreSQL refuses to run as root, so when the tests run
as root (CI) initdb, pg_ctl and the server run as the Debian `postgres` user (created by the
`postgresql-common` package; tests/cluster/install.sh installs it) through `runuser`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Tuple

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests" / "common"))
sys.path.insert(0, str(REPO_ROOT / "tests" / "calls"))
sys.path.insert(0, str(REPO_ROOT / "tests" / "sip"))

import calltools as ct  # noqa: E402
from server import peer_log, pytest_runtest_makereport, pytest_runtest_protocol  # noqa: E402,F401

KAMAILIO_CFG = REPO_ROOT / "deploy" / "kamailio" / "kamailio.cfg"
SCHEMA_SQL = REPO_ROOT / "deploy" / "kamailio" / "schema.sql"
DB_USER = "centralino"
DB_NAME = "centralino"


def pg_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        pytest.fail("PostgreSQL server binaries not found (see tests/cluster/install.sh)", pytrace=False)
    return Path(found[-1]).parent


class Postgres:
    """A private PostgreSQL server (stopped and removed at the end of the session)."""

    def __init__(self):
        self.bindir = pg_bindir()
        self.base = Path(tempfile.mkdtemp(prefix="centralino-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"
        self.port = ct.free_ports(1)[0]
        self.as_user: List[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", DB_USER, "--auth=trust",
                   "-E", "UTF8", "--no-locale", "--no-sync"])
        self.start()
        self.psql("CREATE DATABASE %s" % DB_NAME, db="postgres")

    def start(self) -> None:
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
                   "-o", "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off" % (self.port, self.base),
                   "start"])

    def halt(self) -> None:
        """Stops the server (fast: open connections are closed), keeping its data for start()."""
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def _run(self, cmd: List[str]) -> str:
        res = subprocess.run(self.as_user + cmd, capture_output=True, text=True, timeout=60, cwd=str(self.base))
        if res.returncode != 0:
            raise RuntimeError("%s failed (%d):\n%s\n%s\nlog:\n%s" % (
                cmd[0], res.returncode, res.stdout, res.stderr,
                self.log.read_text() if self.log.exists() else ""))
        return res.stdout

    @property
    def url(self) -> str:
        return "postgres://%s@127.0.0.1:%d/%s" % (DB_USER, self.port, DB_NAME)

    def psql(self, sql: str = "", db: str = DB_NAME, file: Optional[Path] = None) -> str:
        cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h", "127.0.0.1", "-p", str(self.port),
               "-U", DB_USER, "-d", db]
        cmd += ["-f", str(file)] if file else ["-c", sql]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        if res.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (sql or file, res.stderr))
        return res.stdout.strip()

    def stop(self) -> None:
        try:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def heartbeat_age(pg, node: str) -> float:
    """Seconds since `node`'s last heartbeat, by the database's clock (`pg`: anything with `psql(sql)`)."""
    return float(pg.psql("SELECT extract(epoch FROM now() - heartbeat_at) FROM cluster_node WHERE node_id = '%s'" % node))


def homes(pg) -> dict:
    """tenant UUID -> home node id from cluster_tenant (`pg`: anything with `psql(sql)`); empty before the
    first node made the table."""
    try:
        rows = pg.psql("SELECT tenant_uuid, home_node FROM cluster_tenant ORDER BY tenant_uuid")
    except RuntimeError as error:
        assert "does not exist" in str(error), error
        return {}
    return dict(line.split("|") for line in rows.splitlines() if line)


def options_ok(addr: Tuple[str, int], timeout: float, source: str = "127.0.0.1",
               sock: Optional[socket.socket] = None) -> bool:
    """Kamailio at `addr` answers an OPTIONS sent from `source` with 200 within `timeout` seconds (it is
    up). `sock`: a UDP socket made elsewhere (inside a network namespace) to send it from; closed here."""
    s = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((source, 0))
        port = s.getsockname()[1]
        msg = ("OPTIONS sip:%s:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bKprobe%d\r\n"
               "Max-Forwards: 70\r\nFrom: <sip:probe@%s>;tag=p\r\nTo: <sip:%s>\r\n"
               "Call-ID: probe-%d@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
               % (addr[0], addr[1], source, port, time.monotonic_ns(), source, addr[0], time.monotonic_ns()))
        s.sendto(msg.encode(), addr)
        s.settimeout(timeout)
        data, _ = s.recvfrom(65535)
        return data.startswith(b"SIP/2.0 200")
    except OSError:
        return False
    finally:
        s.close()


class Kamailio:
    """Kamailio with the repository's kamailio.cfg, configured only by -A defines."""

    def __init__(self, workdir: Path, db_url: str, natping_interval: int = 3600, extra_defines=()):
        self.port = ct.free_ports(1)[0]
        self.workdir = workdir
        self.rundir = workdir / "kamailio-run"
        self.rundir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "kamailio.log"
        self.defines = ['DBURL="%s"' % db_url, "LISTEN=udp:127.0.0.1:%d" % self.port,
                        "NATPING_INTERVAL=%d" % natping_interval, "DS_PING_INTERVAL=1"] + list(extra_defines)
        define_args = [a for d in self.defines for a in ("-A", d)]
        check = subprocess.run(["kamailio", "-c", "-f", str(KAMAILIO_CFG)] + define_args,
                               capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, "kamailio -c refused the configuration:\n" + check.stderr
        self.cmd = ["kamailio", "-f", str(KAMAILIO_CFG), "-DD", "-E", "-m", "32", "-M", "4",
                    "-Y", str(self.rundir), "-P", str(self.rundir / "kamailio.pid")] + define_args
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("kamailio exited (%s):\n%s" % (self.proc.returncode, self.log()))
            if self.options_ok():
                return
            time.sleep(0.2)
        raise RuntimeError("kamailio did not answer OPTIONS within 15 s:\n" + self.log())

    def options_ok(self) -> bool:
        return options_ok(("127.0.0.1", self.port), 0.5)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-20000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(5)
        self._log.close()


@pytest.fixture(scope="session", autouse=True)
def _tools_present():
    for tool in ("sipp", "kamailio", "psql"):
        if shutil.which(tool) is None:
            pytest.fail("%s is not installed (see tests/cluster/install.sh)" % tool, pytrace=False)


@pytest.fixture(scope="session")
def kamailio_class():
    """The Kamailio class, for a module starting its own edge (`from conftest import` would find the
    calls suite's conftest when both suites run together)."""
    return Kamailio


@pytest.fixture(scope="module")
def private_postgres():
    """A PostgreSQL of the module's own, with an empty database (the nodes create their tables)."""
    pg = Postgres()
    yield pg
    pg.stop()


@pytest.fixture(scope="session")
def postgres():
    pg = Postgres()
    pg.psql(file=SCHEMA_SQL)
    yield pg
    pg.stop()


class Edge:
    """One Centralino node (the calls suite's tenants acme and globex) behind Kamailio."""

    def __init__(self, workdir: Path, postgres: Postgres):
        self.pbx = ct.Server(workdir / "node", name="node1",
                             extra_args=["--sip-lockout-account-failures", "3",
                                         # the edge (Kamailio) runs on 127.0.0.1: its Path is honoured
                                         "--sip-trusted-edges", "127.0.0.1/32"])
        self.db = postgres
        postgres.psql("DELETE FROM cluster_tenant; DELETE FROM cluster_node;")
        postgres.psql("INSERT INTO cluster_node (node_id, sip_uri, dispatcher_set) VALUES "
                      "('node1', 'sip:127.0.0.1:%d', 1)" % self.pbx.sip_port)
        postgres.psql("INSERT INTO cluster_tenant (tenant_uuid, domain, home_node) VALUES "
                      "('%s', '%s', 'node1'), ('%s', '%s', 'node1')"
                      % (ct.TENANT_A_UUID, ct.DOMAIN_A, ct.TENANT_B_UUID, ct.DOMAIN_B))
        self.kamailio = Kamailio(workdir, postgres.url)

    @property
    def port(self) -> int:
        return self.kamailio.port

    def stop(self) -> None:
        self.kamailio.stop()
        self.pbx.stop()


@pytest.fixture(scope="module")
def edge(tmp_path_factory, postgres):
    e = Edge(tmp_path_factory.mktemp("edge"), postgres)
    yield e
    e.stop()
