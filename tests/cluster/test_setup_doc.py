"""docs/cluster.md's three-node setup, run as written (issue 12).

The commands are not copied here: they are read from the fenced blocks of docs/cluster.md that follow
a `<!-- setup-step: NAME -->` marker, so the document and this test cannot drift apart. Each block runs
in bash on loopback with only these substitutions (class Mapping):

- the example's hosts 10.0.0.N become 127.0.0.N (PostgreSQL, 10.0.0.10, is 127.0.0.1 and its port),
  each example port (5060, 5070, 5038, 8080) a free port of that address;
- /var/lib/centralino becomes the node's own directory; /etc/centralino/db-ca.pem and
  /etc/kamailio/db-ca.pem the private PostgreSQL's certificate; deploy/kamailio/ the repository's;
  `centralino` a copy of the built binary (CENTRALINO_BIN, default .build/debug/centralino) on PATH;
- `sudo -u postgres ` is dropped: psql and createdb reach the private PostgreSQL (superuser
  `postgres`, trust authentication, ssl=on with a self-signed certificate for 127.0.0.1) through
  PGHOST/PGPORT/PGUSER.

Added for the harness only (HARNESS_*): the nodes' --rtp-ports (a private range each) and debug logs;
Kamailio's -Y/-P (its run directory) and -m/-M (memory).

Checked: the three nodes heartbeat in cluster_node, each with its own dispatcher set; every tenant of
the YAML gets a home and they are spread (not all on n1); /healthz and the cluster metrics; every
connection to PostgreSQL is TLS with the certificate verified (verify-full), the edge's as the
read-only role `edge`; a phone registers through the edge to its
tenant's home node; an AMI Originate sent to another node for that tenant is forwarded, rings the
phone through the edge, and is answered (OriginateResponse Success).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, List

import pytest

import calltools as ct
import pgserver
import tlspair
from conftest import options_ok
from calltools import AMIRecorder, DOMAIN_A, PASSWORDS, TENANT_A_UUID, TENANT_B_UUID, TENANT_C_UUID, Sipp
from server import centralino_bin

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC = REPO_ROOT / "docs" / "cluster.md"
NODES = ("n1", "n2", "n3")
NUMBER = "0391234567"
EXAMPLE_PORTS = (5060, 5070, 5038, 8080)
HARNESS_NODE_FLAGS = {"n1": ["--rtp-ports", "32000-32199"], "n2": ["--rtp-ports", "32200-32399"],
                      "n3": ["--rtp-ports", "32400-32599"]}
HARNESS_LOG_FLAGS = ["--log-level", "debug"]


def doc_steps() -> Dict[str, str]:
    """NAME -> the text of the fenced block after `<!-- setup-step: NAME -->`."""
    text = DOC.read_text()
    steps = {m.group(1): m.group(2) for m in re.finditer(
        r"<!-- setup-step: ([a-z0-9-]+) -->\n```[a-z]*\n(.*?)\n```", text, re.S)}
    return steps


def shell_lines(block: str) -> List[str]:
    """The commands of a block: continuation lines joined, comments and blank lines dropped."""
    joined = block.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


class Mapping:
    """The example's addresses, ports and paths -> loopback, free ports and temporary paths."""

    def __init__(self, pg_port: int, ca: Path):
        self.pg_port = pg_port
        self.ca = ca
        self.ports: Dict[tuple, int] = {}

    def host(self, n: int) -> str:
        return "127.0.0.1" if n == 10 else "127.0.0.%d" % n

    def port(self, n: int, port: int) -> int:
        if n == 10:
            return self.pg_port
        if (n, port) not in self.ports:
            assert port in EXAMPLE_PORTS, "an example port the test does not know: %d" % port
            self.ports[(n, port)] = ct.free_ports(1, ip=self.host(n))[0]
        return self.ports[(n, port)]

    def apply(self, text: str, data_dir: Path) -> str:
        def address(m: re.Match) -> str:
            n = int(m.group(1))
            if m.group(3):
                return "%s:%d" % (self.host(n), self.port(n, int(m.group(3))))
            if n == 10:   # PostgreSQL without a port in the URL: the private server's port
                return "%s:%d" % (self.host(n), self.pg_port)
            return self.host(n)
        out = re.sub(r"\b10\.0\.0\.(\d+)\b(:(\d+))?", address, text)
        out = out.replace("/var/lib/centralino", str(data_dir))
        out = out.replace("/etc/centralino/db-ca.pem", str(self.ca)).replace("/etc/kamailio/db-ca.pem", str(self.ca))
        out = out.replace("deploy/kamailio/", str(REPO_ROOT / "deploy" / "kamailio") + "/")
        out = re.sub(r"(^|\s)sudo -u postgres ", r"\1", out)
        assert "10.0.0." not in out, out
        return out


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    started = time.monotonic()
    steps = doc_steps()
    for name in ("database", "url", "edge-tables", "key-make", "key-install", "n1", "n2", "n3", "apply", "edge", "check"):
        assert name in steps, "docs/cluster.md lost its setup step %r" % name
    base = tmp_path_factory.mktemp("setup")
    ops = base / "ops"            # the operator's working directory
    ops.mkdir()
    cert, key = tlspair.make_pair(base)
    pg = pgserver.PrivatePostgres(tls=(cert, key), user="postgres")   # in /tmp: the postgres user reaches it
    mapping = Mapping(pg.port, cert)
    bindir = base / "bin"
    bindir.mkdir()
    # A copy: all three nodes run one build, even if the shared .build is relinked meanwhile.
    shutil.copy2(centralino_bin(), bindir / "centralino")
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ["PATH"]), PGHOST="127.0.0.1",
               PGPORT=str(pg.port), PGUSER="postgres")
    procs: List[subprocess.Popen] = []
    logs: Dict[str, Path] = {}

    def node_dir(name: str) -> Path:
        return base / name

    def run(name: str, data_dir: Path = ops) -> str:
        text = mapping.apply(steps[name], data_dir)
        res = subprocess.run(["bash", "-e", "-c", text], cwd=str(ops), env=env,
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, "step %s failed (%d):\n%s\n%s\n%s" % (name, res.returncode, text, res.stdout, res.stderr)
        return res.stdout

    def start(name: str, argv: List[str], ready) -> subprocess.Popen:
        log = base / ("%s.log" % name)
        logs[name] = log
        out = open(log, "ab")
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=str(ops), env=env, start_new_session=True)
        procs.append(proc)
        deadline = time.monotonic() + 30
        while not ready(log.read_text(errors="replace")):
            assert proc.poll() is None, "%s exited (%s):\n%s" % (name, proc.returncode, log.read_text(errors="replace")[-4000:])
            assert time.monotonic() < deadline, "%s not ready in 30 s:\n%s" % (name, log.read_text(errors="replace")[-4000:])
            time.sleep(0.05)
        return proc

    try:
        run("database")
        db = mapping.apply(shell_lines(steps["url"])[0], ops)
        assert db.startswith("DB='") and db.endswith("'"), db
        env["DB"] = db[4:-1]
        assert "sslmode=verify-full" in env["DB"]
        run("edge-tables")
        run("key-make")
        for name in NODES:
            run("key-install", node_dir(name))
            assert (node_dir(name) / "secret.key").stat().st_mode & 0o777 == 0o600
        nodes = {}
        for name in NODES:
            [command] = shell_lines(steps[name])
            mapped = mapping.apply(command, node_dir(name))
            argv = ["bash", "-c", "exec " + mapped + ' "$@"', "serve"] + HARNESS_NODE_FLAGS[name] + HARNESS_LOG_FLAGS
            http = re.search(r"--http-bind (\S+)", mapped).group(1)
            nodes[name] = {
                "proc": start(name, argv, lambda text, http=http: "on http://%s/" % http in text),
                "sip": re.search(r"--sip-bind (\S+)", mapped).group(1),
                "ami": re.search(r"--ami-bind (\S+)", mapped).group(1),
                "http": http,
            }
        trunks = ct.free_ports(3)
        (ops / "tenants.yaml").write_text(ct.provisioning_yaml(*trunks))
        run("apply", node_dir("n1"))
        # The edge: its environment (export lines), `kamailio -c`, then Kamailio in the foreground.
        edge_lines = [mapping.apply(line, ops) for line in shell_lines(steps["edge"])]
        exports = [line for line in edge_lines if line.startswith("export ")]
        check, run_edge = [line for line in edge_lines if line not in exports]
        assert " -c " in check and " -DD " in run_edge, edge_lines
        prelude = "".join(line + "\n" for line in exports)
        res = subprocess.run(["bash", "-e", "-c", prelude + check], cwd=str(ops), env=env,
                             capture_output=True, text=True, timeout=30)
        assert res.returncode == 0, "kamailio -c:\n" + res.stderr[-3000:]
        rundir = base / "kamailio-run"
        rundir.mkdir()
        listen = re.search(r"LISTEN=udp:([\d.]+):(\d+)", run_edge)
        edge = (listen.group(1), int(listen.group(2)))
        harness = " -Y %s -P %s -m 32 -M 4" % (rundir, rundir / "kamailio.pid")
        start("edge", ["bash", "-e", "-c", prelude + "exec " + run_edge + harness], lambda text: options_ok(edge, 0.3))
        print("setup steps ran in %.1f s" % (time.monotonic() - started))
        yield SimpleNamespace(pg=pg, db=env["DB"], nodes=nodes, edge=edge, trunks=trunks, run=run, logs=logs,
                              mapping=mapping, steps=steps)
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        pg.stop()


