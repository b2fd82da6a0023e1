"""The web suite's servers run on tests/common/server.py (no provisioning: serve bootstraps the
`default` tenant); a failing test's report gets every running server's log written during it."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from server import pytest_runtest_makereport, pytest_runtest_protocol  # noqa: E402,F401  (logs in failure reports)
