"""SIPp's -trace_msg file, read back (the sip and calls suites' SIPp runners)."""

from __future__ import annotations

import re
from typing import List, Tuple


def sipp_blocks(text: str) -> List[Tuple[str, str]]:
    """(direction "sent"/"received", message text with \\n line ends) pairs from a SIPp -trace_msg file."""
    out = []
    for ch in re.split(r"(?m)^-{20,}.*$", text):
        m = re.search(r"(?m)^\s*(UDP|TCP) message (sent|received)[^\n]*\n", ch)
        if not m:
            continue
        body = ch[m.end():].strip("\n")
        body = "\n".join(ln.rstrip("\r") for ln in body.splitlines())
        out.append((m.group(2), body.strip() + "\n"))
    return out
