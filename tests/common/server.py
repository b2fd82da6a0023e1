"""The one runner of `centralino serve` for every Python suite (interop, sip, calls, web).

`Server(workdir, ...)` writes the provisioning YAML to the work directory and runs `centralino apply`
(no YAML: no apply, the node bootstraps its `default` tenant), then starts `centralino serve` with
every listener bound on 127.0.0.1 to a free port from ports.py, and returns once serve has printed the
ready line of each of them (serve prints its ready lines together, once the HTTP(S) listeners accept).
A port taken by another process between the pick and the bind ("Address already in use") is retried
with fresh ports. serve's stdout is kept in `stdout_lines`, its stderr appended to `log_path`;
`stop()` sends SIGTERM, then kills after a timeout.

Listeners and their attributes: `sip_port`, `ami_port`, `http_port` always; with `tls=(cert, key)` the
TLS listeners named in `tls_listeners` (`sip_tls_port`, `ami_tls_port`, `https_port`; the others are
turned off); a listener not started has port None.

With CENTRALINO_TEST_DATABASE set to a PostgreSQL server's URL (scripts/test.sh's second pass, a
private server from pgserver.py), every data directory gets a fresh database of its own on that server,
passed to serve and apply as `--database` (the data directory still holds the key file): `store_args()`.
`store_sql()` reads or changes a data directory's store directly on either backend.

Each suite keeps only what is its own (its provisioning YAML, its flags) in a thin subclass. The
pytest plumbing at the end (a `start_server` fixture factory, `peer_log`, and the hooks that attach
the servers' logs and the peers' output to a failing test's report) is imported by the conftests.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

from ports import free_ports

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 30.0
START_ATTEMPTS = 5

# listener: (serve flag, ready line with the port as group 1)
LISTENERS: Dict[str, Tuple[str, "re.Pattern[str]"]] = {
    "sip": ("--sip-bind", re.compile(r"SIP listening on 127\.0\.0\.1:(\d+) \(udp, tcp\)")),
    "ami": ("--ami-bind", re.compile(r"AMI listening on 127\.0\.0\.1:(\d+)")),
    "http": ("--http-bind", re.compile(r"HTTP admin panel and REST API on http://127\.0\.0\.1:(\d+)/")),
    "sip_tls": ("--sip-tls-bind", re.compile(r"SIP over TLS listening on 127\.0\.0\.1:(\d+)")),
    "ami_tls": ("--ami-tls-bind", re.compile(r"AMI over TLS listening on 127\.0\.0\.1:(\d+)")),
    "https": ("--https-bind", re.compile(r"HTTPS admin panel and REST API on https://127\.0\.0\.1:(\d+)/")),
}
PLAIN_LISTENERS = ("sip", "ami", "http")
TLS_LISTENERS = ("sip_tls", "ami_tls", "https")


def centralino_bin() -> str:
    """$CENTRALINO_BIN (relative to the repository), default .build/debug/centralino."""
    p = Path(os.environ.get("CENTRALINO_BIN") or ".build/debug/centralino")
    if not p.is_absolute():
        p = REPO_ROOT / p
    return str(p)


DATABASE_URL_FILE = "test-database-url"


def _network_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/net")
    except OSError:
        return ""


HOME_NETWORK_NAMESPACE = _network_namespace()


def database_url(data_dir: Path) -> Optional[str]:
    """The PostgreSQL database of `data_dir` (made on first use) when CENTRALINO_TEST_DATABASE is set, else None.
    A server started inside a test's own network namespace (tests/sip/test_network.py) cannot reach the
    private PostgreSQL on the host's loopback: it keeps SQLite."""
    base = os.environ.get("CENTRALINO_TEST_DATABASE")
    if not base or _network_namespace() != HOME_NETWORK_NAMESPACE:
        return None
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    marker = data_dir / DATABASE_URL_FILE
    if not marker.exists():
        import pgserver
        marker.write_text(pgserver.create_database(base))
    return marker.read_text().strip()


def store_args(data_dir: Path) -> List[str]:
    """`--data-dir DIR`, and `--database URL` on the PostgreSQL pass."""
    url = database_url(data_dir)
    return ["--data-dir", str(data_dir)] + (["--database", url] if url else [])


