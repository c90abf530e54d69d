#!/usr/bin/env bash
# Benchmark (not a test): first render of a kanban board whose pipeline holds
# 10,000 deals, measured with wrk against the release binary.
#
#   scripts/bench-board.sh [sqlite|postgres]
#
# Environment: DEALS (10000), DURATION (20s), PG_SERVER
# (postgres://postgres@127.0.0.1:5432), AF_BENCH_BIN (the binary; default
# target/release/agencyflow, built when missing). Seeds a fresh database through the
# JSON API (contacts with tags, deals spread over the default pipeline's six
# stages), signs in through the login form, then runs wrk on GET
# /pipelines/{id} with the session cookie: one connection (the latency a
# user sees) and 8 connections (a busy server). On PostgreSQL the tables are
# analysed after the load (as autovacuum would). Needs curl, jq, node, wrk
# (and psql for PostgreSQL).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BACKEND="${1:-sqlite}"
DEALS="${DEALS:-10000}"
DURATION="${DURATION:-20s}"
PG_SERVER="${PG_SERVER:-postgres://postgres@127.0.0.1:5432}"
BIN="${AF_BENCH_BIN:-$ROOT/target/release/agencyflow}"
PASSWORD='bench password 123'

log() { printf 'bench: %s\n' "$*" >&2; }
for tool in curl jq node wrk; do
  command -v "$tool" >/dev/null || { log "$tool is missing"; exit 1; }
done
[[ -x "$BIN" ]] || cargo build --release -p agencyflow

TMP="$(mktemp -d "${TMPDIR:-/tmp}/af-bench.XXXXXX")"
SERVER_PID=""
PG_DB=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ -n "$PG_DB" ]]; then
    psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

case "$BACKEND" in
  sqlite) export DATABASE_URL="sqlite://$TMP/bench.db" ;;
  postgres)
    PG_DB="af_bench_$$"
    psql "$PG_SERVER/postgres" -qc "CREATE DATABASE $PG_DB" >/dev/null
    export DATABASE_URL="$PG_SERVER/$PG_DB"
    ;;
  *) log "usage: $0 [sqlite|postgres]"; exit 2 ;;
esac
export AF_DATA_DIR="$TMP/data" AF_SECRET_KEY="$(printf 'b%.0s' {1..64})" AF_LOG="${AF_LOG:-warn}"
unset AF_CONFIG AF_BASE_URL AF_BIND
mkdir -p "$AF_DATA_DIR"

"$BIN" migrate >/dev/null
"$BIN" workspace create --slug bench --name "Bench MX" >/dev/null
"$BIN" user create --workspace bench --email owner@bench.test --password "$PASSWORD" --role owner >/dev/null
KEY="$("$BIN" apikey create --workspace bench --name bench --json | jq -r .key)"

PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
BASE="http://127.0.0.1:$PORT"
"$BIN" serve --bind "127.0.0.1:$PORT" --no-worker >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -fs "$BASE/readyz" >/dev/null && break
  sleep 0.25
done

log "seeding $DEALS deals on $BACKEND"
seed_start=$(date +%s)
BASE="$BASE" KEY="$KEY" DEALS="$DEALS" node --input-type=module <<'JS'
const { BASE, KEY, DEALS } = process.env;
const h = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };
const call = async (method, path, body) => {
  const r = await fetch(BASE + path, { method, headers: h, body: body && JSON.stringify(body) });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json();
};
const pipelines = await call('GET', '/api/v1/pipelines');
const list = Array.isArray(pipelines) ? pipelines : pipelines.data;
const p = list.find((x) => x.is_default) || list[0];
const stages = [...p.stages].sort((a, b) => a.position - b.position);
const tags = ['web', 'referido', 'facebook', 'google', 'vip'];
let next = 0;
const worker = async () => {
  for (let i = next++; i < Number(DEALS); i = next++) {
    const c = await call('POST', '/api/v1/contacts', {
      first_name: `Cliente${i}`, last_name: 'Prueba', email: `c${i}@bench.test`,
      tags: [tags[i % tags.length]],
    });
    await call('POST', '/api/v1/deals', {
      contact_id: c.id, pipeline_id: p.id, stage_id: stages[i % stages.length].id,
      title: `Proyecto ${i}`, value: 100_000 + (i % 97) * 1_000, currency: i % 10 === 0 ? 'USD' : 'MXN',
    });
  }
};
await Promise.all(Array.from({ length: 8 }, worker));
console.log(p.id);
JS
log "seeded in $(( $(date +%s) - seed_start ))s"
# Steady state: PostgreSQL's autovacuum analyses a freshly loaded table within
# a minute or so; do it now rather than measure plans made without statistics.
# (SQLite is measured as the server leaves it: it runs no ANALYZE.)
if [[ "$BACKEND" == postgres ]]; then
  psql "$DATABASE_URL" -qc "ANALYZE" >/dev/null
fi
PIPELINE="$(curl -fs -H "Authorization: Bearer $KEY" "$BASE/api/v1/pipelines" | jq -r 'if type=="array" then . else .data end | (map(select(.is_default)) + .)[0].id')"

# Sign in like a browser: the login page sets the session and CSRF token.
JAR="$TMP/cookies"
TOKEN="$(curl -fs -c "$JAR" "$BASE/login" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p' | head -1)"
curl -fs -o /dev/null -b "$JAR" -c "$JAR" --data-urlencode "email=owner@bench.test" \
  --data-urlencode "password=$PASSWORD" --data-urlencode "_csrf=$TOKEN" "$BASE/login"
SESSION="$(awk '$6 == "af_session" { print $7 }' "$JAR")"
URL="$BASE/pipelines/$PIPELINE"
STATUS="$(curl -s -o "$TMP/board.html" -w '%{http_code}' -H "Cookie: af_session=$SESSION" "$URL")"
[[ "$STATUS" == 200 ]] || { log "GET $URL answered $STATUS"; exit 1; }
log "board: $(wc -c <"$TMP/board.html") bytes, $(grep -o 'data-deal-id=' "$TMP/board.html" | wc -l) cards rendered of $DEALS"

echo "== $BACKEND, 1 connection, $DURATION"
wrk -t1 -c1 -d"$DURATION" --latency -H "Cookie: af_session=$SESSION" "$URL"
echo "== $BACKEND, 8 connections, $DURATION"
wrk -t2 -c8 -d"$DURATION" --latency -H "Cookie: af_session=$SESSION" "$URL"
