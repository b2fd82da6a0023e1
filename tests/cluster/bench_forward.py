#!/usr/bin/env python3
"""The cost of the cluster path (issue 12): click-to-call on one node against the same click-to-call
forwarded from n1 to the tenant's home node n2, in one run, alternating; then forwarded Originates/s
at saturation.

    python3 tests/cluster/bench_forward.py [--rate 50] [--calls 500] [--pairs 3] [--sessions 8] [--saturate 2000]

Three release-build servers (CENTRALINO_BIN, default .build/release/centralino; `swift build -c
release` first) run at the same time at `nice` BENCH_NICE (default 5), with one SIPp phone (extension
100 of the tenant, registered on S and on n2, answers at once) and one SIPp trunk (answers, hangs up
after --hold ms) serving both:
  - S: a single node on SQLite (its own data directory), no cluster;
  - n1, n2: cluster nodes (--node-id, --cluster-bind) on one private PostgreSQL (tests/cluster's
    Postgres) as store and cluster database, same secret.key; the tenant is homed on n2, the AMI
    session talks to n1, which forwards each Originate to n2 (its OriginateResponse comes back over
    the event bus).
Per pair of steps (S then cluster, --calls Originates each at --rate per second on one AMI session):
answered calls and server CPU seconds per answered call: utime+stime from /proc of S, or of n1 plus
n2, from the step's first Originate until its calls are over (PostgreSQL's own CPU, postmaster and
backends, is printed beside it, not in the sum). The idle CPU of each side (heartbeats,
event bus) over a quiet 3 s is printed beside it. Then --saturate Originates over --sessions AMI
sessions of n1 (each sends its next when the previous is answered: a session runs one forwarded action
at a time) and the same on S: Originate responses per second, OriginateResponses answered.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import conftest  # noqa: E402  (the suite's Postgres class)

FIXTURES = ROOT / "tests" / "fixtures" / "sipp"
TICKS = os.sysconf("SC_CLK_TCK")
TENANT = "5b0c1f3e-7a2d-4c1b-9e8f-0a1b2c3d4e5f"
DOMAIN = "bench.test"


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_ticks(pid: int) -> int:
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wait_for(path: Path, text: str, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise SystemExit("timed out waiting for %r in %s:\n%s" % (text, path, path.read_text(errors="replace")[-3000:]))


def query(pg, sql: str) -> str:
    """psql's output, empty while the nodes have not made the tables yet."""
    try:
        return pg.psql(sql)
    except RuntimeError as error:
        if "does not exist" in str(error):
            return ""
        raise


def absorbing(scenario: Path, work: Path) -> str:
    """The UAS scenario taking a retransmitted INVITE while it waits for the ACK (as scripts/bench-c2c.py)."""
    text = re.sub(r'(\s*)<recv request="ACK"', r'\1<recv request="INVITE" optional="true"/>\1<recv request="ACK"',
                  scenario.read_text(), count=1)
    copy = work / ("absorbing-" + scenario.name)
    copy.write_text(text)
    return str(copy)


class PostgresCPU:
    """utime+stime of the private PostgreSQL: its postmaster and every backend (children, live ones)."""

    name = "PostgreSQL"

    def __init__(self, pg):
        self.pid = int((pg.data / "postmaster.pid").read_text().split()[0])

    def ticks(self) -> int:
        total = cpu_ticks(self.pid)
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = open("/proc/%s/stat" % entry).read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        return total


class Node:
    def __init__(self, name: str, work: Path, binary: str, nice: list, trunk: int, rtp: str, extra: list):
        self.name, self.data = name, work / name
        self.ami, self.sip, self.http = free_port(), free_port(), free_port()
        self.log = work / ("%s.out" % name)
        self.args = nice + [binary, "serve", "--data-dir", str(self.data), "--ami-bind", "127.0.0.1:%d" % self.ami,
                            "--sip-bind", "127.0.0.1:%d" % self.sip, "--http-bind", "127.0.0.1:%d" % self.http,
                            "--rtp-ports", rtp, "--tenant-max-channels", "100000", "--tenant-max-rtp-port-pairs", "5000",
                            "--log-level", os.environ.get("BENCH_LOG", "error")] + extra
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.args, stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        wait_for(self.log, "AMI listening")

    def ticks(self) -> int:
        return cpu_ticks(self.proc.pid)


