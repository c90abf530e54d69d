#!/usr/bin/env bash
# The ceiling beside the lead benchmark, measured in the same run so machine
# noise cancels out: a plain client (scripts/bench_ceiling.py) commits the
# rows one accepted lead writes — copied from a lead the real server
# accepted, on the real schema — one transaction per lead and batched; then
# scripts/bench-lead.sh measures `POST /api/lead` on the same backend.
# BENCHMARKS.md reports our figures as a fraction of the ceiling.
#
#   scripts/bench-ceiling.sh                     # SQLite, then PostgreSQL
#   BACKENDS=sqlite LEADS=5000 scripts/bench-ceiling.sh
#   AF_BENCH_BIN=/tmp/agencyflow-old scripts/bench-ceiling.sh
#
# Needs python3 (with pysqlite3-binary for SQLite and psycopg for PostgreSQL:
# installed with pip if missing)
# and wrk for the lead benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKENDS="${BACKENDS:-sqlite postgres}"
LEADS="${LEADS:-3000}"
BATCH="${BATCH:-100}"
PG_ADMIN="${AF_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BIN="${AF_BENCH_BIN:-target/release/agencyflow}"
if [[ -z "${AF_BENCH_BIN:-}" ]]; then
  [[ -x "$BIN" && -n "${AF_BENCH_NO_BUILD:-}" ]] || cargo build --release --locked -p agencyflow
fi

for backend in $BACKENDS; do
  tmp="$(mktemp -d)"
  if [[ "$backend" == sqlite ]]; then
    python3 -c 'import pysqlite3' 2>/dev/null || pip install --quiet pysqlite3-binary
    url="sqlite://$tmp/ceiling.db"
    target="$tmp/ceiling.db"
  else
    python3 -c 'import psycopg' 2>/dev/null || pip install --quiet 'psycopg[binary]'
    db="af_bench_ceiling_$$"
    psql -q "$PG_ADMIN" -c "CREATE DATABASE $db"
    url="${PG_ADMIN%/*}/$db"
    target="$url"
  fi
  export DATABASE_URL="$url" AF_DATA_DIR="$tmp" AF_LOG=warn
  "$BIN" migrate >/dev/null
  "$BIN" workspace create --slug bench --name Bench --time-zone America/Mexico_City --country MX >/dev/null
  key="$("$BIN" apikey create --workspace bench --name ceiling --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "$BIN" serve --bind "127.0.0.1:$port" >"$tmp/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fsS -X POST "http://127.0.0.1:$port/api/v1/workflows" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"name":"3 pasos","trigger":{"type":"lead_created"},"active":true,"steps":[
         {"type":"send_email","subject":"Hola","body":"Gracias"},
         {"type":"send_sms","body":"Hola"},
         {"type":"send_email","subject":"Agenda","body":"Agenda"}]}' >/dev/null
  curl -fsS -X POST "http://127.0.0.1:$port/api/lead" -H "X-Api-Key: $key" -H 'Content-Type: application/json' \
    -d '{"nombre":"Ana Ceiling","email":"ana@ceiling.example","telefono":"+52 55 1234 5678","empresa":"Bench SA","servicio":"SEO","fuente":"ceiling"}' >/dev/null
  kill $pid; wait $pid 2>/dev/null || true
  echo "== $backend: the ceiling ($LEADS leads each way)"
  python3 scripts/bench_ceiling.py "$backend" "$target" "$LEADS" "$BATCH"
  if [[ "$backend" == postgres ]]; then psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $db"; fi
  rm -rf "$tmp"
  echo "== $backend: our POST /api/lead, same machine, now"
  BACKENDS="$backend" AF_BENCH_BIN="$BIN" scripts/bench-lead.sh
done
