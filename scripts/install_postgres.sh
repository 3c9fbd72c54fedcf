#!/usr/bin/env bash
# Make sure the scale-out tests have a PostgreSQL server to start (they run initdb and pg_ctl themselves, in a
# temp folder on a free port; no system service is used or left running).
#
# As root on Debian/Ubuntu: apt-get install Debian's `postgresql` when no initdb is found. Otherwise it says
# how to install it: those tests then skip, naming the same command (in CI they fail instead).
# Does nothing when it is in place.
set -euo pipefail

if command -v initdb >/dev/null || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing postgresql for the run-store tests (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q postgresql
    # Debian's package starts a cluster as a service; the tests start their own, so leave none running.
    if command -v pg_ctlcluster >/dev/null; then
        pg_lsclusters --no-header 2>/dev/null | while read -r version name _; do
            pg_ctlcluster "$version" "$name" stop || true
        done
    fi
else
    echo "No PostgreSQL server found: the run-store tests on PostgreSQL will skip. Install it with:"
    echo "    sudo apt-get install -y postgresql"
fi
