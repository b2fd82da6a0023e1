"""What every suite's `centralino serve` runner shares: ready-line detection on stdout, the stderr log,
and a clean stop (SIGTERM, then kill). Each suite's Server subclasses it and only says how it starts
and which ready lines it waits for."""

from __future__ import annotations

import signal
import subprocess
import threading
from pathlib import Path
from typing import List, Optional, Pattern, Tuple


class ServeProcess:
    """Base of the suites' Server classes. Subclasses set `proc`, `log_path`, `_log`, `stdout_lines`,
    start `_reader` on `_read_stdout`, and define `running` (servers to report on when a test fails)."""

    running: List["ServeProcess"] = []
    proc: Optional[subprocess.Popen]
    log_path: Path
    stdout_lines: List[str]
    _reader: threading.Thread

    def ready_checks(self) -> List[Tuple[Pattern[str], int, threading.Event]]:
        """(pattern with the port as group 1, expected port, event set when seen)."""
        raise NotImplementedError

    def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            self.stdout_lines.append(line)
            for pattern, port, event in self.ready_checks():
                m = pattern.search(line)
                if m and int(m.group(1)) == port:
                    event.set()

    def log_text(self, start: int = 0) -> str:
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
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        if self in type(self).running:
            type(self).running.remove(self)
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
