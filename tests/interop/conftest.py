"""Fixtures for the Centralino AMI interop suite.

A session-wide server is provisioned with two tenants and started once;
tests that need different server flags (lockout, default auth delay, slow
readers) start their own with ``start_server``.  Each server's stderr goes
to a log file; when a test fails, the part of every running server's log
written during that test is attached to the report.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import List, Optional

import sys
from pathlib import Path as _Path
sys.path.insert(0, str(_Path(__file__).resolve().parents[1] / "common"))
from serve_process import ServeProcess  # noqa: E402  (shared by the suites' server runners)

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_RE = re.compile(r"AMI listening on 127\.0\.0\.1:(\d+)")
READY_TIMEOUT = 30.0

TENANT_A_UUID = "7d2c0e2a-1111-4222-8333-444455556666"
TENANT_B_UUID = "9e4f1a3b-5555-4666-8777-888899990000"

# Passwords of the users in BASE_YAML (tests use them by name).
SECRETS = {
    "crm": "s3cret",
    "monitor": "m0nitor",
    "noorig": "n0orig",
    "rotator": "r0tate-old",
    "other": "0ther",
}


def provisioning_yaml(rotator_password: str = "r0tate-old") -> str:
    """Two tenants: A (acme) with crm/monitor/noorig/rotator, B (globex) with other."""
    return f"""\
tenants:
  - name: acme
    uuid: {TENANT_A_UUID}
    domain: acme.test
    extensions:
      - {{ number: "100", name: "Alice", password: "pw100" }}
      - {{ number: "101", name: "Bob", password: "pw101" }}
    ami_users:
      - username: crm
        password: s3cret
        permit: ["127.0.0.1/32"]
        read: call
        write: call,originate
      - username: monitor
        password: m0nitor
        permit: ["127.0.0.0/8"]
        read: all
        write: all
      - username: noorig
        password: n0orig
        permit: ["127.0.0.1/32"]
        read: call
        write: call
      - username: rotator
        password: {rotator_password}
        permit: ["127.0.0.0/8"]
        read: call
        write: call
  - name: globex
    uuid: {TENANT_B_UUID}
    domain: globex.test
    extensions:
      - {{ number: "100", name: "Carol", password: "pw100b" }}
    ami_users:
      - username: other
        password: 0ther
        permit: ["127.0.0.0/8"]
        read: all
        write: all
"""


def centralino_bin() -> str:
    path = os.environ.get("CENTRALINO_BIN", ".build/debug/centralino")
    p = Path(path)
    if not p.is_absolute():
        p = REPO_ROOT / p
    return str(p)


from ports import free_ports  # noqa: E402,F401  (outside the ephemeral port range)


def run_apply(data_dir: Path, yaml_file: Path, timeout: float = 30.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [centralino_bin(), "apply", "--data-dir", str(data_dir), str(yaml_file)],
        capture_output=True, text=True, timeout=timeout, cwd=str(REPO_ROOT))


class Server(ServeProcess):
    """A running ``centralino serve``."""

    running: List["Server"] = []

    def __init__(self, workdir: Path, extra_args: Optional[List[str]] = None,
                 yaml_text: Optional[str] = None, name: str = "server"):
        self.name = name
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.yaml_file = workdir / "provisioning.yaml"
        self.yaml_file.write_text(yaml_text if yaml_text is not None else provisioning_yaml())
        res = run_apply(self.data_dir, self.yaml_file)
        if res.returncode != 0:
            raise RuntimeError("centralino apply failed (exit %d)\nstdout:\n%s\nstderr:\n%s"
                               % (res.returncode, res.stdout, res.stderr))
        self.extra_args = list(extra_args or [])
        self.log_path = workdir / "serve.stderr.log"
        # A port picked free can be taken before the server binds it: retry.
        for attempt in range(3):
            try:
                self._launch()
                break
            except RuntimeError as error:
                if "Address already in use" not in str(error) or attempt == 2:
                    raise
        Server.running.append(self)

    def _launch(self) -> None:
        self.ami_port, self.sip_port, self.http_port = free_ports(3)
        self.stdout_lines: List[str] = []
        self._ready = threading.Event()
        cmd = [centralino_bin(), "serve", "--data-dir", str(self.data_dir),
               "--ami-bind", f"127.0.0.1:{self.ami_port}",
               "--sip-bind", f"127.0.0.1:{self.sip_port}",
               "--http-bind", f"127.0.0.1:{self.http_port}",
               "--log-level", "info"] + self.extra_args
        self.cmd = cmd
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log,
                                     stdin=subprocess.DEVNULL, cwd=str(REPO_ROOT))
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + READY_TIMEOUT
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                why = ("exited with %s" % self.proc.returncode if self.proc.returncode is not None
                       else "did not print 'AMI listening on ...' within %.0fs" % READY_TIMEOUT)
                raise RuntimeError("centralino serve %s\ncmd: %s\nstdout:\n%s\nstderr:\n%s"
                                   % (why, " ".join(cmd), "".join(self.stdout_lines), self.log_text()))

    def ready_checks(self):
        return [(READY_RE, self.ami_port, self._ready)]

    @property
    def port(self) -> int:
        return self.ami_port

    def apply(self, yaml_text: str, filename: str = "reapply.yaml") -> subprocess.CompletedProcess:
        f = self.workdir / filename
        f.write_text(yaml_text)
        return run_apply(self.data_dir, f)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The shared server: two tenants, short auth delay, lockout effectively off
    (many tests fail logins from 127.0.0.1 on purpose)."""
    srv = Server(tmp_path_factory.mktemp("main"), name="main",
                 extra_args=["--ami-auth-delay-ms", "200",
                             "--ami-lockout-failures", "100000"])
    yield srv
    srv.stop()


@pytest.fixture
def start_server(tmp_path_factory):
    """Factory for extra servers; they are stopped at the end of the test."""
    started = []

    def _start(extra_args=None, yaml_text=None, name="extra"):
        srv = Server(tmp_path_factory.mktemp(name), extra_args=extra_args,
                     yaml_text=yaml_text, name=name)
        started.append(srv)
        return srv

    yield _start
    for srv in started:
        srv.stop()


# -- attach server logs to failing tests ----------------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item._centralino_log_offsets = {id(s): s.log_size() for s in Server.running}
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        offsets = getattr(item, "_centralino_log_offsets", {})
        for srv in list(Server.running):
            text = srv.log_text(offsets.get(id(srv), 0))
            lines = text.splitlines()[-200:]
            report.sections.append(
                ("centralino %s stderr (port %d, during this test)" % (srv.name, srv.port),
                 "\n".join(lines) if lines else "(empty)"))
            if srv.proc.poll() is not None:
                report.sections.append(("centralino %s" % srv.name,
                                        "server process exited with %s" % srv.proc.returncode))
