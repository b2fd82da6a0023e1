"""A self-signed certificate and key for the TLS tests (`openssl req -x509`, CN and subjectAltName
127.0.0.1 / localhost), and a client context that verifies the servers' certificate against it."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path
from typing import Tuple


def make_pair(directory: Path) -> Tuple[Path, Path]:
    """(cert.pem, key.pem) made in `directory`."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def client_context(cert: Path) -> ssl.SSLContext:
    """Verifies the server against `cert`; TLS 1.2 at least."""
    ctx = ssl.create_default_context(cafile=str(cert))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx
