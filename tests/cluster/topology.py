"""The processes of tests/cluster/test_topology.py, each started inside its own host (a network
namespace of tests/common/netns.py's `BridgedHosts`) with `ip netns exec`: PostgreSQL, Kamailio with
deploy/kamailio/kamailio.cfg, `centralino serve` on the PostgreSQL store, and SIPp. Every process is
bounded by a timeout and stopped by its owner; `BridgedHosts.destroy()` kills whatever is left.
"""

from __future__ import annotations

import math
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import calltools as ct
from calltools import SippResult

REPO_ROOT = Path(__file__).resolve().parents[2]
KAMAILIO_CFG = REPO_ROOT / "deploy" / "kamailio" / "kamailio.cfg"
DB_USER = "centralino"
DB_NAME = "centralino"
PG_PORT = 5432
SIP_PORT = 5060
AMI_PORT = 5038
HTTP_PORT = 8080
CONTROL_PORT = 5039


def pg_bindir() -> Path:
    import glob
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (see tests/cluster/install.sh)")
    return Path(found[-1]).parent


class HostPostgres:
    """PostgreSQL on the `db` host's address (trust authentication for the hosts' subnet only)."""

    def __init__(self, hosts, name: str = "db"):
        self.hosts = hosts
        self.name = name
        self.address = hosts.ip(name)
        self.bindir = pg_bindir()
        self.base = Path(tempfile.mkdtemp(prefix="centralino-topo-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"
        self.as_user: List[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", DB_USER, "--auth=trust",
                   "-E", "UTF8", "--no-locale", "--no-sync"])
        hba = self.data / "pg_hba.conf"
        subprocess.run(self.as_user + ["sh", "-c", "echo 'host all all %s.0/24 trust' >> %s" % (hosts.subnet, hba)],
                       check=True, timeout=10)
        self.start()
        self.psql("CREATE DATABASE %s" % DB_NAME, db="postgres")

    def _run(self, cmd: List[str]) -> str:
        res = subprocess.run(self.hosts.exec_prefix(self.name) + self.as_user + cmd, capture_output=True, text=True,
                             timeout=60, cwd=str(self.base))
        if res.returncode != 0:
            raise RuntimeError("%s failed (%d):\n%s\n%s\nlog:\n%s" % (
                cmd[0], res.returncode, res.stdout, res.stderr, self.log.read_text() if self.log.exists() else ""))
        return res.stdout

    def start(self) -> None:
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
                   "-o", "-p %d -k %s -c listen_addresses=%s -c fsync=off" % (PG_PORT, self.base, self.address),
                   "start"])

    def halt(self) -> None:
        """Stops the server (fast: open connections are closed), keeping its data for start()."""
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    @property
    def url(self) -> str:
        return "postgres://%s@%s:%d/%s" % (DB_USER, self.address, PG_PORT, DB_NAME)

    def psql(self, sql: str, db: str = DB_NAME) -> str:
        cmd = self.hosts.exec_prefix(self.name) + [
            "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h", self.address, "-p", str(PG_PORT),
            "-U", DB_USER, "-d", db, "-c", sql]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        if res.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (sql, res.stderr))
        return res.stdout.strip()

    def stop(self) -> None:
        try:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        except RuntimeError:
            pass
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


