#!/usr/bin/env bash
# Makes sure the local PostgreSQL server the tests use is running
# (127.0.0.1:5432, user postgres, trust auth), starting it if it is down.
set -euo pipefail
PG_URL="${AF_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if pg_isready -q -d "$PG_URL" 2>/dev/null; then exit 0; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not running and pg_ctlcluster is missing: install postgresql (apt-get install postgresql)" >&2
  exit 1
fi
echo "starting PostgreSQL..."
pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
for _ in $(seq 1 60); do
  if pg_isready -q -d "$PG_URL"; then exit 0; fi
  sleep 0.5
done
echo "PostgreSQL did not become ready at $PG_URL" >&2
exit 1
