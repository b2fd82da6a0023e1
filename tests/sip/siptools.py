"""Server control and real-peer runners for the SIP registrar interop suite (tests/sip).

Everything here runs on loopback, every external process is bounded by a timeout, and every runner
keeps the peer's own output so that a failing test can show what was sent and what came back.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
import server as common  # noqa: E402  (the suites' one server runner)
from ports import free_ports  # noqa: E402,F401  (outside the ephemeral port range)
from server import centralino_bin, tail  # noqa: E402,F401  (tests import them from here)
from sipp_trace import sipp_blocks as _sipp_blocks  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SCENARIOS = HERE / "scenarios"
PEERS = HERE / "peers"

# Extension passwords of DEFAULT_YAML, by (tenant domain or "default", number).
PASSWORDS: Dict[tuple, str] = {}
DEFAULT_EXTENSIONS = [str(n) for n in range(1001, 1021)]
for _n in DEFAULT_EXTENSIONS:
    PASSWORDS[("default", _n)] = "secret" + _n
PASSWORDS[("acme.test", "100")] = "pw100"
PASSWORDS[("acme.test", "101")] = "pw101"
PASSWORDS[("acme.test", "102")] = "pw102"
PASSWORDS[("globex.test", "100")] = "pw100g"


def provisioning_yaml() -> str:
    lines = ["tenants:", "  - name: default", "    extensions:"]
    lines += ['      - { number: "%s", password: "%s" }' % (n, PASSWORDS[("default", n)])
              for n in DEFAULT_EXTENSIONS]
    for name, dom in (("acme", "acme.test"), ("globex", "globex.test")):
        lines += ["  - name: %s" % name, "    domain: %s" % dom, "    extensions:"]
        lines += ['      - { number: "%s", password: "%s" }' % (num, pw)
                  for (d, num), pw in sorted(PASSWORDS.items()) if d == dom]
    return "\n".join(lines) + "\n"


# -- Centralino ------------------------------------------------------------

class Server(common.Server):
    """The suite's server: the tenants of provisioning_yaml() unless told otherwise, debug logs."""

    def __init__(self, workdir: Path, extra_args: Optional[Sequence[str]] = None,
                 yaml_text: Optional[str] = None, name: str = "server", **kwargs):
        super().__init__(workdir, name=name, yaml_text=provisioning_yaml() if yaml_text is None else yaml_text,
                         extra_args=extra_args or (), log_level="debug", **kwargs)


# -- SIPp ------------------------------------------------------------------

@dataclass
class SippResult:
    cmd: List[str]
    returncode: Optional[int]
    stdout: str
    stderr: str
    messages: str
    logs: str
    errors: str

    def received(self) -> List[str]:
        """Every message SIPp received, in order (from -trace_msg)."""
        return [b for d, b in _sipp_blocks(self.messages) if d == "received"]

    def sent(self) -> List[str]:
        return [b for d, b in _sipp_blocks(self.messages) if d == "sent"]

    def last_response(self, code: Optional[int] = None):
        from sipwire import parse_message
        for b in reversed(self.received()):
            if b.startswith("SIP/2.0 ") and (code is None or b.startswith("SIP/2.0 %d" % code)):
                return parse_message(b.replace("\n", "\r\n").encode())
        return None

    def report(self) -> str:
        return ("sipp cmd: %s\nexit: %s\n--- stdout/stderr:\n%s\n%s\n--- errors log:\n%s\n"
                "--- log actions:\n%s\n--- messages (-trace_msg):\n%s"
                % (" ".join(self.cmd), self.returncode, tail(self.stdout, 30), tail(self.stderr, 30),
                   tail(self.errors, 40), tail(self.logs, 20), tail(self.messages, 150)))


def scenario(name: str) -> str:
    p = SCENARIOS / name
    assert p.exists(), "missing scenario %s" % p
    return str(p)


