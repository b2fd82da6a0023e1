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

from siptools import Server


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


@pytest.fixture
def start_server(tmp_path_factory):
    """Factory for servers with other flags; they are stopped at the end of the test."""
    started = []

    def _start(extra_args=None, yaml_text=None, name="extra"):
        srv = Server(tmp_path_factory.mktemp(name), extra_args=extra_args, yaml_text=yaml_text,
                     name=name)
        started.append(srv)
        return srv

    yield _start
    for srv in started:
        srv.stop()


@pytest.fixture
def peer_log(request):
    """Tests append (title, text) for every peer run; shown when the test fails."""
    entries = []
    request.node._sip_peer_log = entries
    return lambda title, text: entries.append((title, text))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item._sip_log_offsets = {id(s): s.log_size() for s in Server.running}
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for title, text in getattr(item, "_sip_peer_log", []):
        report.sections.append(("peer: " + title, text))
    offsets = getattr(item, "_sip_log_offsets", {})
    for srv in list(Server.running):
        lines = srv.log_text(offsets.get(id(srv), 0)).splitlines()[-250:]
        report.sections.append(("centralino %s stderr (sip port %d, during this test)"
                                % (srv.name, srv.sip_port), "\n".join(lines) or "(empty)"))
        if not srv.alive:
            report.sections.append(("centralino %s" % srv.name,
                                    "server process exited with %s" % srv.proc.returncode))
