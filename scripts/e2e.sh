#!/usr/bin/env bash
# Real-browser end-to-end tests: Playwright (playwright-core) driving Debian's
# Chromium against a freshly seeded `agencyflow serve`.
#
#   scripts/e2e.sh                              every e2e/tests/*.test.js
#   scripts/e2e.sh e2e/tests/webhooks.test.js   only the files named
#
# Uses target/release/agencyflow (built with cargo when missing) and a fresh
# SQLite file in a temporary folder. Set AF_E2E_DATABASE_URL to run against
# another database instead, e.g. an EMPTY PostgreSQL database:
#   AF_E2E_DATABASE_URL=postgres://postgres@127.0.0.1/af_e2e scripts/e2e.sh
# AF_E2E_BIN picks another binary (e.g. target/debug/agencyflow).
# The dashboard screenshot lands in e2e/artifacts/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BIN="${AF_E2E_BIN:-$ROOT/target/release/agencyflow}"
CHROMIUM=/usr/bin/chromium
READY_TIMEOUT_S="${AF_E2E_READY_TIMEOUT:-60}"

log() { printf 'e2e: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# --- Chromium (Debian's; Playwright's own browser download does not work here)
if [[ ! -x "$CHROMIUM" ]]; then
  if [[ "$(id -u)" -eq 0 ]]; then
    log "installing Debian's chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq chromium >/dev/null
  else
    die "$CHROMIUM is missing; install it with: sudo apt-get install -y chromium"
  fi
fi
command -v node >/dev/null || die "node is missing (Node.js 20 or newer is needed)"
command -v npm >/dev/null || die "npm is missing"

# --- The binary
if [[ ! -x "$BIN" ]]; then
  log "building $BIN"
  cargo build --release -p agencyflow
fi

# --- A scratch folder, the database and the seed data
TMP="$(mktemp -d "${TMPDIR:-/tmp}/af-e2e.XXXXXX")"
SERVER_PID=""
cleanup() {
  local status=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export DATABASE_URL="${AF_E2E_DATABASE_URL:-sqlite://$TMP/e2e.db}"
export AF_DATA_DIR="$TMP/data"
export AF_SECRET_KEY="${AF_E2E_SECRET_KEY:-5e2e5e2e5e2e5e2e5e2e5e2e5e2e5e2e5e2e5e2e5e2e5e2e5e2e5e2e5e2e5e2e}"
export RUST_LOG="${RUST_LOG:-warn}"
unset AF_CONFIG AF_BASE_URL AF_BIND AF_USER_PASSWORD
mkdir -p "$AF_DATA_DIR"

PASSWORD='e2e password 123'
af() { "$BIN" "$@" >>"$TMP/setup.log" 2>&1 || { cat "$TMP/setup.log" >&2; die "failed: agencyflow $*"; }; }

log "seeding ${DATABASE_URL%%://*} database"
af migrate
af workspace create --slug acme --name "Acme MX"
af workspace create --slug beta --name "Beta CO" --country CO --time-zone America/Bogota
af user create --workspace acme --email owner@acme.test --password "$PASSWORD" --role owner --name "Olga Owner"
af user create --workspace beta --email owner@acme.test --password "$PASSWORD" --role admin
af user create --workspace acme --email member@acme.test --password "$PASSWORD" --role member --name "Mario Member"

# --- The server, on a free port
PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
BASE_URL="http://127.0.0.1:$PORT"
"$BIN" serve --bind "127.0.0.1:$PORT" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

ready=""
for _ in $(seq 1 $((READY_TIMEOUT_S * 4))); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    break
  fi
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$BASE_URL/readyz"; then
    ready=1
    break
  fi
  sleep 0.25
done
if [[ -z "$ready" ]]; then
  log "the server did not become ready at $BASE_URL/readyz within ${READY_TIMEOUT_S}s; its log:"
  cat "$TMP/server.log" >&2
  exit 1
fi
log "server ready at $BASE_URL"

# --- The tests
npm ci --prefix e2e --no-audit --no-fund --loglevel=error >/dev/null
rm -rf e2e/artifacts

export E2E_BASE_URL="$BASE_URL"
# The tour test starts its own `serve --demo` with the same binary.
export E2E_BIN="$BIN"
status=0
if [[ $# -gt 0 ]]; then
  tests=("$@")
else
  tests=(e2e/tests/*.test.js)
fi
node --test --test-reporter=spec "${tests[@]}" || status=$?
if [[ $status -ne 0 ]]; then
  log "tests failed; the server's log:"
  tail -n 200 "$TMP/server.log" >&2
fi
exit "$status"
