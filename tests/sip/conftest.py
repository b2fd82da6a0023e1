"""Fixtures for the SIP registrar interop suite (real peers on loopback).

``sip_server`` is one shared server (tenants default/acme/globex, lockout effectively off because
several tests fail digests from 127.0.0.1 on purpose); ``start_server`` makes servers with other flags
(qualify interval, lockout) or for restarts. Each server's stderr (started with --log-level debug) goes
to a log file; when a test fails, the part of every running server's log written during that test and
the output of every peer the test ran are attached to the report.
"""

from __future__ import annotations

import shutil

import pytest

from siptools import Server, common
from server import peer_log, pytest_runtest_makereport, pytest_runtest_protocol  # noqa: F401  (reports)


REQUIRED_TOOLS = ("sipp", "sipsak", "baresip")


@pytest.fixture(scope="session", autouse=True)
def _tools_present():
    missing = [t for t in REQUIRED_TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail("missing peers %s: run tests/sip/install-peers.sh VENV first" % ", ".join(missing),
                    pytrace=False)


@pytest.fixture(scope="session")
def sip_server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("sipmain"), name="main",
                 extra_args=["--sip-lockout-failures", "100000"])
    yield srv
    srv.stop()


start_server = common.start_server_fixture(Server)  # servers with other flags, stopped after the test