def sql(setup, text: str) -> List[List[str]]:
    out = pgserver.psql("postgres://postgres@127.0.0.1:%d/centralino" % setup.pg.port, text)
    return [line.split("|") for line in out.splitlines() if line]


def homes(setup) -> Dict[str, str]:
    return {r[0]: r[1] for r in sql(setup, "SELECT tenant_uuid, home_node FROM cluster_tenant")}


def http_get(hostport: str, path: str) -> str:
    with urllib.request.urlopen("http://%s%s" % (hostport, path), timeout=5) as r:
        return r.read().decode()


def uas_with_record_route(workdir: Path, **kw) -> str:
    """The calls suite's answering phone, echoing Record-Route in its responses as a real phone does."""
    path = Path(ct.uas_scenario(workdir, "answer", **kw))
    out = path.with_name("rr_" + path.name)
    out.write_text(path.read_text().replace("[last_CSeq:]", "[last_CSeq:]\n      [last_Record-Route:]"))
    return str(out)


def test_three_nodes_heartbeat_and_every_tenant_has_a_home(setup):
    def all_beating():
        rows = sql(setup, "SELECT node_id, sip_uri, dispatcher_set, extract(epoch FROM now() - heartbeat_at) "
                          "FROM cluster_node ORDER BY node_id")
        return [r[0] for r in rows] == list(NODES) and all(r[3] and float(r[3]) < 5 for r in rows)

    assert ct.wait_until(all_beating, 15, 0.2), sql(setup, "SELECT * FROM cluster_node")
    rows = sql(setup, "SELECT node_id, sip_uri, dispatcher_set FROM cluster_node ORDER BY node_id")
    assert [r[1] for r in rows] == ["sip:%s" % setup.nodes[n]["sip"] for n in NODES], rows
    assert len({r[2] for r in rows}) == 3, "each node its own dispatcher set: %s" % rows
    assert len(sql(setup, "SELECT destination FROM dispatcher")) == 3

    yaml_tenants = {TENANT_A_UUID, TENANT_B_UUID, TENANT_C_UUID}
    assert ct.wait_until(lambda: yaml_tenants <= set(homes(setup)), 10, 0.2), homes(setup)
    placed = homes(setup)
    assert set(placed.values()) <= set(NODES), placed
    # Started in the documented order, n1 homes `default` and the YAML's tenants are spread.
    assert {placed[t] for t in yaml_tenants} - {"n1"}, "every tenant on n1: %s" % placed
    print("homes: %s" % sorted(placed.values()))

    # Step 11 as written: health, metrics, the two queries.
    out = setup.run("check")
    assert '{"status":"ok"}' in out.replace(" ", ""), out
    assert re.search(r"^centralino_cluster_database_up 1(\.0)?$", out, re.M), out
    assert re.search(r"^centralino_cluster_heartbeats_total [1-9]", out, re.M), out
    for name in NODES:
        assert name in out, out
    for domain in ("acme.test", "globex.test", "initech.test"):
        assert domain in out, out


