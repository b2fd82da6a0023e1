#!/bin/sh
# Installs what the browser tests need: Debian's chromium and chromium-driver (only when missing)
# and the pinned Python packages into the virtualenv given as $1 (created when absent).
set -eu
VENV="${1:?usage: tests/web/install.sh VENV_DIR}"
HERE="$(cd "$(dirname "$0")" && pwd)"
missing=""
for pkg in chromium chromium-driver; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
stamp="$VENV/.web-requirements.sha"
want=$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt"
    echo "$want" > "$stamp"
fi
