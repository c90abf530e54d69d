#!/usr/bin/env bash
# Property-based fuzzing of the JSON API from its own OpenAPI document:
# starts `agencyflow serve --demo` on a fresh SQLite file, creates an API
# key, checks the document with openapi-spec-validator, then lets
# schemathesis generate requests for every operation of /api/v1 (valid and
# invalid ones) and fails on any 5xx, any answer whose status, content type
# or body the document does not describe, or a crash.
# Usage: scripts/api-fuzz.sh   (AF_BIN: the binary, default
# target/release/agencyflow; AF_FUZZ_EXAMPLES: cases per operation, default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${AF_BIN:-$PWD/target/release/agencyflow}"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
examples="${AF_FUZZ_EXAMPLES:-10}"

# Pinned tools from PyPI, installed when missing.
if ! python3 -c 'import schemathesis, openapi_spec_validator' >/dev/null 2>&1; then
  echo "== installing schemathesis and openapi-spec-validator"
  python3 -m pip install -q --disable-pip-version-check "schemathesis==4.32.5" "openapi-spec-validator==0.9.0"
fi

tmp="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
export DATABASE_URL="sqlite://$tmp/fuzz.db"
# The fuzzer sends thousands of requests a minute with one key.
(cd "$tmp" && AF_BIND="127.0.0.1:$port" AF_LOG=warn AF_API_RATE_LIMIT=1000000 \
  exec "$bin" serve --demo >"$tmp/server.log" 2>&1) &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 1 150); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
  sleep 0.2
done
key="$("$bin" apikey create --workspace demo --name fuzz --json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')"

curl -fsS "$base/api/openapi.json?lang=en" >"$tmp/openapi.json"
echo "== openapi-spec-validator"
python3 -m openapi_spec_validator "$tmp/openapi.json"

echo "== schemathesis: $examples cases per operation of /api/v1"
set +e
# Run from the scratch folder: schemathesis and hypothesis keep caches in
# the working directory.
cd "$tmp"
schemathesis run "$tmp/openapi.json" --url "$base" \
  -H "Authorization: Bearer $key" \
  --include-path-regex '^/api/v1/' \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$examples" --seed 21 --generation-deterministic \
  --phases examples,coverage,fuzzing --workers 2 --no-color | tee "$tmp/schemathesis.log"
rc=${PIPESTATUS[0]}
set -e
cases="$(grep -Eo '[0-9]+ generated' "$tmp/schemathesis.log" | tail -1 | cut -d' ' -f1)"
ops="$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for p,i in d["paths"].items() if p.startswith("/api/v1/") for m in i if m in ("get","post","put","patch","delete")))' "$tmp/openapi.json")"
echo "api fuzz: schemathesis sent ${cases:-?} generated requests to the ${ops} operations of /api/v1 (exit $rc)"
if grep -q "panicked" "$tmp/server.log"; then
  echo "the server panicked:" >&2
  grep -A5 "panicked" "$tmp/server.log" >&2
  exit 1
fi
exit $rc
