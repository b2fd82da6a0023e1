#!/usr/bin/env bash
# Short calls per second through Centralino (B2BUA with anchored media), driven by SIPp: extension
# 1001 (uac_call_auth: INVITE, 401, INVITE with digest, BYE after HOLD ms) calls 1002, a SIPp UAS
# registered as 1002 that answers at once. Steps the rate up (RFC 7501 style) and prints, per step,
# successful and failed calls; the figure that matters is the highest rate with zero failed calls.
# Also prints the server's peak resident memory and peak live RTP sockets during each step (with a long
# HOLD_MS, rate × hold calls are up at once: that is the concurrent relayed calls figure). Asserts nothing.
# Usage: scripts/bench-calls.sh [RATES] [CALLS_PER_STEP] [HOLD_MS]
set -euo pipefail
cd "$(dirname "$0")/.."
rates=${1:-50,100,200,400}
calls=${2:-1000}
hold=${3:-100}
command -v sipp >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester; }
swift build -c release --product centralino >/dev/null
bin=$PWD/.build/release/centralino
shared=$(cd tests/fixtures/sipp && pwd)
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sip=$(free_port); ami=$(free_port); callee=$(free_port); caller=$(free_port)
cat > "$work/bench.yaml" <<YAML
tenants:
  - name: default
    extensions:
      - { number: "1001", password: "s1001" }
      - { number: "1002", password: "s1002" }
YAML
"$bin" apply --data-dir "$work/data" "$work/bench.yaml" >/dev/null
"$bin" serve --data-dir "$work/data" --sip-bind "127.0.0.1:$sip" --ami-bind "127.0.0.1:$ami" --rtp-ports 40000-59999 \
    --sip-lockout-failures 1000000 --log-level error >"$work/serve.out" 2>&1 &
server=$!
pids+=($server)
for _ in $(seq 100); do grep -q "SIP listening" "$work/serve.out" && break; sleep 0.1; done
cd "$work"
sipp -sf "$shared/uac_register_auth.xml" -s 1002 -au 1002 -ap s1002 "127.0.0.1:$sip" -m 1 -p "$callee" -nostdin >/dev/null 2>&1
sipp -sf "$shared/uas_answer.xml" -d 0 -p "$callee" -i 127.0.0.1 -nostdin >/dev/null 2>&1 &
pids+=($!)
sleep 0.5
echo "== short calls 1001 -> 1002 through Centralino, $calls per step, each held $hold ms"
for rate in ${rates//,/ }; do
    rm -f "$work/stop"
    (set +e; peak=0; sockets=0
     while kill -0 "$server" 2>/dev/null && [ ! -f "$work/stop" ]; do
         rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status"); [ "${rss:-0}" -gt "$peak" ] && peak=$rss
         n=$(ls -l "/proc/$server/fd" 2>/dev/null | grep -c socket); [ "${n:-0}" -gt "$sockets" ] && sockets=$n
         sleep 0.2
     done; echo "$peak $sockets" > "$work/peak") &
    sampler=$!
    timeout 600 sipp -sf "$shared/uac_call_auth.xml" -key caller 1001 -au 1001 -ap s1001 -s 1002 "127.0.0.1:$sip" \
        -i 127.0.0.1 -p "$caller" -r "$rate" -m "$calls" -d "$hold" -l 5000 -nostdin >"$work/uac.out" 2>&1 || true
    ok=$(grep -E "^ +Successful call" "$work/uac.out" | awk -F'|' '{print $3}' | tr -d ' ')
    failed=$(grep -E "^ +Failed call" "$work/uac.out" | awk -F'|' '{print $3}' | tr -d ' ')
    touch "$work/stop"; wait "$sampler"
    read -r peak sockets < "$work/peak"
    echo "rate $rate calls/s: ${ok:-0} ok, ${failed:-0} failed; peak server RSS ${peak} kB, peak open sockets ${sockets} (2 per relayed leg)"
    sleep 2
done
