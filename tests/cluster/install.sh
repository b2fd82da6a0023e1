#!/bin/sh
# Installs what the cluster tests need (only when missing): Debian's kamailio and its PostgreSQL
# modules, the PostgreSQL server (the tests start their own on a private port and data directory,
# as the Debian `postgres` user when run as root: PostgreSQL refuses to run as root), and iproute2
# (`ip netns`: test_topology.py puts each host in a network namespace of its own).
set -eu
missing=""
for pkg in kamailio kamailio-postgres-modules postgresql iproute2; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    # The packages' own services are not wanted: the tests run private instances.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "the Debian 'postgres' user is missing (package postgresql-common creates it)" >&2
    exit 1
fi
