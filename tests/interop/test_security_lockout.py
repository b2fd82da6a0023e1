"""The login lockout cannot be dodged with someone else's success (issue 9, defect 6).

Failures are counted per (address, account) and per address; a valid login forgets only its own
account's failures from that address. Before, one valid login cleared the whole address, so tenant
A's CRM could guess tenant B's AMI password forever by logging in with its own account every four
guesses.
"""

from __future__ import annotations

from amiwire import AMIConn, BANNER, build, failed_login, login_conn
from conftest import SECRETS

ARGS = ["--ami-auth-delay-ms", "20", "--ami-lockout-failures", "5",
        "--ami-lockout-window", "60", "--ami-lockout-duration", "300"]


def login_response(port: int, username: str, secret: str, source: str, action_id: str) -> bytes:
    conn = AMIConn(port, source=source)
    try:
        assert conn.banner == BANNER
        conn.send(build([("Action", "Login"), ("Username", username), ("Secret", secret),
                         ("ActionID", action_id)]))
        return conn.read_message(5.0)
    finally:
        conn.close()


def test_own_success_every_four_guesses_does_not_reset_the_victims_failures(start_server):
    srv = start_server(ARGS, name="lockout-reset")
    attacker = "127.0.0.7"
    outcomes = []
    # Tenant A's user (monitor) guesses tenant B's user (other) and logs in as itself every 4 tries.
    for round_ in range(6):
        for guess in range(4):
            resp = login_response(srv.port, "other", "guess-%d-%d" % (round_, guess), attacker, "g")
            assert resp == failed_login("g"), resp
        resp = login_response(srv.port, "monitor", SECRETS["monitor"], attacker, "own")
        outcomes.append(resp.startswith(b"Response: Success"))
    assert outcomes[0], "the attacker's own login works after 4 failures (below the threshold)"
    resp = login_response(srv.port, "other", SECRETS["other"], attacker, "victim")
    assert resp == failed_login("victim"), (
        "24 guesses at 'other' interleaved with valid logins of 'monitor' never locked 'other' out "
        "from %s (own logins succeeded: %r); the right password still logs in: %r" % (attacker, outcomes, resp))
    # The victim from its own address is not affected.
    login_conn(srv.port, "other", SECRETS["other"], events="off", source="127.0.0.1").close()


def test_per_account_threshold_locks_that_account_only(start_server):
    srv = start_server(["--ami-auth-delay-ms", "20", "--ami-lockout-failures", "10",
                        "--ami-lockout-account-failures", "3", "--ami-lockout-duration", "300"],
                       name="lockout-account")
    shared = "127.0.0.8"
    for guess in range(3):
        resp = login_response(srv.port, "other", "wrong-%d" % guess, shared, "w")
        assert resp == failed_login("w"), resp
    resp = login_response(srv.port, "other", SECRETS["other"], shared, "locked")
    assert resp == failed_login("locked"), "3 failures for 'other' lock it out from %s: %r" % (shared, resp)
    # Another account from the same address (below the per-address threshold) goes on.
    login_conn(srv.port, "monitor", SECRETS["monitor"], events="off", source=shared).close()


def test_account_threshold_above_address_threshold_is_refused_at_start(tmp_path):
    import subprocess
    from conftest import centralino_bin
    res = subprocess.run([centralino_bin(), "serve", "--data-dir", str(tmp_path), "--ami-lockout-failures", "3",
                          "--ami-lockout-account-failures", "4", "--ami-bind", "127.0.0.1:0",
                          "--sip-bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode != 0
    assert "--ami-lockout-account-failures" in res.stderr + res.stdout
