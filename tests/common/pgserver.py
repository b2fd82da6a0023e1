"""A private PostgreSQL server for the tests: Debian's PostgreSQL binaries, a fresh data directory
in a temporary directory, a free port on 127.0.0.1, trust authentication, no socket outside the
temporary directory. PostgreSQL refuses to run as root, so as root (CI) initdb, pg_ctl and the
server run as the Debian `postgres` user through runuser.

As a module: `PrivatePostgres()` starts one, `.url` is its base URL, `.create_database()` makes a
fresh database and returns its URL, `.stop()` stops it and removes its files.

As a command (scripts/test.sh):
    python3 tests/common/pgserver.py start DIR   prints the base URL; the server's files in DIR
    python3 tests/common/pgserver.py stop DIR
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

USER = "centralino"


def bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (Debian package postgresql; tests/cluster/install.sh)")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """`tls`: (cert.pem, key.pem) to run with ssl=on; `hba`: the pg_hba.conf text to use instead of
    initdb's (e.g. hostssl-only lines); `password`: set for the superuser (over the local socket) once
    started; `user`: the superuser's name (default USER)."""

    def __init__(self, base: Optional[Path] = None, start: bool = True, tls: Optional[Tuple[Path, Path]] = None,
                 hba: Optional[str] = None, password: Optional[str] = None, user: str = USER):
        self.bindir = bindir()
        self.user = user
        self.base = Path(base) if base else Path(tempfile.mkdtemp(prefix="centralino-pg-"))
        self.base.mkdir(parents=True, exist_ok=True)
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"
        self.port_file = self.base / "port"
        self.as_user: List[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        if not start:
            self.port = int(self.port_file.read_text())
            return
        self.port = free_port()
        self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust",
                   "-E", "UTF8", "--no-locale", "--no-sync"])
        options = "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" % (self.port, self.base)
        if tls is not None:
            # The server reads its key only when it is the key's owner with mode 0600.
            for source, name in ((tls[0], "server.crt"), (tls[1], "server.key")):
                target = self.base / name
                shutil.copy(source, target)
                target.chmod(0o600)
                self._own(target)
            options += " -c ssl=on -c ssl_cert_file=%s -c ssl_key_file=%s" % (self.base / "server.crt", self.base / "server.key")
        if hba is not None:
            (self.data / "pg_hba.conf").write_text(hba)
            self._own(self.data / "pg_hba.conf")
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
                   "-o", options, "start"])
        self.port_file.write_text(str(self.port))
        if password is not None:
            self._run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.base), "-p", str(self.port),
                       "-U", self.user, "-d", "postgres", "-c", "ALTER ROLE %s PASSWORD '%s'" % (self.user, password.replace("'", "''"))])

    def _own(self, path: Path) -> None:
        if self.as_user:
            pw = pwd.getpwnam("postgres")
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _run(self, cmd: List[str]) -> str:
        res = subprocess.run(self.as_user + cmd, capture_output=True, text=True, timeout=60, cwd=str(self.base))
        if res.returncode != 0:
            raise RuntimeError("%s failed (%d):\n%s\n%s\nlog:\n%s" % (
                cmd[0], res.returncode, res.stdout, res.stderr,
                self.log.read_text() if self.log.exists() else ""))
        return res.stdout

    @property
    def url(self) -> str:
        return "postgres://%s@127.0.0.1:%d/postgres" % (self.user, self.port)

    def stop(self) -> None:
        try:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def psql(base_url: str, sql: str) -> str:
    """Runs `sql` in the database of `base_url` (postgres://user@host:port/db, no password)."""
    res = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-d", base_url, "-c", sql],
                         capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        raise RuntimeError("psql failed: %s\n%s" % (sql, res.stderr))
    return res.stdout.strip()


def create_database(base_url: str) -> str:
    """A fresh, empty database on the server of `base_url`; returns its URL."""
    name = "c_" + secrets.token_hex(6)
    psql(base_url, "CREATE DATABASE %s" % name)
    return base_url.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    psql(base + "/postgres", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


@contextlib.contextmanager
def store_in(data_dir: Path, url: str) -> Iterator[None]:
    """While inside, a test `Server` made on `data_dir` applies its YAML to and serves from the
    PostgreSQL store `url` (`--database`), as cluster nodes sharing one store do: server.py's
    `database_url` reads the data directory's marker file while CENTRALINO_TEST_DATABASE is set."""
    from server import DATABASE_URL_FILE
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    (Path(data_dir) / DATABASE_URL_FILE).write_text(url)
    saved = os.environ.get("CENTRALINO_TEST_DATABASE")
    os.environ["CENTRALINO_TEST_DATABASE"] = saved or url
    try:
        yield
    finally:
        if saved is None:
            del os.environ["CENTRALINO_TEST_DATABASE"]


def main(argv: List[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print("usage: pgserver.py start|stop DIR", file=sys.stderr)
        return 2
    if argv[1] == "start":
        print(PrivatePostgres(Path(argv[2])).url)
    else:
        PrivatePostgres(Path(argv[2]), start=False).stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