def test_every_connection_to_postgresql_is_tls_the_edge_reads_as_its_role(setup):
    rows = sql(setup, "SELECT a.usename, s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                      "WHERE a.datname = 'centralino' AND a.usename IN ('centralino', 'edge')")
    users = {r[0] for r in rows}
    assert users == {"centralino", "edge"}, rows
    assert all(r[1] == "t" for r in rows), "a connection without TLS: %s" % rows
    # The edge's role reads and cannot write.
    with pytest.raises(RuntimeError, match="permission denied"):
        pgserver.psql("postgres://edge@127.0.0.1:%d/centralino" % setup.pg.port,
                      "UPDATE cluster_tenant SET home_node = home_node")


def test_a_phone_through_the_edge_and_an_originate_forwarded_from_another_node(setup, tmp_path):
    home = homes(setup)[TENANT_A_UUID]
    other = next(n for n in NODES if n != home)
    edge = "%s:%d" % setup.edge

    # Phone 100 of tenant A registers through the edge: its home node is the registrar.
    port = ct.free_ports(1)[0]
    csv = tmp_path / "users.csv"
    csv.write_text("SEQUENTIAL\n100;[authentication username=100 password=%s];%s\n" % (PASSWORDS[(DOMAIN_A, "100")], DOMAIN_A))
    res = Sipp(str(ct.SCENARIOS / "register.xml"), tmp_path, local_port=port, remote=edge, calls=1, inf=csv,
               timeout=15, tag="register").wait()
    assert res.returncode == 0, res.report() + "\nedge:\n" + setup.logs["edge"].read_text(errors="replace")[-3000:]
    home_log = setup.logs[home]
    assert ct.wait_until(lambda: re.search(r"aor=100@acme\.test .*path=<sip:%s:.*SIP registration" % re.escape(setup.edge[0]), home_log.read_text(errors="replace")), 5), \
        home_log.read_text(errors="replace")[-3000:]
    def stored():
        return sql(setup, "SELECT node_id, path FROM registration WHERE path LIKE '%%%s%%'" % setup.edge[0])
    # Written to the store at the registrar's next persistence tick.
    assert ct.wait_until(lambda: stored(), 10, 0.2), "the binding is stored with the edge's Path"
    assert all(r[0] == home for r in stored()), "held by the home node: %s" % stored()

    # The CRM logs in to another node and places tenant A's click-to-call there.
    agent = Sipp(uas_with_record_route(tmp_path, ring=300, end="wait"), tmp_path, local_port=port,
                 timeout=25, tag="agent100")
    trunk = Sipp(ct.uas_scenario(tmp_path, "answer", ring=300, end="bye", hold=1000), tmp_path,
                 local_port=setup.trunks[0], timeout=25, tag="trunk")
    host, ami_port = setup.nodes[other]["ami"].rsplit(":", 1)
    crm = AMIRecorder(int(ami_port), "crm", "s3cret", host=host)
    try:
        form = ct.c2c_variables_form("100", NUMBER)
        headers = [(k, v) for k, v in form.items() if k != "Variable"] + [("Variable", v) for v in form["Variable"]]
        crm.send(headers + [("ActionID", "doc-c2c")])
        response = crm.wait_for(lambda m: m.get("ActionID") == "doc-c2c" and m.get("Response") is not None, 15)
        assert response is not None and response.get("Response") == "Success", response
        final = crm.wait_for(lambda m: m.event == "OriginateResponse" and m.get("ActionID") == "doc-c2c", 20)
        assert final is not None and final.get("Response") == "Success", final
    finally:
        crm.close()
    ra, rt = agent.wait(), trunk.wait()
    ct.sipp_ok(ra, "agent phone")
    ct.sipp_ok(rt, "trunk")
    invite = ra.received_requests("INVITE")[0]
    assert setup.edge[0] in (invite.header("Via") or ""), "the agent's INVITE came through the edge: %s" % invite.text
    assert setup.nodes[home]["sip"] in (rt.received_requests("INVITE")[0].header("Via") or ""), "the call ran on the home node"
    sent = http_get(setup.nodes[other]["http"], "/metrics")
    assert re.search(r'^centralino_cluster_forwarded_actions_total\{side="sent"\} [1-9]', sent, re.M), sent[-2000:]
    taken = http_get(setup.nodes[home]["http"], "/metrics")
    assert re.search(r'^centralino_cluster_forwarded_actions_total\{side="taken"\} [1-9]', taken, re.M), taken[-2000:]