class Session:
    """One AMI session: sends Originates, records each ActionID's response and OriginateResponse."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(b"Action: Login\r\nUsername: bench\r\nSecret: bench\r\nEvents: call\r\n\r\n")
        self.responses, self.outcomes = {}, {}
        self.lock = threading.Lock()
        self.answered = threading.Condition(self.lock)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self.sock.recv(1 << 20)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\r\n\r\n")
            for message in messages:
                lines = message.split(b"\r\n")
                action = next((line[10:].decode() for line in lines if line.startswith(b"ActionID: ")), None)
                if action is None:
                    continue
                with self.lock:
                    if lines[0] == b"Event: OriginateResponse":
                        self.outcomes[action] = b"Response: Success" in message
                    elif lines[0].startswith(b"Response: "):
                        self.responses[action] = lines[0] == b"Response: Success"
                        self.answered.notify_all()

    def originate(self, action_id: str) -> None:
        self.sock.sendall(("Action: Originate\r\nAsync: true\r\nChannel: Local/100@c2c\r\nContext: from_c2c\r\n"
                           "Exten: 0391234567\r\nPriority: 1\r\nTimeout: 10000\r\nCallerId: \"c2c\" <0391234567>\r\n"
                           "ActionID: %s\r\n\r\n" % action_id).encode())

    def wait_response(self, action_id: str, timeout: float) -> bool:
        with self.lock:
            return self.answered.wait_for(lambda: action_id in self.responses, timeout)

    def close(self) -> None:
        self.sock.close()


def run_step(label: str, session: Session, nodes: list, rate: float, calls: int, hold: int, extra: list = ()) -> tuple:
    """--calls Originates at `rate`: (answered, failed, missing, CPU seconds of `nodes`, elapsed, CPU seconds per node)."""
    ids = ["%s-%d-%d" % (label, int(time.time() * 1000), n) for n in range(calls)]
    each = [node.ticks() for node in nodes]
    extra_before = [other.ticks() for other in extra]
    before = sum(each)
    start = time.time()
    for n, action_id in enumerate(ids):
        delay = start + n / rate - time.time()
        if delay > 0:
            time.sleep(delay)
        session.originate(action_id)
    deadline = time.time() + 20
    while time.time() < deadline:
        with session.lock:
            if all(i in session.outcomes for i in ids):
                break
        time.sleep(0.1)
    time.sleep(hold / 1000 + 1.5)
    elapsed = time.time() - start
    after = [node.ticks() for node in nodes]
    extra_after = [other.ticks() for other in extra]
    cpu = (sum(after) - before) / TICKS
    with session.lock:
        answered = sum(1 for i in ids if session.outcomes.get(i) is True)
        failed = sum(1 for i in ids if session.outcomes.get(i) is False)
    split = {node.name: (a - b) / TICKS for node, a, b in zip(list(nodes) + list(extra), after + extra_after, each + extra_before)}
    return answered, failed, calls - answered - failed, cpu, elapsed, split


def saturate(label: str, port: int, sessions: int, total: int) -> tuple:
    """`total` Originates over `sessions` sessions, each sending its next when the previous is answered:
    (responses per second, successes, OriginateResponses answered within 20 s)."""
    pool = [Session(port) for _ in range(sessions)]
    time.sleep(0.5)
    counter = iter(range(total))
    lock = threading.Lock()
    ids = []

    def worker(session: Session) -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            action_id = "%s-sat-%d" % (label, n)
            with lock:
                ids.append((session, action_id))
            session.originate(action_id)
            if not session.wait_response(action_id, 45):
                return

    threads = [threading.Thread(target=worker, args=(s,)) for s in pool]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.time() - start
    ok = sum(1 for s, i in ids if s.responses.get(i))
    deadline = time.time() + 20
    while time.time() < deadline and not all(i in s.outcomes for s, i in ids):
        time.sleep(0.2)
    answered = sum(1 for s, i in ids if s.outcomes.get(i))
    failed = sum(1 for s, i in ids if s.outcomes.get(i) is False)
    for s in pool:
        s.close()
    return len(ids) / seconds, ok, answered, failed, seconds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--hold", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--saturate", type=int, default=2000)
    parser.add_argument("--bin", default=os.environ.get("CENTRALINO_BIN", str(ROOT / ".build" / "release" / "centralino")))
    args = parser.parse_args()
    nice = ["nice", "-n", os.environ.get("BENCH_NICE", "5")]
    work = Path(tempfile.mkdtemp(prefix="centralino-bench-forward-"))
    pg = conftest.Postgres()
    procs, nodes = [], []
    try:
        phone, trunk, phone_media, trunk_media = free_port(), free_port(), free_port(), free_port()
        yaml = work / "bench.yaml"
        yaml.write_text("""tenants:
  - name: bench
    uuid: %s
    domain: %s
    extensions:
      - { number: "100", password: "pw100" }
    trunks:
      - { name: carrier, host: 127.0.0.1, port: %d }
    outbound_routes:
      - { prefix: "0", trunk: carrier, strip: 1 }
    ami_users:
      - { username: bench, password: bench, permit: ["127.0.0.1/32"], read: "system,call,reporting", write: "system,call,reporting,originate" }
