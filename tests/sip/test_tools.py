"""sipsak (OPTIONS ping, digest REGISTER) and sipvicious (svwar enumeration, svmap discovery)."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

import sipwire
from siptools import PASSWORDS, free_ports, sipvicious_tool, tail


def run(cmd, timeout, peer_log, title, env=None):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, env=env)
        out = p.stdout + p.stderr
        rc = p.returncode
    except subprocess.TimeoutExpired as e:
        out = "%s%s\n(killed after %ss)" % (e.stdout or "", e.stderr or "", timeout)
        rc = None
    peer_log(title, "$ %s\nexit %s\n%s" % (" ".join(cmd), rc, tail(str(out), 200)))
    return rc, str(out)


def test_sipsak_options(sip_server, peer_log):
    rc, out = run(["sipsak", "-vv", "-s", "sip:ping@127.0.0.1:%d" % sip_server.sip_port],
                  15, peer_log, "sipsak OPTIONS")
    assert rc == 0, "sipsak exit %s (0 = 200 received):\n%s" % (rc, out)
    assert re.search(r"SIP/2.0 200", out), out
    assert re.search(r"(?mi)^Allow:", out) and re.search(r"(?mi)^Accept:", out), \
        "200 to OPTIONS should carry Allow and Accept:\n%s" % out


def test_sipsak_register_with_digest(sip_server, peer_log):
    ext = "1011"
    lport = free_ports(1)[0]
    rc, out = run(["sipsak", "-vv", "-U", "-C", "sip:%s@127.0.0.1:%d" % (ext, lport), "-x", "600",
                   "-s", "sip:%s@127.0.0.1:%d" % (ext, sip_server.sip_port), "-u", ext,
                   "-a", PASSWORDS[("default", ext)]], 20, peer_log, "sipsak -U")
    assert rc == 0, "sipsak registration exit %s:\n%s" % (rc, out)
    with sipwire.SipClient(sip_server.sip_port) as c:
        _, q = c.register(ext, PASSWORDS[("default", ext)], "127.0.0.1")
    assert any("127.0.0.1:%d" % lport in ct.uri for ct in q.contacts()), q.text()


def _svenv(tmp_path):
    return dict(os.environ, HOME=str(tmp_path))   # sipvicious keeps sessions in ~/.sipvicious


@pytest.mark.parametrize("method", ["REGISTER", "INVITE"])
def test_svwar_finds_no_extension(sip_server, tmp_path, peer_log, method):
    """acme has extensions 100, 101, 102: a registrar that answers unknown and known users alike
    leaves svwar nothing to report, even with --force (scan the whole range)."""
    lport = free_ports(1)[0]
    cmd = sipvicious_tool("svwar") + ["-e100-110", "-m", method, "--domain", "acme.test",
                                      "--force", "-b", "127.0.0.1", "-P", str(lport),
                                      "-p", str(sip_server.sip_port), "127.0.0.1"]
    rc, out = run(cmd, 60, peer_log, "svwar " + method, env=_svenv(tmp_path))
    assert rc is not None, "svwar did not finish:\n" + out
    found = re.findall(r"(?m)^\|\s*(1\d\d)\s*\|\s*(\S[^|]*?)\s*\|", out)
    assert not found, "svwar enumerated extensions %s:\n%s" % (found, out)
    assert "found nothing" in out, "svwar did not say 'found nothing':\n%s" % out


def test_svmap_sees_server(sip_server, tmp_path, peer_log):
    lport = free_ports(1)[0]
    cmd = sipvicious_tool("svmap") + ["-b", "127.0.0.1", "-P", str(lport),
                                      "-p", str(sip_server.sip_port), "127.0.0.1"]
    rc, out = run(cmd, 60, peer_log, "svmap", env=_svenv(tmp_path))
    assert rc == 0, out
    assert re.search(r"\|\s*127\.0\.0\.1:%d\s*\|" % sip_server.sip_port, out), \
        "svmap did not list 127.0.0.1:%d:\n%s" % (sip_server.sip_port, out)
