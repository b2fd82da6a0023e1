"""`centralino apply`: validation errors name line and field and apply nothing;
a valid re-apply reaches the running server quickly."""

from __future__ import annotations

import re
import time

from amiwire import AMIConn, build, failed_login, login_conn, ok_login
from conftest import SECRETS, provisioning_yaml, run_apply

NEW_USER_A = """\
      - username: newbie1
        password: n3wbie1
        permit: ["127.0.0.0/8"]
        read: call
        write: call
"""


def insert_after_ami_users(yaml_text: str, tenant: str, block: str) -> str:
    """Insert `block` right after the `ami_users:` line of `tenant`."""
    lines = yaml_text.splitlines(keepends=True)
    in_tenant = False
    for i, line in enumerate(lines):
        if line.startswith("  - name: "):
            in_tenant = line.strip() == "- name: %s" % tenant
        if in_tenant and line.strip() == "ami_users:":
            return "".join(lines[:i + 1]) + block + "".join(lines[i + 1:])
    raise AssertionError("tenant %s not found" % tenant)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    n = 0
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            n += 1
            if n == occurrence:
                return i
    raise AssertionError("%r not found" % needle)


def try_login(port: int, user: str, secret: str) -> bytes:
    conn = AMIConn(port)
    try:
        return conn.login(user, secret, events="off")
    finally:
        conn.close()


def assert_mentions_line(stderr: str, lines: list[int], field: str):
    assert stderr.strip(), "no error message on stderr"
    assert field in stderr.lower(), "error does not name the field %r:\n%s" % (field, stderr)
    assert any(re.search(r"(?<!\d)%d(?!\d)" % n, stderr) for n in lines), \
        "error does not name line %s:\n%s" % (" or ".join(map(str, lines)), stderr)


def test_invalid_files_are_rejected_and_apply_nothing(server):
    base = provisioning_yaml(rotator_password="r0tate-bad")  # would change rotator if applied

    # 1. a bad permit entry on an otherwise valid new user
    bad_permit = insert_after_ami_users(base, "acme", NEW_USER_A + """\
      - username: newbie2
        password: n3wbie2
        permit: ["127.0.0.1/32", "10.0.0.300/8"]
""")
    res = server.apply(bad_permit, "bad-permit.yaml")
    assert res.returncode != 0, "apply accepted permit 10.0.0.300/8\nstdout: %s\nstderr: %s" % (
        res.stdout, res.stderr)
    assert_mentions_line(res.stderr, [line_of(bad_permit, "10.0.0.300/8")], "permit")

    # 2. the same AMI username in two tenants
    dup = insert_after_ami_users(base, "acme", NEW_USER_A)
    dup = insert_after_ami_users(dup, "globex", """\
      - username: monitor
        password: dupl1cate
""")
    res = server.apply(dup, "dup-user.yaml")
    assert res.returncode != 0, "apply accepted a duplicate AMI username across tenants\nstderr: %s" % res.stderr
    assert_mentions_line(res.stderr, [line_of(dup, "username: monitor", 1),
                                      line_of(dup, "username: monitor", 2)], "username")

    # 3. not YAML at all
    res = server.apply("tenants:\n  - name: [unclosed\n    domain: x\n", "broken.yaml")
    assert res.returncode != 0
    assert res.stderr.strip()

    # Nothing was applied.  The server polls the directory every 250 ms, so a wrongly applied file
    # would show up well within this.
    time.sleep(1.5)
    assert try_login(server.port, "newbie1", "n3wbie1") == failed_login()
    assert try_login(server.port, "rotator", "r0tate-bad") == failed_login()
    assert try_login(server.port, "rotator", SECRETS["rotator"]) == ok_login("rotator")
    assert try_login(server.port, "monitor", "dupl1cate") == failed_login()
    assert try_login(server.port, "monitor", SECRETS["monitor"]) == ok_login("monitor")


def test_reapply_changes_password_while_running(server):
    # a session of an unchanged user, open across the re-apply
    watcher = login_conn(server.port, "monitor", SECRETS["monitor"], events="off")
    try:
        assert try_login(server.port, "rotator", SECRETS["rotator"]) == ok_login("rotator")
        res = server.apply(provisioning_yaml(rotator_password="r0tate-new"), "rotate.yaml")
        assert res.returncode == 0, "valid re-apply failed: %s" % res.stderr
        t0 = time.monotonic()
        while True:
            resp = try_login(server.port, "rotator", "r0tate-new")
            if resp == ok_login("rotator"):
                break
            assert resp == failed_login(), resp
            assert time.monotonic() - t0 < 5.0, "new password not accepted within 5 s of apply"
        assert try_login(server.port, "rotator", SECRETS["rotator"]) == failed_login(), \
            "old password still works after the re-apply"
        watcher.send(build([("Action", "Ping"), ("ActionID", "after-apply")]))
        assert watcher.read_message().startswith(b"Response: Success\r\nActionID: after-apply\r\n")
    finally:
        watcher.close()
        # restore, so that test order does not matter
        res = server.apply(provisioning_yaml(), "restore.yaml")
        assert res.returncode == 0, res.stderr
        t0 = time.monotonic()
        while try_login(server.port, "rotator", SECRETS["rotator"]) != ok_login("rotator"):
            assert time.monotonic() - t0 < 5.0, "restoring the rotator password did not take effect"


def test_apply_error_on_fresh_data_dir(tmp_path):
    f = tmp_path / "bad.yaml"
    text = insert_after_ami_users(provisioning_yaml(), "acme", """\
      - username: newbie9
        password: x
        permit: ["10.0.0.300/8"]
""")
    f.write_text(text)
    res = run_apply(tmp_path / "data", f)
    assert res.returncode != 0
    assert_mentions_line(res.stderr, [line_of(text, "10.0.0.300/8")], "permit")
