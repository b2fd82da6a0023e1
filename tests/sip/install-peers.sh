#!/usr/bin/env bash
# Installs the real SIP peers used by tests/sip. Idempotent: apt-get runs only for missing packages,
# pip only when tests/sip/requirements.txt changed since the last install into this venv.
#   usage: tests/sip/install-peers.sh VENV      (VENV is created with python3 -m venv if absent)
# Debian 12 packages: sip-tester (SIPp 3.6.1), baresip-core (baresip 1.0.0; the 'baresip' metapackage
# pulls GTK), sipsak (0.9.8.1), sipvicious (0.3.3: svwar, svmap), iproute2 and nftables (network namespaces
# and packet drops of tests/sip/test_network.py). PyPI: see requirements.txt.
set -euo pipefail
venv=${1:?usage: $0 VENV}
here=$(cd "$(dirname "$0")" && pwd)

missing=()
for pkg in sip-tester baresip-core sipsak sipvicious iproute2 nftables; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-peers: apt-get install ${missing[*]}"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
for bin in sipp baresip sipsak svwar svmap ip nft; do
    command -v "$bin" >/dev/null || { echo "install-peers: $bin not on PATH after install" >&2; exit 1; }
done

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
stamp="$venv/.sip-requirements.sha"
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    echo "$want" > "$stamp"
fi
"$venv/bin/python" -c 'import pjsua2' || { echo "install-peers: pjsua2 does not import in $venv" >&2; exit 1; }
