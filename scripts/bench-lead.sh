#!/usr/bin/env bash
# Benchmark of the PAUTA lead API (`POST /api/lead`) with one active
# three-step workflow attached: every 2xx lead is committed with its routing
# job before the answer. Release binary, fresh database per backend, wrk on
# loopback (apt-get install wrk).
#
#   scripts/bench-lead.sh                 # SQLite, then PostgreSQL
#   BACKENDS=sqlite SECS=20 scripts/bench-lead.sh
#   AF_BENCH_BIN=/tmp/agencyflow-c94e469 scripts/bench-lead.sh   # another build
#
# Per backend: a sustained run (CONNS connections, as fast as they go), then
# a paced run at about half the sustained rate for its p50/p99.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKENDS="${BACKENDS:-sqlite postgres}"
SECS="${SECS:-20}"
CONNS="${CONNS:-16}"
PG_ADMIN="${AF_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
# AF_BENCH_BIN measures another build (e.g. an older commit's binary, for a
# before/after comparison in one session); it is never rebuilt.
BIN="${AF_BENCH_BIN:-target/release/agencyflow}"
if [[ -z "${AF_BENCH_BIN:-}" ]]; then
  [[ -x "$BIN" && -n "${AF_BENCH_NO_BUILD:-}" ]] || cargo build --release --locked -p agencyflow
fi
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

for backend in $BACKENDS; do
  tmp="$(mktemp -d)"
  if [[ "$backend" == sqlite ]]; then
    url="sqlite://$tmp/bench.db"
  else
    db="af_bench_lead_$$"
    psql -q "$PG_ADMIN" -c "CREATE DATABASE $db"
    url="${PG_ADMIN%/*}/$db"
  fi
  export DATABASE_URL="$url" AF_DATA_DIR="$tmp" AF_LOG=warn AF_QUIET_HOURS=00:00-00:00
  "$BIN" migrate >/dev/null
  "$BIN" workspace create --slug bench --name Bench --time-zone America/Mexico_City --country MX >/dev/null
  KEY="$("$BIN" apikey create --workspace bench --name wrk --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')"
  export KEY
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "$BIN" serve --bind "127.0.0.1:$port" >"$tmp/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fsS -X POST "http://127.0.0.1:$port/api/v1/workflows" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d '{"name":"3 pasos","trigger":{"type":"lead_created"},"active":true,"steps":[
         {"type":"send_email","subject":"Hola {{ contact.first_name }}","body":"Gracias"},
         {"type":"send_sms","body":"Hola {{ contact.first_name }}"},
         {"type":"send_email","subject":"Agenda","body":"{{ booking_url }}"}]}' >/dev/null
  echo "== $backend: sustained, $CONNS connections, ${SECS}s"
  out="$(wrk -t2 -c"$CONNS" -d"${SECS}s" -s scripts/lead.lua "http://127.0.0.1:$port" 2>&1)"
  echo "$out" | grep -E "Requests/sec|requests=|Non-2xx" || echo "$out"
  rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  # Half the sustained rate, spread over CONNS connections.
  delay="$(python3 -c "r=float('$rps'); print(max(1, int($CONNS*1000/(r/2))))")"
  echo "== $backend: paced at ~half ($CONNS connections, ${delay} ms between requests each)"
  out="$(DELAY_MS="$delay" wrk -t2 -c"$CONNS" -d"${SECS}s" -s scripts/lead.lua "http://127.0.0.1:$port" 2>&1)"
  echo "$out" | grep -E "Requests/sec|requests=|Non-2xx" || echo "$out"
  kill $pid; wait $pid 2>/dev/null || true
  if [[ "$backend" == postgres ]]; then psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $db"; fi
  rm -rf "$tmp"
done
