"""Replay the Asterisk 20 reference transcripts byte for byte.

For each scenario the client chunks (split by the chunk sizes listed in the
annotated .txt) are sent from ``NAME.c2s.raw``; after each chunk we read until
the server has sent as many message terminators as Asterisk had sent by the
time the next client chunk went out.  The whole received stream is then
compared with ``NAME.s2c.raw`` after masking only the values that must differ
(challenge, timestamps, session ids, ports, uptime).  An MD5 ``Key`` that was
valid for Asterisk's challenge is recomputed for ours.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path
from typing import List, Tuple

import pytest

from amiwire import AMIConn, AMIError, TERM
from conftest import SECRETS

REF_DIR = Path(os.environ.get("CENTRALINO_REFERENCE_DIR", "")) if os.environ.get(
    "CENTRALINO_REFERENCE_DIR") else None
if REF_DIR is None:
    # the Asterisk 20 transcripts are kept in the repository: tests/fixtures/reference/asterisk-20
    REF_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "reference" / "asterisk-20"

SCENARIOS = [
    "a01_banner_login_success_crm",
    "a01b_login_success_monitor_readall",
    "a02_login_failure_wrong_secret",
    "a02b_login_failure_unknown_user",
    "a02c_actions_before_login",
    "a03_unknown_action",
    "a04_ping",
    "a05_challenge_md5_login",
    "a05b_challenge_md5_login_wrong_key",
    "a05c_challenge_unsupported_authtype",
    "a06_events",
    "a06b_login_with_events_call",
    "a06b_login_with_events_off",
    "a06b_login_with_events_on",
    "a07_listcommands_crm",
    "a07_listcommands_monitor",
    "a08_logoff",
    "a09_single_session_sequence",
    "b6_originate_without_permission.noorig",
]

CHUNK_RE = re.compile(r"^## t=[0-9.]+ ([CS]) (?:\((\d+) bytes\)|<EOF)")

# Values that legitimately differ between two servers / two runs.
MASKS = [
    (re.compile(rb"(?m)^(Challenge: )\d{1,9}(?=\r\n)"), rb"\1<CHALLENGE>"),
    (re.compile(rb"(?m)^(Timestamp: )\d+\.\d{6}(?=\r\n)"), rb"\1<TIMESTAMP>"),
    (re.compile(rb"(?m)^(EventTV: |SessionTV: )\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}(?=\r\n)"),
     rb"\1<TV>"),
    (re.compile(rb"(?m)^(SessionID: )0x[0-9a-f]+(?=\r\n)"), rb"\1<SESSIONID>"),
    (re.compile(rb"(?m)^((?:Local|Remote)Address: IPV4/TCP/127\.0\.0\.1/)\d+(?=\r\n)"), rb"\1<PORT>"),
    (re.compile(rb"(?m)^(Uptime: |LastReload: )\d+(?=\r\n)"), rb"\1<SECONDS>"),
]


def mask(data: bytes) -> bytes:
    for rx, repl in MASKS:
        data = rx.sub(repl, data)
    return data


def load_scenario(name: str):
    """Returns (client_chunks, expected_terminators_after_each_chunk, expect_eof, s2c)."""
    txt = (REF_DIR / f"{name}.txt").read_text()
    c2s = (REF_DIR / f"{name}.c2s.raw").read_bytes()
    s2c = (REF_DIR / f"{name}.s2c.raw").read_bytes()
    chunks: List[Tuple[str, int]] = []
    expect_eof = False
    for line in txt.splitlines():
        m = CHUNK_RE.match(line)
        if not m:
            continue
        if m.group(2) is None:
            expect_eof = True
        else:
            chunks.append((m.group(1), int(m.group(2))))
    assert sum(n for d, n in chunks if d == "C") == len(c2s), name
    assert sum(n for d, n in chunks if d == "S") == len(s2c), name

    client_chunks: List[bytes] = []
    # cumulative number of server message terminators seen before each client chunk
    # is sent, and at the very end.
    waits: List[int] = []
    cpos = spos = 0
    for direction, n in chunks:
        if direction == "C":
            waits.append(s2c[:spos].count(TERM))
            client_chunks.append(c2s[cpos:cpos + n])
            cpos += n
        else:
            spos += n
    waits.append(s2c.count(TERM))
    # waits[i] = terminators to read before sending chunk i; waits[-1] = at the end
    return client_chunks, waits, expect_eof, s2c


def fix_md5_key(chunk: bytes, ref_challenge: bytes, our_challenge: bytes) -> bytes:
    """If chunk is a Login carrying a Key that was correct for Asterisk's
    challenge, replace it with the key for ours (same user/secret)."""
    user = re.search(rb"(?mi)^Username: (\S+)\r\n", chunk)
    key = re.search(rb"(?mi)^Key: ([0-9a-f]{32})\r\n", chunk)
    if not (user and key):
        return chunk
    secret = SECRETS.get(user.group(1).decode())
    if secret is None:
        return chunk
    if hashlib.md5(ref_challenge + secret.encode()).hexdigest().encode() != key.group(1):
        return chunk  # deliberately wrong key: keep it wrong
    new_key = hashlib.md5(our_challenge + secret.encode()).hexdigest().encode()
    return chunk.replace(b"Key: " + key.group(1), b"Key: " + new_key)


CHALLENGE_RE = re.compile(rb"(?m)^Challenge: (\d+)\r\n")


def replay(port: int, name: str) -> Tuple[bytes, bytes, bool]:
    """Returns (bytes we received, Asterisk's s2c bytes, whether we saw EOF)."""
    client_chunks, waits, expect_eof, s2c = load_scenario(name)
    ref_chal = CHALLENGE_RE.search(s2c)
    conn = AMIConn(port, read_banner=False)
    try:
        def wait_for(n_terms: int) -> bool:
            """Banner line, then n_terms message terminators in total.
            False if the server closed or stayed silent for 5 s."""
            deadline = time.monotonic() + 5.0
            while b"\r\n" not in conn.raw or conn.raw.count(TERM) < n_terms:
                try:
                    if not conn._fill(deadline):
                        return False
                except AMIError:
                    return False
            return True

        for i, chunk in enumerate(client_chunks):
            if not wait_for(waits[i]):
                # closed early or silent: compare what we have
                return conn.raw, s2c, conn.eof
            if ref_chal is not None:
                ours = CHALLENGE_RE.search(conn.raw)
                if ours is not None:
                    chunk = fix_md5_key(chunk, ref_chal.group(1), ours.group(1))
            conn.send(chunk)
        wait_for(waits[-1])
        got_eof = conn.eof
        if expect_eof and not got_eof:
            try:
                conn.read_until_eof(timeout=3.0)
                got_eof = True
            except AssertionError:
                got_eof = False
        return conn.raw, s2c, got_eof
    finally:
        conn.close()


def split_messages(data: bytes) -> List[bytes]:
    """Banner line first, then each message with its terminator."""
    out = []
    if data.startswith(b"Asterisk Call Manager/"):
        line, _, data = data.partition(b"\r\n")
        out.append(line + b"\r\n")
    while data:
        msg, sep, data = data.partition(TERM)
        out.append(msg + sep)
    return out


def assert_same_stream(got: bytes, want: bytes, name: str):
    g, w = mask(got), mask(want)
    if g == w:
        return
    gm, wm = split_messages(g), split_messages(w)
    for i, (a, b) in enumerate(zip(gm, wm)):
        if a != b:
            pytest.fail("%s: message #%d differs\n--- Asterisk 20 sent:\n%r\n--- Centralino sent:\n%r"
                        % (name, i, b, a))
    pytest.fail("%s: message count differs (Asterisk %d, Centralino %d)\n"
                "--- Asterisk extra: %r\n--- Centralino extra: %r"
                % (name, len(wm), len(gm), wm[len(gm):], gm[len(wm):]))


LIST_LINE_RE = re.compile(rb"^[A-Za-z][A-Za-z0-9]*: .+  \(Priv: (<none>|[a-z]+(,[a-z]+)*,all)\)$")


def strip_list_lines(data: bytes) -> Tuple[bytes, List[bytes]]:
    """Remove the per-action lines of the (only) ListCommands response."""
    msgs = split_messages(data)
    lines_out: List[bytes] = []
    for i, m in enumerate(msgs):
        lines = m.split(b"\r\n")
        if any(b"(Priv: " in ln for ln in lines):
            kept = [ln for ln in lines if b"(Priv: " not in ln]
            lines_out = [ln for ln in lines if b"(Priv: " in ln]
            msgs[i] = b"\r\n".join(kept)
    return b"".join(msgs), lines_out


@pytest.mark.parametrize("name", SCENARIOS)
def test_reference_transcript(server, name):
    got, want, got_eof = replay(server.port, name)
    if name == "a07_listcommands_monitor":
        # We are PJSIP-only (no chan_sip, Sorcery, DB, ...): the monitor's
        # list legitimately differs.  Everything else must match.
        got_rest, got_lines = strip_list_lines(got)
        want_rest, _ = strip_list_lines(want)
        assert_same_stream(got_rest, want_rest, name)
        assert got_lines, "ListCommands returned no action lines"
        bad = [ln for ln in got_lines if not LIST_LINE_RE.match(ln)]
        assert not bad, "malformed ListCommands lines: %r" % bad[:5]
    else:
        assert_same_stream(got, want, name)
    assert got_eof, "%s: Asterisk closed the connection at the end; Centralino did not" % name


def _ref_list_lines(name: str) -> List[bytes]:
    return strip_list_lines((REF_DIR / f"{name}.s2c.raw").read_bytes())[1]


# Actions Centralino implements: their ListCommands line must equal Asterisk's.
CORE_ACTIONS = [b"Challenge", b"CoreSettings", b"CoreStatus", b"Events", b"ListCommands",
                b"Login", b"Logoff", b"Originate", b"Ping", b"UserEvent", b"WaitEvent"]


def test_listcommands_monitor_core_lines(server):
    """The monitor list may differ, but the lines of the actions we do
    implement must be Asterisk's, and the list must be in Asterisk's
    (case-insensitive alphabetical) order."""
    got, _, _ = replay(server.port, "a07_listcommands_monitor")
    _, got_lines = strip_list_lines(got)
    ref = {ln.split(b":", 1)[0]: ln for ln in _ref_list_lines("a07_listcommands_monitor")}
    ours = {ln.split(b":", 1)[0]: ln for ln in got_lines}
    for action in CORE_ACTIONS:
        assert action in ours, "monitor's ListCommands lacks %s" % action.decode()
        assert ours[action] == ref[action], "ListCommands line for %s:\n Asterisk: %r\n ours:     %r" % (
            action.decode(), ref[action], ours[action])
    names = [ln.split(b":", 1)[0] for ln in got_lines]
    assert names == sorted(names, key=lambda n: n.lower()), "ListCommands not sorted like Asterisk"
