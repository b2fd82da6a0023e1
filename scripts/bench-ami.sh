#!/usr/bin/env bash
# AMI benchmarks (issue 11's AMI figures). Prints figures; asserts nothing.
#
#   scripts/bench-ami.sh [ROUNDS] [SECONDS] [PIPELINED_COUNT]
#
# 1. The frame decoder's messages/s (in process).
# 2. Sequential Ping round trips on one connection, in alternating runs of SECONDS against the real
#    `centralino serve`, the do-nothing C server (Benchmarks/do-nothing-server.c: banner, then a fixed
#    Ping reply per message, one write per read) and the do-nothing NIO server (AMIBenchmarks
#    do-nothing-server), ROUNDS times. Per round: round trips/s of each, the ratio centralino/C (the
#    issue's figure, target >= 0.9), the same ratio for the do-nothing NIO server (NIO's floor: the
#    epoll_wait, read and write per Ping and NIO's channel path, with no AMI work) and each server's CPU
#    time per Ping (utime+stime from /proc/PID/stat across the run / Pings): the CPU figure is the one
#    noise hardly moves.
# 3. Pipelined Pings on one connection: PIPELINED_COUNT Pings written without waiting, responses/s
#    (target >= 1M/s) and server CPU per Ping, against centralino and the C server.
#
# The client (AMIBenchmarks ping, a blocking raw-socket client) runs on the same machine. BENCH_NICE
# (default 5) is the niceness of everything started here. CENTRALINO_BIN skips the build and uses
# that binary (e.g. a perf-instrumented one); AMI_BENCH_BIN likewise for the AMIBenchmarks binary.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
seconds=${2:-2}
pipelined=${3:-2000000}
nice_level=${BENCH_NICE:-5}

if [ -z "${CENTRALINO_BIN:-}" ]; then
    swift build -c release --product centralino >/dev/null
    CENTRALINO_BIN=.build/release/centralino
fi
if [ -z "${AMI_BENCH_BIN:-}" ]; then
    swift build -c release --product AMIBenchmarks >/dev/null
    AMI_BENCH_BIN=.build/release/AMIBenchmarks
fi
bench=$AMI_BENCH_BIN
work=$(mktemp -d)
cc -O2 -pthread -o "$work/do-nothing-server" Benchmarks/do-nothing-server.c
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
real_port=$(free_port)
c_port=$(free_port)
nio_port=$(free_port)

cat > "$work/bench.yaml" <<YAML
tenants:
  - name: bench
    ami_users:
      - { username: bench, password: bench, permit: ["127.0.0.1/32"], read: call, write: call }
YAML
"$CENTRALINO_BIN" apply --data-dir "$work/data" "$work/bench.yaml" >/dev/null
nice -n "$nice_level" "$CENTRALINO_BIN" serve --data-dir "$work/data" --ami-bind "127.0.0.1:$real_port" \
    --sip-bind 127.0.0.1:0 --http-bind 127.0.0.1:0 --log-level warning >"$work/serve.out" 2>&1 &
real_pid=$!
pids+=($real_pid)
nice -n "$nice_level" "$work/do-nothing-server" "$c_port" >/dev/null &
c_pid=$!
pids+=($c_pid)
nice -n "$nice_level" "$bench" do-nothing-server "$nio_port" >/dev/null &
nio_pid=$!
pids+=($nio_pid)
for _ in $(seq 100); do grep -q "AMI listening" "$work/serve.out" && break; sleep 0.1; done
sleep 0.3
echo "== $(date -u '+%F %T') UTC, load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, niceness $nice_level"

echo "== decoder"
nice -n "$nice_level" "$bench" decoder

ticks_per_second=$(getconf CLK_TCK)
# utime+stime of a process (all its threads), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run PID PORT MODE AMOUNT → "RATE COUNT CPU_US_PER_PING"
run() {
    local before after line count rate
    before=$(cpu_ticks "$1")
    line=$(nice -n "$nice_level" "$bench" ping 127.0.0.1 "$2" bench bench "$3" "$4")
    after=$(cpu_ticks "$1")
    count=$(echo "$line" | sed -E 's/^[a-z ]+: ([0-9]+) .*/\1/')
    rate=$(echo "$line" | sed -E 's/.* = ([0-9]+) .*/\1/')
    python3 -c "print($rate, $count, f'{($after - $before) / $ticks_per_second * 1e6 / $count:.2f}')"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "== sequential Ping round trips on one connection, ${seconds}s per run, alternating runs (server CPU µs per Ping)"
ratios=()
nio_ratios=()
real_cpu=()
c_cpu=()
nio_cpu=()
for round in $(seq "$rounds"); do
    read -r real _ real_us < <(run "$real_pid" "$real_port" sequential "$seconds")
    read -r c _ c_us < <(run "$c_pid" "$c_port" sequential "$seconds")
    read -r nio _ nio_us < <(run "$nio_pid" "$nio_port" sequential "$seconds")
    ratio=$(python3 -c "print(f'{$real/$c:.3f}')")
    nio_ratio=$(python3 -c "print(f'{$nio/$c:.3f}')")
    ratios+=("$ratio")
    nio_ratios+=("$nio_ratio")
    real_cpu+=("$real_us")
    c_cpu+=("$c_us")
    nio_cpu+=("$nio_us")
    echo "round $round: centralino $real/s ($real_us µs), do-nothing C $c/s ($c_us µs), do-nothing NIO $nio/s ($nio_us µs);" \
        "centralino/C $ratio, NIO/C $nio_ratio"
done
echo "median ratio centralino/C: $(printf '%s\n' "${ratios[@]}" | median) (target >= 0.9), do-nothing NIO/C:" \
    "$(printf '%s\n' "${nio_ratios[@]}" | median); median server CPU per Ping: centralino" \
    "$(printf '%s\n' "${real_cpu[@]}" | median) µs, C $(printf '%s\n' "${c_cpu[@]}" | median) µs," \
    "NIO $(printf '%s\n' "${nio_cpu[@]}" | median) µs"

echo "== pipelined Pings on one connection ($pipelined written without waiting)"
for round in 1 2 3; do
    read -r real _ real_us < <(run "$real_pid" "$real_port" pipelined "$pipelined")
    read -r c _ c_us < <(run "$c_pid" "$c_port" pipelined "$pipelined")
    echo "round $round: centralino $real responses/s ($real_us µs server CPU per Ping), do-nothing C $c responses/s ($c_us µs) (target >= 1000000/s)"
done