class HostKamailio:
    """Kamailio with the repository's kamailio.cfg on the `edge` host, configured by -A defines only."""

    def __init__(self, hosts, workdir: Path, db_url: str, name: str = "edge"):
        self.hosts = hosts
        self.address = hosts.ip(name)
        self.rundir = workdir / "kamailio-run"
        self.rundir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "kamailio.log"
        defines = ['DBURL="%s"' % db_url, "LISTEN=udp:%s:%d" % (self.address, SIP_PORT),
                   "NATPING_INTERVAL=3600", "DS_PING_INTERVAL=1"]
        define_args = [a for d in defines for a in ("-A", d)]
        check = subprocess.run(["kamailio", "-c", "-f", str(KAMAILIO_CFG)] + define_args,
                               capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, "kamailio -c refused the configuration:\n" + check.stderr
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            hosts.exec_prefix(name) + ["kamailio", "-f", str(KAMAILIO_CFG), "-DD", "-E", "-m", "32", "-M", "4",
                                       "-Y", str(self.rundir), "-P", str(self.rundir / "kamailio.pid")] + define_args,
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-20000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()


READY = (re.compile(r"SIP listening on "), re.compile(r"AMI listening on "), re.compile(r"HTTP admin panel and REST API on "))


class HostNode:
    """`centralino serve` on a host, its store and the cluster in PostgreSQL (`--database`), every
    listener on the host's address with the standard ports."""

    def __init__(self, hosts, name: str, workdir: Path, db_url: str, args: Sequence[str]):
        self.hosts = hosts
        self.name = name
        self.address = hosts.ip(name)
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "serve.stderr.log"
        self.cmd = [ct.centralino_bin(), "serve", "--data-dir", str(self.data_dir), "--database", db_url,
                    "--node-id", name,
                    "--sip-bind", "%s:%d" % (self.address, SIP_PORT), "--ami-bind", "%s:%d" % (self.address, AMI_PORT),
                    "--http-bind", "%s:%d" % (self.address, HTTP_PORT), "--log-level", "info"] + list(args)
        self.proc: Optional[subprocess.Popen] = None
        self.start()

    def start(self) -> None:
        self.stdout_lines: List[str] = []
        self._log = open(self.log_path, "ab")
        self._log.write(("\n===== start: %s\n" % " ".join(self.cmd)).encode())
        self._log.flush()
        self.proc = subprocess.Popen(self.hosts.exec_prefix(self.name) + self.cmd, stdout=subprocess.PIPE,
                                     stderr=self._log, stdin=subprocess.DEVNULL, cwd=str(REPO_ROOT))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 30
        while not all(any(p.search(line) for line in self.stdout_lines) for p in READY):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("centralino serve on %s did not start:\n%s\n%s" % (
                    self.name, "".join(self.stdout_lines), ct.tail(self.log_text(), 60)))
            time.sleep(0.05)

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            self.stdout_lines.append(raw.decode("utf-8", "replace"))

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """kill -9."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)
        self._reader.join(2)
        self._log.close()

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(2)
        if not self._log.closed:
            self._log.close()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


_sipp_counter = [0]


class HostSipp:
    """A SIPp process on a host (UDP, one socket), traces kept for the report; like calltools.Sipp."""

    def __init__(self, hosts, host: str, scenario: str, workdir: Path, *, local_port: int,
                 remote: Optional[str] = None, calls: int = 1, timeout: float = 20.0,
                 inf: Optional[Path] = None, rate: Optional[float] = None, limit: Optional[int] = None,
                 keys: Optional[Dict[str, str]] = None, tag: str = "sipp"):
        workdir.mkdir(parents=True, exist_ok=True)
        _sipp_counter[0] += 1
        base = workdir / ("%s_%d" % (tag, _sipp_counter[0]))
        self.files = [Path(str(base) + s) for s in ("_messages.log", "_logs.log", "_errors.log", "_screen.log")]
        cmd = ["sipp", "-sf", scenario] + ([remote] if remote else [])
        cmd += ["-i", hosts.ip(host), "-p", str(local_port), "-mp", str(local_port + 1000), "-bind_local", "-t", "u1",
                "-m", str(calls), "-nostdin", "-timeout", "%ds" % int(math.ceil(timeout)), "-timeout_error",
                "-max_recv_loops", "1000",
                "-trace_msg", "-message_file", str(self.files[0]), "-trace_logs", "-log_file", str(self.files[1]),
                "-trace_err", "-error_file", str(self.files[2]), "-trace_screen", "-screen_file", str(self.files[3])]
        if inf is not None:
            cmd += ["-inf", str(inf)]
        if rate is not None:
            cmd += ["-r", str(rate)]
        if limit is not None:
            cmd += ["-l", str(limit)]
        k = {"expires": "3600", "rtp_port": str(local_port + 2000)}
        k.update(keys or {})
        for name, value in k.items():
            cmd += ["-key", name, value]
        self.cmd = hosts.exec_prefix(host) + cmd
        self.timeout = timeout
        self.result: Optional[SippResult] = None
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                     cwd=str(workdir), text=True, start_new_session=True)

    def wait(self, timeout: Optional[float] = None) -> SippResult:
        if self.result is not None:
            return self.result
        try:
            out, err = self.proc.communicate(timeout=timeout if timeout is not None else self.timeout + 10)
            rc = self.proc.returncode
        except subprocess.TimeoutExpired:
            self.kill()
            out, err = self.proc.communicate(timeout=5)
            rc, err = None, "KILLED by the test after its timeout\n" + (err or "")

        def read(f: Path) -> str:
            try:
                return f.read_text(errors="replace")
            except OSError:
                return ""
        self.result = SippResult(self.cmd, rc, out or "", err or "", *(read(f) for f in self.files))
        return self.result

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
