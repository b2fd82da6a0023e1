"""TLS to PostgreSQL (docs/cluster.md, "TLS to PostgreSQL"), against the real binaries: a private
PostgreSQL with ssl=on, a self-signed certificate (tests/common/tlspair.py) and a pg_hba.conf that
takes TCP connections over TLS only (`hostssl`, SCRAM password), and `centralino` with `--database`.

- a node with `?sslmode=require` serves: its store (a phone's REGISTER stored) and its cluster
  connections (heartbeat) work, every connection of it to the server is TLS (pg_stat_ssl);
- without sslmode the node does not start: a clear error naming the missing TLS, nothing listened;
- `verify-full` with `sslrootcert=` the server's certificate works; with another certificate as root
  the connection is refused (certificate not trusted), before anything is written.
"""

from __future__ import annotations

import subprocess

import pytest

import calltools as ct
import pgserver
import sipwire
import tlspair
from calltools import DOMAIN_A, PASSWORDS, TENANT_A_UUID

PASSWORD = "tls-s3cret"
HBA = ("local all all trust\n"
       "hostssl all all 127.0.0.1/32 scram-sha-256\n"
       "hostnossl all all 0.0.0.0/0 reject\n")


@pytest.fixture(scope="module")
def tls_pg(tmp_path_factory):
    base = tmp_path_factory.mktemp("pgtls")
    cert, key = tlspair.make_pair(base)
    other_dir = base / "other"
    other_dir.mkdir()
    other_cert, _ = tlspair.make_pair(other_dir)
    pg = pgserver.PrivatePostgres(tls=(cert, key), hba=HBA, password=PASSWORD)
    try:
        yield pg, cert, other_cert
    finally:
        pg.stop()


def url_of(pg, database: str, query: str = "") -> str:
    return "postgres://%s:%s@127.0.0.1:%d/%s%s" % (pgserver.USER, PASSWORD, pg.port, database, query)


def new_database(pg) -> str:
    """A fresh database; its name."""
    url = pgserver.create_database(url_of(pg, "postgres", "?sslmode=require"))
    return url.rsplit("/", 1)[1]


def sql(pg, database: str, text: str) -> str:
    return pgserver.psql(url_of(pg, database, "?sslmode=require"), text)


def apply(tmp_path, url: str) -> subprocess.CompletedProcess:
    tmp_path.mkdir(parents=True, exist_ok=True)
    yaml = tmp_path / "provisioning.yaml"
    yaml.write_text(ct.provisioning_yaml(*ct.free_ports(3)))
    return subprocess.run([ct.centralino_bin(), "apply", "--data-dir", str(tmp_path / "data"), "--database", url, str(yaml)],
                          capture_output=True, text=True, timeout=60)


def test_the_server_refuses_plain_connections(tls_pg):
    pg, _, _ = tls_pg
    with pytest.raises(RuntimeError, match="no encryption"):
        pgserver.psql(url_of(pg, "postgres", "?sslmode=disable"), "SELECT 1")


def test_a_node_with_sslmode_require_serves_over_tls(tls_pg, tmp_path):
    pg, _, _ = tls_pg
    database = new_database(pg)
    url = url_of(pg, database, "?sslmode=require")
    with pgserver.store_in(tmp_path / "n1" / "data", url):
        node = ct.Server(tmp_path / "n1", name="n1",
                         extra_args=["--node-id", "n1", "--cluster-heartbeat-seconds", "1", "--cluster-failover-seconds", "4"])
    try:
        with sipwire.SipClient(node.sip_port) as phone:
            _, final = phone.register("100", PASSWORDS[(DOMAIN_A, "100")], DOMAIN_A,
                                      contacts=["<sip:100@127.0.0.1:%d>" % phone.local[1]], expires=600)
        assert final.status == 200, final.text()
        stored = lambda: sql(pg, database, "SELECT r.extension FROM registration r JOIN tenant t ON t.id = r.tenant_id "
                                           "WHERE t.uuid = '%s'" % TENANT_A_UUID)
        assert ct.wait_until(lambda: stored() == "100", 5), "the REGISTER was not stored: %r\n%s" % (
            stored(), node.log_text()[-3000:])
        # The cluster's own connections (heartbeat, event bus) work over TLS too.
        beat = lambda: sql(pg, database, "SELECT heartbeat_at IS NOT NULL FROM cluster_node WHERE node_id = 'n1'")
        assert ct.wait_until(lambda: beat() == "t", 5), node.log_text()[-3000:]
        rows = sql(pg, database, "SELECT s.ssl, s.version FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid "
                                 "WHERE a.datname = '%s' AND a.application_name <> 'psql'" % database).splitlines()
        assert len(rows) >= 3, "the store's and the cluster's connections: %s" % rows
        assert all(r.startswith("t|TLSv1.") for r in rows), rows
    finally:
        node.stop()


def test_without_sslmode_the_node_refuses_to_start(tls_pg, tmp_path):
    pg, _, _ = tls_pg
    database = new_database(pg)
    res = apply(tmp_path, url_of(pg, database))
    assert res.returncode != 0, res.stdout
    assert "no encryption" in res.stderr and "sslmode=require" in res.stderr, res.stderr
    assert PASSWORD not in res.stderr + res.stdout
    res = subprocess.run([ct.centralino_bin(), "serve", "--data-dir", str(tmp_path / "data"), "--database", url_of(pg, database),
                          "--sip-bind", "127.0.0.1:0", "--ami-bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode != 0, res.stdout
    assert "no encryption" in res.stderr and "sslmode=require" in res.stderr, res.stderr
    assert "listening" not in res.stdout, res.stdout
    assert PASSWORD not in res.stderr + res.stdout


def test_verify_full_checks_the_server_certificate(tls_pg, tmp_path):
    pg, cert, other_cert = tls_pg
    database = new_database(pg)
    good = apply(tmp_path / "good", url_of(pg, database, "?sslmode=verify-full&sslrootcert=%s" % cert))
    assert good.returncode == 0, good.stderr
    assert sql(pg, database, "SELECT count(*) FROM tenant WHERE uuid = '%s'" % TENANT_A_UUID) == "1"
    database = new_database(pg)
    bad = apply(tmp_path / "bad", url_of(pg, database, "?sslmode=verify-full&sslrootcert=%s" % other_cert))
    assert bad.returncode != 0, bad.stdout
    assert "certificate" in bad.stderr.lower() or "handshake" in bad.stderr.lower(), bad.stderr
    assert sql(pg, database, "SELECT count(*) FROM pg_tables WHERE tablename = 'tenant'") == "0"
    missing = apply(tmp_path / "missing", url_of(pg, database, "?sslmode=verify-full&sslrootcert=%s" % (tmp_path / "none.pem")))
    assert missing.returncode != 0 and "sslrootcert" in missing.stderr, missing.stderr