def store_sql(data_dir: Path, sql: str, params: Sequence[object] = ()) -> List[Tuple[str, ...]]:
    """Runs one statement with `?` parameters on the store of `data_dir` (SQLite file or PostgreSQL
    database) and returns its rows as text (numbers as their text, NULL as None)."""
    url = database_url(data_dir)
    if url is None:
        import sqlite3
        with sqlite3.connect(str(Path(data_dir) / "centralino.sqlite")) as db:
            rows = db.execute(sql, tuple(params)).fetchall()
        db.close()
        return [tuple(None if v is None else str(v) for v in row) for row in rows]
    parts = sql.split("?")
    assert len(parts) == len(params) + 1, "one parameter per ?"

    def literal(v: object) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, (int, float)):
            return repr(v)
        return "'" + str(v).replace("'", "''") + "'"
    text = parts[0] + "".join(literal(v) + part for v, part in zip(params, parts[1:]))
    res = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\x1f", "-d", url, "-c", text],
                         capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        raise RuntimeError("psql failed: %s\n%s" % (text, res.stderr))
    return [tuple(line.split("\x1f")) for line in res.stdout.splitlines() if line]


def run_apply(data_dir: Path, yaml_file: Path, timeout: float = 30.0) -> subprocess.CompletedProcess:
    return subprocess.run([centralino_bin(), "apply"] + store_args(data_dir) + [str(yaml_file)],
                          capture_output=True, text=True, timeout=timeout, cwd=str(REPO_ROOT))


def tail(text: str, n: int = 60) -> str:
    return "\n".join(text.splitlines()[-n:])


class Server:
    """A running `centralino serve` (see the module's docstring)."""

    running: List["Server"] = []   # started and not stopped: their logs go into failure reports

    def __init__(self, workdir: Path, *, name: str = "server", yaml_text: Optional[str] = None,
                 extra_args: Sequence[str] = (), log_level: Optional[str] = "info",
                 tls: Optional[Tuple[Path, Path]] = None, tls_listeners: Sequence[str] = TLS_LISTENERS):
        self.name = name
        self.workdir = Path(workdir)
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.yaml_file = self.workdir / "provisioning.yaml"
        if yaml_text is not None:
            self.yaml_file.write_text(yaml_text)
            res = run_apply(self.data_dir, self.yaml_file)
            if res.returncode != 0:
                raise RuntimeError("centralino apply failed (exit %d)\nstdout:\n%s\nstderr:\n%s"
                                   % (res.returncode, res.stdout, res.stderr))
        unknown = set(tls_listeners) - set(TLS_LISTENERS)
        assert not unknown, "unknown TLS listeners %s" % sorted(unknown)
        self.tls = tls
        self.listeners = PLAIN_LISTENERS + (tuple(tls_listeners) if tls else ())
        for listener in LISTENERS:
            setattr(self, listener + "_port", None)
        self.extra_args = list(extra_args)
        self.log_level = log_level
        self.log_path = self.workdir / "serve.stderr.log"
        self.proc: Optional[subprocess.Popen] = None
        self.generation = 0
        self.start()

    # -- start and stop -------------------------------------------------------------------------

    def start(self) -> None:
        """Starts serve on fresh free ports; a port taken before serve binds it is retried."""
        for attempt in range(START_ATTEMPTS):
            try:
                self._start_once()
                break
            except RuntimeError as error:
                if "Address already in use" not in str(error) or attempt == START_ATTEMPTS - 1:
                    raise
        if self not in Server.running:
            Server.running.append(self)

    def _start_once(self) -> None:
        ports = dict(zip(self.listeners, free_ports(len(self.listeners))))
        args: List[str] = []
        for listener, (flag, _) in LISTENERS.items():
            setattr(self, listener + "_port", ports.get(listener))
            if listener in ports:
                args += [flag, "127.0.0.1:%d" % ports[listener]]
            elif self.tls is not None:
                args += [flag, "off"]
        if self.tls is not None:
            args += ["--tls-cert", str(self.tls[0]), "--tls-key", str(self.tls[1])]
        if self.log_level:
            args += ["--log-level", self.log_level]
        self.cmd = [centralino_bin(), "serve"] + store_args(self.data_dir) + args + self.extra_args
        self.generation += 1
        self.stdout_lines: List[str] = []
        self._ready = {listener: threading.Event() for listener in self.listeners}
        log_start = self.log_size()
        self._log = open(self.log_path, "ab")
        self._log.write(("\n===== start #%d: %s\n" % (self.generation, " ".join(self.cmd))).encode())
        self._log.flush()
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=self._log,
                                     stdin=subprocess.DEVNULL, cwd=str(REPO_ROOT))
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + READY_TIMEOUT
        while not all(event.is_set() for event in self._ready.values()):
            time.sleep(0.02)
            if self.proc.poll() is not None or time.monotonic() > deadline:
                why = ("exited with %s" % self.proc.returncode if self.proc.poll() is not None
                       else "did not print every ready line within %.0fs" % READY_TIMEOUT)
                missing = ["%s on %d" % (listener, ports[listener])
                           for listener, event in self._ready.items() if not event.is_set()]
                self.stop()
                raise RuntimeError("centralino serve %s (no ready line for %s)\ncmd: %s\nstdout:\n%s\nstderr:\n%s"
                                   % (why, ", ".join(missing), " ".join(self.cmd), "".join(self.stdout_lines),
                                      tail(self.log_text(log_start), 80)))

    def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            self.stdout_lines.append(line)
            for listener, event in self._ready.items():
                m = LISTENERS[listener][1].search(line)
                if m and int(m.group(1)) == getattr(self, listener + "_port"):
                    event.set()

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM, then kill after `timeout`; returns the exit status."""
        if self in Server.running:
            Server.running.remove(self)
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(2)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()
        return self.proc.returncode

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- what it said ---------------------------------------------------------------------------

    def log_text(self, start: int = 0) -> str:
        """serve's stderr from byte `start` (a `log_size()` taken earlier) on."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(start)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    @property
    def http_url(self) -> str:
        return "http://127.0.0.1:%d" % self.http_port

    @property
    def https_url(self) -> str:
        return "https://127.0.0.1:%d" % self.https_port

    def apply(self, yaml_text: str, filename: str = "reapply.yaml") -> subprocess.CompletedProcess:
        """`centralino apply` another YAML to this server's data directory (serve reloads it)."""
        f = self.workdir / filename
        f.write_text(yaml_text)
        return run_apply(self.data_dir, f)

    def describe(self) -> str:
        return ", ".join("%s %d" % (listener.replace("_", " "), getattr(self, listener + "_port"))
                         for listener in self.listeners)