""" % (TENANT, DOMAIN, trunk))
        single = Node("S", work, args.bin, nice, trunk, "40000-44999", [])
        cluster_flags = ["--database", pg.url, "--cluster-heartbeat-seconds", "1", "--cluster-failover-seconds", "30"]
        n1 = Node("n1", work, args.bin, nice, trunk, "45000-49999",
                  cluster_flags + ["--node-id", "n1", "--cluster-bind", "127.0.0.1:%d" % free_port()])
        n2 = Node("n2", work, args.bin, nice, trunk, "50000-54999",
                  cluster_flags + ["--node-id", "n2", "--cluster-bind", "127.0.0.1:%d" % free_port()])
        nodes = [single, n1, n2]
        subprocess.run([args.bin, "apply", "--data-dir", str(single.data), str(yaml)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([args.bin, "apply", "--data-dir", str(n1.data), "--database", pg.url, str(yaml)], check=True,
                       stdout=subprocess.DEVNULL)
        n2.data.mkdir(parents=True)
        shutil.copy(n1.data / "secret.key", n2.data / "secret.key")
        single.start()
        n1.start()
        deadline = time.time() + 20
        while TENANT not in query(pg, "SELECT tenant_uuid FROM cluster_tenant"):
            assert time.time() < deadline, "n1 did not place the tenant"
            time.sleep(0.3)
        n2.start()
        deadline = time.time() + 20
        while "n2" not in query(pg, "SELECT node_id FROM cluster_node WHERE heartbeat_at IS NOT NULL"):
            assert time.time() < deadline, "n2 did not join"
            time.sleep(0.3)
        pg.psql("UPDATE cluster_tenant SET home_node = 'n2' WHERE tenant_uuid = '%s'; NOTIFY centralino_cluster, 'homes'" % TENANT)
        time.sleep(3)

        register = (FIXTURES / "uac_register_auth.xml").read_text().replace("[service]@[remote_ip]>", "[service]@%s>" % DOMAIN)
        (work / "register.xml").write_text(register)
        for node in (single, n2):
            subprocess.run(["sipp", "-sf", str(work / "register.xml"), "-s", "100", "-au", "100", "-ap", "pw100",
                            "127.0.0.1:%d" % node.sip, "-m", "1", "-p", str(phone), "-nostdin"], cwd=work, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)
        for scenario, port, extra in (
                (absorbing(FIXTURES / "uas_answer.xml", work), phone, ["-d", "0", "-mp", str(phone_media)]),
                (absorbing(ROOT / "Benchmarks" / "sipp" / "uas_answer_bye.xml", work), trunk,
                 ["-d", str(args.hold), "-mp", str(trunk_media)])):
            procs.append(subprocess.Popen(nice + ["sipp", "-sf", scenario, "-p", str(port), "-i", "127.0.0.1", "-mi", "127.0.0.1",
                                                  "-nostdin", "-max_socket", "60000"] + extra,
                                          cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.5)
        postgres = PostgresCPU(pg)
        on_single, on_n1 = Session(single.ami), Session(n1.ami)
        time.sleep(0.5)
        # Warm-up: one call each way (and n1 learns where n2 listens).
        for session, label in ((on_single, "warm-s"), (on_n1, "warm-c")):
            session.originate(label)
            assert session.wait_response(label, 20), "no response to the warm-up Originate on %s" % label
        time.sleep(2)
        idle = {}
        for label, group in (("single", [single]), ("cluster", [n1, n2])):
            before = sum(node.ticks() for node in group)
            time.sleep(3)
            idle[label] = (sum(node.ticks() for node in group) - before) / TICKS / 3
        load = open("/proc/loadavg").read().split()[:3]
        print("== %s UTC, load average %s, %d cores; idle CPU: single node %.1f ms/s, n1+n2 %.1f ms/s"
              % (time.strftime("%F %T", time.gmtime()), " ".join(load), os.cpu_count(), idle["single"] * 1000, idle["cluster"] * 1000))
        print("== %d click-to-call Originates per step at %g/s, trunk holds %d ms; %d pairs (single node on SQLite, then "
              "forwarded n1 -> n2 on PostgreSQL)" % (args.calls, args.rate, args.hold, args.pairs))
        per_call = {"single": [], "cluster": []}
        for pair in range(args.pairs):
            for label, session, group in (("single", on_single, [single]), ("cluster", on_n1, [n1, n2])):
                answered, failed, missing, cpu, elapsed, split = run_step(
                    "%s%d" % (label, pair), session, group, args.rate, args.calls, args.hold, [postgres] if label == "cluster" else [])
                ms = cpu * 1000 / max(answered, 1)
                without_idle = (cpu - idle[label] * elapsed) * 1000 / max(answered, 1)
                per_call[label].append(ms)
                print("pair %d %-7s: %d answered, %d failed, %d without response; CPU %.2f s in %.1f s = %.2f ms per call "
                      "(%.2f ms without idle; %s)" % (pair + 1, label, answered, failed, missing, cpu, elapsed, ms, without_idle,
                                                       ", ".join("%s %.2f ms" % (k, v * 1000 / max(answered, 1)) for k, v in split.items())))
                time.sleep(1)
        s, c = statistics.median(per_call["single"]), statistics.median(per_call["cluster"])
        print("median CPU per answered call: single node %.2f ms, cluster (n1+n2) %.2f ms: +%.2f ms (x%.2f)" % (s, c, c - s, c / s))
        on_single.close()
        on_n1.close()
        if args.saturate:
            for label, node in (("forwarded n1->n2", n1), ("single node", single)):
                rate, ok, answered, failed, seconds = saturate(label.split()[0], node.ami, args.sessions, args.saturate)
                print("saturation, %s: %d Originates over %d sessions in %.1f s = %.0f Originates/s answered by the server "
                      "(%d Success); OriginateResponse within 20 s: %d answered, %d failed (the calls behind them, 4 channels "
                      "each, are more than the node's channel cap and 2 cores take)"
                      % (label, args.saturate, args.sessions, seconds, rate, ok, answered, failed))
                time.sleep(3)
        return 0
    finally:
        for p in procs + [n.proc for n in nodes if n.proc]:
            p.terminate()
        for p in procs + [n.proc for n in nodes if n.proc]:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if os.environ.get("BENCH_KEEP"):
            print("logs in", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
        pg.stop()


if __name__ == "__main__":
    sys.exit(main())