def run_sipp(scenario_file: str, server_port: int, workdir: Path, *, service: str = "1001",
             auth_user: Optional[str] = None, password: Optional[str] = None,
             transport: str = "u1", local_ip: str = "127.0.0.1", local_port: Optional[int] = None,
             keys: Optional[Dict[str, str]] = None, timeout: float = 15.0, calls: int = 1,
             server_mode: bool = False, extra: Sequence[str] = (), tag: str = "sipp") -> SippResult:
    """Run SIPp once (one call by default) and collect its traces. Keys domain/expires default to
    the server IP and 3600 so every scenario of tests/sip/scenarios can use [domain]/[expires]."""
    workdir.mkdir(parents=True, exist_ok=True)
    base = workdir / ("%s_%d" % (tag, int(time.time() * 1000) % 10_000_000))
    msg_f, log_f, err_f, scr_f = (Path(str(base) + s) for s in
                                  ("_messages.log", "_logs.log", "_errors.log", "_screen.log"))
    if local_port is None:
        local_port = free_ports(1, local_ip)[0]
    cmd = ["sipp", "-sf", scenario_file]
    if not server_mode:
        cmd += ["127.0.0.1:%d" % server_port]
    cmd += ["-i", local_ip, "-p", str(local_port), "-bind_local", "-t", transport,
            "-m", str(calls), "-nostdin", "-timeout", "%ds" % int(timeout), "-timeout_error",
            "-trace_msg", "-message_file", str(msg_f), "-trace_logs", "-log_file", str(log_f),
            "-trace_err", "-error_file", str(err_f), "-trace_screen", "-screen_file", str(scr_f),
            "-s", service]
    if auth_user is not None or password is not None:
        cmd += ["-au", auth_user or service, "-ap", password or ""]
    k = {"domain": "127.0.0.1", "expires": "3600", "expires2": "1800", "contact_user": service}
    k.update(keys or {})
    for kk, vv in k.items():
        cmd += ["-key", kk, str(vv)]
    cmd += list(extra)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 15,
                           cwd=str(workdir), stdin=subprocess.DEVNULL)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = None, str(e.stdout or ""), "killed after %.0fs\n%s" % (timeout + 15, e.stderr or "")

    def rd(f: Path) -> str:
        try:
            return f.read_text(errors="replace")
        except OSError:
            return ""
    return SippResult(cmd, rc, out, err, rd(msg_f), rd(log_f), rd(err_f))


class Sipp:
    """A SIPp process kept running in the background (e.g. a UAS waiting for qualify OPTIONS)."""

    def __init__(self, scenario_file: str, workdir: Path, *, local_port: int, calls: int = 1,
                 timeout: float = 20.0, transport: str = "u1", extra: Sequence[str] = (),
                 tag: str = "uas"):
        workdir.mkdir(parents=True, exist_ok=True)
        base = workdir / tag
        self.msg_f, self.err_f = Path(str(base) + "_messages.log"), Path(str(base) + "_errors.log")
        self.cmd = ["sipp", "-sf", scenario_file, "-i", "127.0.0.1", "-p", str(local_port),
                    "-bind_local", "-t", transport, "-m", str(calls), "-nostdin",
                    "-timeout", "%ds" % int(timeout), "-timeout_error",
                    "-trace_msg", "-message_file", str(self.msg_f),
                    "-trace_err", "-error_file", str(self.err_f)] + list(extra)
        self.timeout = timeout
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, cwd=str(workdir), text=True)

    def wait(self) -> SippResult:
        try:
            out, err = self.proc.communicate(timeout=self.timeout + 10)
            rc = self.proc.returncode
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate(5)
            rc = None
        rd = lambda f: f.read_text(errors="replace") if f.exists() else ""
        return SippResult(self.cmd, rc, out, err, rd(self.msg_f), "", rd(self.err_f))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(5)


# -- generic bounded subprocess with line capture ---------------------------

class LineProc:
    """A subprocess whose merged stdout/stderr is collected line by line by a thread."""

    def __init__(self, cmd: List[str], cwd: Optional[Path] = None, env: Optional[dict] = None):
        self.cmd = cmd
        self.lines: List[str] = []
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=str(cwd) if cwd else None,
                                     env=env, start_new_session=True)
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float, fail_pattern: Optional[str] = None):
        """Poll the output for a regex; returns the match, or None on timeout/exit/fail_pattern."""
        rx = re.compile(pattern)
        frx = re.compile(fail_pattern) if fail_pattern else None
        seen = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while seen < len(self.lines):
                ln = self.lines[seen]
                seen += 1
                m = rx.search(ln)
                if m:
                    return m
                if frx and frx.search(ln):
                    return None
            if self.proc.poll() is not None:
                self._t.join(1)
                if seen >= len(self.lines):
                    return None
                continue
            time.sleep(0.05)
        return None

    def output(self) -> str:
        return "\n".join(self.lines)

    def stop(self, timeout: float = 5.0) -> Optional[int]:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5)
        self._t.join(2)
        return self.proc.returncode


