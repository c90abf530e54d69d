#!/usr/bin/env bash
# Benchmark of the booking API on the issue's worst case: a 20-host
# round-robin calendar with 200 bookings per host over the next 30 days.
# Release binary, fresh database per backend, wrk on loopback
# (apt-get install wrk).
#
#   scripts/bench-booking.sh                     # SQLite, then PostgreSQL
#   BACKENDS=sqlite SECS=10 scripts/bench-booking.sh
#
# Per backend:
#   1. GET …/slots for the 30 days, 1 connection, then 4 connections;
#   2. POST …/bookings from 16 connections at once, each request booking a
#      different free (time, host) pair of a second, empty 20-host calendar
#      (so every 201 is a real booking, with its claims, contact, deal,
#      events and notice jobs committed before the answer).
set -euo pipefail
cd "$(dirname "$0")/.."
BACKENDS="${BACKENDS:-sqlite postgres}"
SECS="${SECS:-10}"
PG_ADMIN="${AF_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BIN="${AF_BENCH_BIN:-target/release/agencyflow}"
if [[ -z "${AF_BENCH_BIN:-}" ]]; then
  [[ -x "$BIN" && -n "${AF_BENCH_NO_BUILD:-}" ]] || cargo build --release --locked -p agencyflow
fi
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
PY=scripts/bench_booking.py

for backend in $BACKENDS; do
  tmp="$(mktemp -d)"
  if [[ "$backend" == sqlite ]]; then
    url="sqlite://$tmp/bench.db"
  else
    db="af_bench_booking_$$"
    psql -q "$PG_ADMIN" -c "CREATE DATABASE $db"
    url="${PG_ADMIN%/*}/$db"
  fi
  export DATABASE_URL="$url" AF_DATA_DIR="$tmp" AF_LOG=warn
  "$BIN" migrate >/dev/null
  "$BIN" workspace create --slug bench --name Bench --time-zone America/Mexico_City --country MX >/dev/null
  for i in $(seq 0 19); do
    AF_USER_PASSWORD=bench-password-1 "$BIN" user create --workspace bench --email "host$i@bench.example" --name "Host $i" >/dev/null
  done
  KEY="$("$BIN" apikey create --workspace bench --name wrk --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')"
  export KEY
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  base="http://127.0.0.1:$port"
  "$BIN" serve --bind "127.0.0.1:$port" >"$tmp/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fsS "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

  cal="$(python3 $PY calendar "$base" "$KEY" team 60)"
  echo "== $backend: seeding 20 hosts × 200 bookings"
  python3 $PY seed "$base" "$KEY" "$cal" 200 || { [[ -n "${AF_BENCH_KEEP:-}" ]] && cp "$tmp/serve.log" /tmp/serve-failed.log; exit 1; }
  # Measure the steady state: the seed's confirmation emails (jobs) are
  # sent first, so the worker does not compete with the requests.
  for _ in $(seq 1 600); do
    due="$("$BIN" jobs stats --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["due_pending"] + d["by_state"]["running"])')"
    [[ "$due" == 0 ]] && break; sleep 1
  done
  from="$(date -d tomorrow +%F)"; to="$(date -d '+30 days' +%F)"
  export PATH_QS="/api/v1/calendars/$cal/slots?from=$from&to=$to"
  slots="$(curl -fsS -H "Authorization: Bearer $KEY" "$base$PATH_QS" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["slots"]))')"
  echo "== $backend: GET slots, 30 days ($slots slots offered), 1 connection, ${SECS}s"
  wrk -t1 -c1 -d"${SECS}s" -s scripts/slots.lua "$base" | grep -E "Requests/sec|requests="
  echo "== $backend: GET slots, 4 connections, ${SECS}s"
  wrk -t2 -c4 -d"${SECS}s" -s scripts/slots.lua "$base" | grep -E "Requests/sec|requests="

  cal2="$(python3 $PY calendar "$base" "$KEY" load 60)"
  export CAL="$cal2" STARTS="$tmp/starts.txt" THREADS=2
  python3 $PY starts "$base" "$KEY" "$cal2" "$from" "$(date -d '+59 days' +%F)" "$STARTS"
  echo "== $backend: POST bookings, 16 connections, ${SECS}s"
  wrk -t2 -c16 -d"${SECS}s" -s scripts/booking.lua "$base" | grep -E "Requests/sec|requests=|Non-2xx"

  kill $pid; wait $pid 2>/dev/null || true
  if [[ "$backend" == postgres ]]; then psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $db"; fi
  [[ -n "${AF_BENCH_KEEP:-}" ]] && echo "kept $tmp" || rm -rf "$tmp"
done
