#!/usr/bin/env bash
# Runs every test: the Rust suites on SQLite and on PostgreSQL, a smoke test
# of the binary on both backends, and the browser tests.
# Needs: the Rust toolchain, PostgreSQL (started here if down), Node + npm
# (browser tests; Chromium is installed by scripts/e2e.sh when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export AF_TEST_PG_URL="${AF_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

scripts/pg-up.sh
# Test databases are created per test (af_test_*); drop leftovers of earlier runs.
psql -q "$AF_TEST_PG_URL" -At -c "SELECT datname FROM pg_database WHERE datname LIKE 'af\_test\_%'" \
  | while read -r db; do psql -q "$AF_TEST_PG_URL" -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null; done

echo "== tests on SQLite"
AF_TEST_BACKEND=sqlite cargo test --workspace --locked
echo "== tests on PostgreSQL"
AF_TEST_BACKEND=postgres cargo test --workspace --locked

# The smoke and browser tests use the binary `cargo test` just built (the
# same code as the release build, without a second full compile of every
# dependency at opt-level 3, which would double CI's build time).
echo "== binary smoke tests"
cargo build --locked -p agencyflow
export AF_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/agencyflow"
scripts/smoke.sh "sqlite://$(mktemp -d)/smoke.db"
pg_db="af_smoke_$$"
psql -q "$AF_TEST_PG_URL" -c "CREATE DATABASE $pg_db"
trap 'psql -q "$AF_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true' EXIT
scripts/smoke.sh "${AF_TEST_PG_URL%/*}/$pg_db"

echo "== API fuzzing (schemathesis, from the OpenAPI document)"
AF_FUZZ_EXAMPLES="${AF_FUZZ_EXAMPLES:-5}" scripts/api-fuzz.sh

echo "== browser tests"
AF_E2E_BIN="$AF_BIN" scripts/e2e.sh
