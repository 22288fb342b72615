#!/usr/bin/env bash
# Provide a PostgreSQL server's programs (initdb, postgres) to the tests, as .engine/postgres-bin (idempotent):
#   - $PULUMI_POLICIES_PG_BIN, if set, is the directory holding them;
#   - else the newest /usr/lib/postgresql/<major>/bin (Debian's layout), else initdb/postgres found on PATH;
#   - else, as root on Debian, `apt-get install postgresql` (Debian's package; the tests start their own
#     server from its programs, on loopback and a free port, and never touch the system's cluster).
# The tests that use PostgreSQL read .engine/postgres-bin; nothing else in the project needs it.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
out="$here/.engine/postgres-bin"
mkdir -p "$here/.engine"

has_server() { [ -x "$1/initdb" ] && [ -x "$1/postgres" ] && [ -x "$1/pg_ctl" ]; }

find_server() {
  if [ -n "${PULUMI_POLICIES_PG_BIN:-}" ]; then echo "$PULUMI_POLICIES_PG_BIN"; return; fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if has_server "$dir"; then echo "$dir"; return; fi
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v initdb)")"; fi
}

dir=$(find_server)
if [ -z "$dir" ] || ! has_server "$dir"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "postgres: installing Debian's postgresql package (the tests start their own server from it)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends postgresql >&2 \
      || { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends postgresql >&2; }
    dir=$(find_server)
  fi
fi
if [ -z "$dir" ] || ! has_server "$dir"; then
  echo "postgres: no PostgreSQL server programs (initdb, postgres, pg_ctl) found. Install Debian's package" \
       "(sudo apt-get install postgresql) or set PULUMI_POLICIES_PG_BIN to the directory holding them." >&2
  exit 1
fi
ln -sfn "$dir" "$out"
echo "postgres: $("$dir/postgres" --version) in $dir" >&2