# -- pytest plumbing (imported by the suites' conftests) ---------------------------------------

def start_server_fixture(make=Server):
    """A `start_server(extra_args=None, yaml_text=None, name="extra", **kwargs)` fixture: servers made
    by `make(workdir, ...)` for one test, stopped at its end."""

    @pytest.fixture
    def start_server(tmp_path_factory):
        started: List[Server] = []

        def _start(extra_args=None, yaml_text=None, name="extra", **kwargs):
            srv = make(tmp_path_factory.mktemp(name), extra_args=extra_args, yaml_text=yaml_text, name=name,
                       **kwargs)
            started.append(srv)
            return srv

        yield _start
        for srv in started:
            srv.stop()

    return start_server


@pytest.fixture
def peer_log(request):
    """Tests append (title, text) for every peer run; shown when the test fails."""
    entries: List[Tuple[str, str]] = []
    request.node._peer_log = entries
    return lambda title, text: entries.append((title, text))


LOG_LINES_IN_REPORT = 250


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item._server_log_offsets = {id(s): s.log_size() for s in Server.running}
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test's report gets what its peers said and every running server's log written
    during the test (the whole log of a server started by the test)."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for title, text in getattr(item, "_peer_log", []):
        report.sections.append(("peer: " + title, text))
    offsets = getattr(item, "_server_log_offsets", {})
    for srv in list(Server.running):
        lines = srv.log_text(offsets.get(id(srv), 0)).splitlines()[-LOG_LINES_IN_REPORT:]
        report.sections.append(("centralino %s stderr (%s; during this test)" % (srv.name, srv.describe()),
                                "\n".join(lines) or "(empty)"))
        if not srv.alive:
            report.sections.append(("centralino %s" % srv.name, "server process exited with %s" % srv.proc.returncode))
