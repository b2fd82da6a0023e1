"""Measures the cluster event bus between two real nodes on one private PostgreSQL: events per second
from n2 to a session on n1, and publish -> deliver latency (UserEvent sent on n2 -> read on n1).

    python3 tests/cluster/bench_bus.py [EVENTS] [RATE]

EVENTS UserEvents (default 5000) are sent on an AMI session of tenant A on n2, RATE per second
(default 0: as fast as the session takes them); a session of tenant A on n1 reads them. Prints the
rate received and the latency percentiles (both clocks are this machine's monotonic clock).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import conftest  # noqa: E402  (the suite's Postgres fixture class and paths)
import calltools as ct  # noqa: E402


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    rate = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    base = Path(tempfile.mkdtemp(prefix="centralino-bench-bus-"))
    pg = conftest.Postgres()
    nodes = []
    try:
        for name in ("n1", "n2"):
            nodes.append(ct.Server(base / name, name=name,
                                   extra_args=["--node-id", name, "--cluster-database", pg.url,
                                               "--cluster-heartbeat-seconds", "1", "--cluster-failover-seconds", "4",
                                               "--ami-event-queue-limit", "100000", "--log-level", "notice"]))
        n1, n2 = nodes
        reader = ct.AMIRecorder(n1.ami_port, "monitor", "m0nitor", events="user")
        writer = ct.AMIRecorder(n2.ami_port, "monitor", "m0nitor", events="off")
        writer.action([("Action", "UserEvent"), ("UserEvent", "Warmup")])
        assert ct.wait_until(lambda: reader.events(name="UserEvent"), 10), "no event crossed"
        mark = reader.mark()
        sent = {}
        start = time.monotonic()
        for index in range(count):
            if rate > 0:
                delay = start + index / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            sent[str(index)] = time.monotonic()
            writer.send([("Action", "UserEvent"), ("UserEvent", "Bench"), ("Seq", str(index))])
        sent_for = time.monotonic() - start
        ct.wait_until(lambda: len(reader.events(mark, name="UserEvent")) >= count, 60)
        got = reader.events(mark, name="UserEvent")
        latencies = sorted((m.t - sent[m.get("Seq")]) * 1000 for m in got if m.get("Seq") in sent)
        span = max(m.t for m in got) - start if got else 0
        def pct(p):
            return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")
        print("sent %d UserEvents on n2 in %.2f s (%.0f/s); n1 received %d in %.2f s (%.0f/s); lost %d"
              % (count, sent_for, count / sent_for, len(got), span, len(got) / span if span else 0, count - len(got)))
        print("publish->deliver latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f" % (pct(50), pct(90), pct(99), latencies[-1] if latencies else 0))
        reader.close()
        writer.close()
        return 0
    finally:
        for node in nodes:
            node.stop()
        pg.stop()


if __name__ == "__main__":
    sys.exit(main())
