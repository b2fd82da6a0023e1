#!/usr/bin/env bash
# SIP benchmark: authenticated REGISTER transactions/s against a release `centralino serve`, driven
# by SIPp (each SIPp call is REGISTER → 401 → REGISTER with digest → 200). Prints SIPp's figures
# (successful and failed registrations, achieved rate); asserts nothing.
# Usage: scripts/bench-sip.sh [RATE_PER_SECOND] [REGISTRATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-2000}
count=${2:-20000}
command -v sipp >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester; }

swift build -c release --product centralino >/dev/null
bin=.build/release
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sip_port=$(free_port)
ami_port=$(free_port)

cat > "$work/bench.yaml" <<YAML
tenants:
  - name: default
    extensions:
      - { number: "1001", password: "secret1001" }
YAML
"$bin/centralino" apply --data-dir "$work/data" "$work/bench.yaml" >/dev/null
"$bin/centralino" serve --data-dir "$work/data" --sip-bind "127.0.0.1:$sip_port" --ami-bind "127.0.0.1:$ami_port" \
    --log-level warning >"$work/serve.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "SIP listening" "$work/serve.out" && break; sleep 0.1; done

echo "== SIPp authenticated REGISTER, target $rate/s, $count registrations"
scenario="$(cd tests/fixtures/sipp && pwd)/uac_register_auth.xml"
cd "$work"
start=$(date +%s.%N)
timeout 300 sipp -sf "$scenario" -s 1001 -au 1001 -ap secret1001 \
    "127.0.0.1:$sip_port" -i 127.0.0.1 -r "$rate" -m "$count" -l 2000 -nostdin >"$work/sipp.out" 2>&1 || true
end=$(date +%s.%N)
ok=$(grep -E "^ +Successful call" "$work/sipp.out" | awk -F'|' '{print $3}' | tr -d ' ')
failed=$(grep -E "^ +Failed call" "$work/sipp.out" | awk -F'|' '{print $3}' | tr -d ' ')
python3 -c "
ok, failed, seconds = int('${ok:-0}'), int('${failed:-0}'), $end - $start
print(f'registrations: {ok} ok, {failed} failed in {seconds:.2f} s = {ok/seconds:.0f} authenticated REGISTER/s (2 transactions each)')"
