"""Retransmitted REGISTERs are answered by their non-INVITE server transaction (RFC 3261 §17.2.2):
the same response again, without a second digest check, nonce-count use or lockout count."""

from __future__ import annotations

import time
import uuid

import sipwire
from siptools import PASSWORDS


def _register(client: sipwire.SipClient, ext: str, cseq: int, auth: str | None, branch: str) -> bytes:
    headers = [("Max-Forwards", "70"), ("From", "<sip:%s@127.0.0.1>;tag=%s" % (ext, client.from_tag)),
               ("To", "<sip:%s@127.0.0.1>" % ext), ("Call-ID", client.call_id), ("CSeq", "%d REGISTER" % cseq),
               ("Contact", "<sip:%s@%s:%d>" % (ext, client.local[0], client.local[1])), ("Expires", "120")]
    if auth:
        headers.append(("Authorization", auth))
    return client.build("REGISTER", "sip:127.0.0.1", headers, branch=branch)


def _send_and_collect(client: sipwire.SipClient, data: bytes, copies: int, gap: float, listen: float) -> list:
    """Sends `data` `copies` times, `gap` seconds apart, and returns every final response received."""
    finals = []
    deadline = time.monotonic() + copies * gap + listen
    next_send, sent = time.monotonic(), 0
    while time.monotonic() < deadline:
        if sent < copies and time.monotonic() >= next_send:
            client.send_raw(data)
            sent += 1
            next_send = time.monotonic() + gap
        wait = min(deadline, next_send if sent < copies else deadline) - time.monotonic()
        msg = client.recv_message(max(wait, 0.01))
        if msg is not None and msg.is_response and msg.status >= 200:
            finals.append(msg)
    return finals


def test_retransmitted_register_same_response_one_digest_check(start_server):
    server = start_server(extra_args=["--sip-lockout-failures", "2"], name="regretx")
    ext, good = "1003", PASSWORDS[("default", "1003")]
    with sipwire.SipClient(server.sip_port) as client:
        challenge = client.transaction(_register(client, ext, 1, None, "z9hG4bK" + uuid.uuid4().hex))
        assert challenge.status == 401, "\n".join(client.log)
        chal = sipwire.pick_challenge(challenge)

        # A wrong password, retransmitted five times with the same branch: one digest failure only.
        wrong = sipwire.digest_authorization(chal, "REGISTER", "sip:127.0.0.1", ext, "wrong")
        finals = _send_and_collect(client, _register(client, ext, 2, wrong, "z9hG4bK" + uuid.uuid4().hex),
                                   copies=5, gap=0.15, listen=1.5)
        assert finals and all(f.status == 401 for f in finals), "\n".join(client.log)
        nonces = {f.get("www-authenticate") for f in finals}
        assert len(nonces) == 1, "retransmissions must get the same 401 (same nonce), not new challenges:\n%s" % (
            "\n".join(client.log))

        # Correct credentials, retransmitted with the same branch and nonce count: the same 200 every
        # time (a second digest check would see the nonce count reused and challenge with stale=true).
        challenge = client.transaction(_register(client, ext, 3, None, "z9hG4bK" + uuid.uuid4().hex))
        chal = sipwire.pick_challenge(challenge)
        right = sipwire.digest_authorization(chal, "REGISTER", "sip:127.0.0.1", ext, good)
        finals = _send_and_collect(client, _register(client, ext, 4, right, "z9hG4bK" + uuid.uuid4().hex),
                                   copies=4, gap=0.2, listen=1.0)
        assert len(finals) >= 2, "every retransmission must be answered:\n%s" % "\n".join(client.log)
        assert all(f.status == 200 for f in finals), "\n".join(client.log)
        assert len({f.text() for f in finals}) == 1, "retransmissions must get the same 200:\n%s" % "\n".join(client.log)

        # The lockout (2 failures) was not reached: one failure was counted, not five.
        challenge = client.transaction(_register(client, ext, 5, None, "z9hG4bK" + uuid.uuid4().hex))
        assert challenge.status == 401, "a retransmitted failure must not count toward the lockout:\n%s" % (
            "\n".join(client.log))
    assert server.log_text().count("SIP digest failed") == 1, "one digest check for five copies of a request"
