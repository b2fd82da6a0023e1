#!/usr/bin/env bash
# Runs every Centralino test: Swift unit tests, then the interop suite against the real binary
# with real AMI client libraries and real SIP peers (pinned in tests/requirements.txt and
# tests/sip/requirements.txt, installed into ./.venv; Debian packages installed when missing).
# Installs what it needs itself and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n=== %s\n' "$*"; }

# Debian packages for Python's venv (the SIP peers are installed by tests/sip/install-peers.sh).
need_packages=()
python3 -m venv --help >/dev/null 2>&1 || need_packages+=(python3-venv)
if [ ${#need_packages[@]} -gt 0 ]; then
    log "installing Debian packages: ${need_packages[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_packages[@]}"
fi

log "Python venv with pinned test clients"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
    echo "$want" > "$stamp"
fi

log "real SIP peers (SIPp, baresip, sipsak, sipvicious, pjsua2)"
tests/sip/install-peers.sh .venv

log "SIP edge for the cluster tests (kamailio, kamailio-postgres-modules, postgresql)"
tests/cluster/install.sh

log "private PostgreSQL for the store tests on PostgreSQL (tests/common/pgserver.py; stopped at exit)"
pg_dir=$(mktemp -d)
trap 'python3 tests/common/pgserver.py stop "$pg_dir" || true' EXIT
pg_url=$(python3 tests/common/pgserver.py start "$pg_dir")
# StoreTests' ...OnPostgres classes make a database per test on it (they fail without it).
export CENTRALINO_TEST_POSTGRES_URL="$pg_url"

log "browser for the admin panel tests (chromium, chromium-driver, selenium)"
tests/web/install.sh .venv

log "format check (swift format lint --strict, configuration in .swift-format)"
swift format lint --strict --recursive Package.swift Sources Tests Benchmarks Fuzz/Package.swift Fuzz/Sources

log "swift build (debug, with tests)"
swift build --build-tests

log "Swift unit tests"
swift test --skip-build

log "fuzzing: each libFuzzer target for ${FUZZ_SECONDS:-20} s (the first sanitizer build takes minutes)"
scripts/fuzz.sh "${FUZZ_SECONDS:-20}"

log "interop tests against the real binary"
export CENTRALINO_BIN="$PWD/.build/debug/centralino"
.venv/bin/python -m pytest -q tests/interop

log "SIP interop tests against the real binary"
.venv/bin/python -m pytest -q tests/sip

log "calls and click-to-call against the real binary (SIPp phones and trunks, RTP, AMI)"
.venv/bin/python -m pytest -q tests/calls

log "cluster: the Kamailio SIP edge in front of a node (private PostgreSQL, SIPp phones)"
.venv/bin/python -m pytest -q tests/cluster

log "admin panel in a real browser"
.venv/bin/python -m pytest -q tests/web

# The same suites with the store in PostgreSQL: every server and apply of a test gets a fresh
# database of its own on the private server (tests/common/server.py), --data-dir keeps the key file.
# Each suite in a pytest of its own, as above (their conftest modules share a name).
for suite in interop sip calls web; do
    log "second pass on PostgreSQL (--database): tests/$suite"
    CENTRALINO_TEST_DATABASE="$pg_url" .venv/bin/python -m pytest -q "tests/$suite"
done
