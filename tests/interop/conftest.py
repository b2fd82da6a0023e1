"""Fixtures for the Centralino AMI interop suite.

A session-wide server is provisioned with two tenants and started once;
tests that need different server flags (lockout, default auth delay, slow
readers, TLS) start their own with ``start_server``. The runner is
tests/common/server.py; when a test fails, the part of every running
server's log written during that test is attached to the report.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
import server as common  # noqa: E402  (the suites' one server runner)
from ports import free_ports  # noqa: E402,F401  (outside the ephemeral port range)
from server import centralino_bin, run_apply  # noqa: E402,F401  (tests import them from here)
from server import pytest_runtest_makereport, pytest_runtest_protocol  # noqa: E402,F401  (logs in failure reports)

import pytest

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


class Server(common.Server):
    """The suite's server: the two tenants of provisioning_yaml() unless told otherwise; `port` is AMI's."""

    def __init__(self, workdir: Path, extra_args: Optional[List[str]] = None, yaml_text: Optional[str] = None,
                 name: str = "server", **kwargs):
        super().__init__(workdir, name=name, yaml_text=provisioning_yaml() if yaml_text is None else yaml_text,
                         extra_args=extra_args or [], **kwargs)

    @property
    def port(self) -> int:
        return self.ami_port


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The shared server: two tenants, short auth delay, lockout effectively off
    (many tests fail logins from 127.0.0.1 on purpose)."""
    srv = Server(tmp_path_factory.mktemp("main"), name="main",
                 extra_args=["--ami-auth-delay-ms", "200",
                             "--ami-lockout-failures", "100000"])
    yield srv
    srv.stop()


start_server = common.start_server_fixture(Server)