# -- baresip ---------------------------------------------------------------

BARESIP_CONFIG = """\
# written by tests/sip (modelled on shared/peers/baresip.config): headless, loopback only
poll_method\t\tepoll
sip_listen\t\t127.0.0.1:{port}
net_interface\t\t127.0.0.1
call_local_timeout\t120
call_max_calls\t\t4
audio_player\t\taubridge,nil
audio_source\t\taubridge,nil
audio_alert\t\taubridge,nil
audio_level\t\tno
rtcp_mux\t\tno
jitter_buffer_delay\t5-10
module_path\t\t/usr/lib/baresip/modules
module\t\t\tg711.so
module\t\t\taubridge.so
module_tmp\t\tuuid.so
module_tmp\t\taccount.so
module_app\t\tmenu.so
"""


def baresip_start(workdir: Path, server_port: int, user: str, password: str, domain: str,
                  transport: str = "udp", regint: int = 600) -> "LineProc":
    """baresip with a temp config dir; registers <sip:user@domain> through outbound
    sip:127.0.0.1:server_port;transport=..., so the To domain chooses the tenant."""
    for attempt in range(3):
        proc = _baresip_once(workdir, server_port, user, password, domain, transport, regint, attempt)
        # A free port picked here can be taken by another process before baresip binds it: retry.
        if proc.wait_for(r"Address already in use", 1.0) is None:
            return proc
        proc.stop()
    return proc


def _baresip_once(workdir: Path, server_port: int, user: str, password: str, domain: str,
                  transport: str, regint: int, attempt: int) -> "LineProc":
    cfg = workdir / ("baresip-%s-%d" % (transport, attempt))
    cfg.mkdir(parents=True, exist_ok=True)
    port = free_ports(1)[0]
    (cfg / "config").write_text(BARESIP_CONFIG.format(port=port))
    (cfg / "accounts").write_text(
        '<sip:{u}@{d};transport={t}>;auth_pass={pw};outbound="sip:127.0.0.1:{sp};transport={t}";'
        "regint={ri};answermode=manual\n".format(u=user, d=domain, t=transport, pw=password,
                                                  sp=server_port, ri=regint))
    (cfg / "contacts").write_text("")
    env = dict(os.environ, HOME=str(cfg))
    proc = LineProc(["baresip", "-f", str(cfg), "-v", "-s", "-t", "60"], cwd=cfg, env=env)
    proc.sip_port = port
    return proc


# "100@acme.test: {0/UDP/v4} 200 OK (Server) [1 binding]" / any other final REGISTER result or error
BARESIP_REGISTERED = r"\{0/(?:UDP|TCP)/v4\} 200 OK .*\[\d+ bindings?\]"
BARESIP_REG_FAILED = r"(\{0/(?:UDP|TCP)/v4\} [3-6]\d\d |reg: .*Register: )"


# -- pjsua2 ----------------------------------------------------------------

def pjsua_run(workdir: Path, server_port: int, user: str, password: str, domain: str,
              algo: str = "SHA256", transport: str = "udp", seconds: float = 15.0) -> LineProc:
    env = dict(os.environ, PJ_ALGO=algo)
    lport = free_ports(1)[0]
    return LineProc([sys.executable, str(PEERS / "pj_phone_sha.py"), user, password,
                     "127.0.0.1:%d" % server_port, str(lport), str(seconds),
                     "--domain", domain, "--transport", transport, "--exit-after-reg",
                     "--log-messages"], cwd=workdir, env=env)


# -- sipvicious --------------------------------------------------------------

def sipvicious_tool(short: str) -> List[str]:
    """svwar/svmap: Debian ships them as svwar/svmap, PyPI 0.3.4+ as sipvicious_svwar/..."""
    for name in ("sipvicious_" + short, short):
        path = shutil.which(name)
        if path:
            return [path]
    venv_bin = Path(sys.executable).parent
    for name in ("sipvicious_" + short, short):
        if (venv_bin / name).exists():
            return [str(venv_bin / name)]
    raise FileNotFoundError("neither sipvicious_%s nor %s on PATH" % (short, short))
