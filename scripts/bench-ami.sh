#!/usr/bin/env bash
# AMI benchmarks: frame decoder messages/s, then Ping round trips on one connection against the
# real `centralino serve` and, in alternating pairs in the same run, against a do-nothing server
# (one that only answers every message with a fixed Ping reply), since these machines are noisy.
# Prints figures; asserts nothing.  Usage: scripts/bench-ami.sh [ROUNDS] [SECONDS] [PIPELINED_COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
seconds=${2:-2}
pipelined=${3:-2000000}

swift build -c release --product centralino >/dev/null
swift build -c release --product AMIBenchmarks >/dev/null
bin=.build/release
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
real_port=$(free_port)
null_port=$(free_port)

cat > "$work/bench.yaml" <<YAML
tenants:
  - name: bench
    ami_users:
      - { username: bench, password: bench, permit: ["127.0.0.1/32"], read: call, write: call }
YAML
"$bin/centralino" apply --data-dir "$work/data" "$work/bench.yaml" >/dev/null
"$bin/centralino" serve --data-dir "$work/data" --ami-bind "127.0.0.1:$real_port" --log-level warning >"$work/serve.out" 2>&1 &
pids+=($!)
"$bin/AMIBenchmarks" do-nothing-server "$null_port" >/dev/null &
pids+=($!)
for _ in $(seq 100); do grep -q "AMI listening" "$work/serve.out" && break; sleep 0.1; done
sleep 0.3

echo "== decoder"
"$bin/AMIBenchmarks" decoder

rate() { "$bin/AMIBenchmarks" ping 127.0.0.1 "$1" bench bench "$2" "$3" | sed -E 's/.* = ([0-9]+) .*/\1/'; }

echo "== sequential Ping round trips on one connection, ${seconds}s each, alternating pairs"
ratios=()
for round in $(seq "$rounds"); do
    real=$(rate "$real_port" sequential "$seconds")
    null=$(rate "$null_port" sequential "$seconds")
    ratio=$(python3 -c "print(f'{$real/$null:.3f}')")
    ratios+=("$ratio")
    echo "round $round: centralino $real/s, do-nothing $null/s, ratio $ratio"
done
echo "median ratio centralino/do-nothing: $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')"

echo "== pipelined Pings on one connection ($pipelined written without waiting)"
for round in 1 2 3; do
    real=$(rate "$real_port" pipelined "$pipelined")
    null=$(rate "$null_port" pipelined "$pipelined")
    echo "round $round: centralino $real responses/s, do-nothing $null responses/s"
done
