#!/usr/bin/env bash
# Smoke test of the binary: starts `agencyflow serve --demo` on the given
# database URL and checks that /healthz and /readyz answer 200, then stops it.
# Usage: scripts/smoke.sh DATABASE_URL   (AF_BIN: the binary; default
# target/release/agencyflow)
set -euo pipefail
cd "$(dirname "$0")/.."
url="$1"
bin="${AF_BIN:-$PWD/target/release/agencyflow}"
tmp="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# exec: $! is then the server itself, so the trap stops the server (not
# just a subshell that would leave it running, holding its database).
(cd "$tmp" && DATABASE_URL="$url" AF_BIND="127.0.0.1:$port" AF_LOG=warn exec "$bin" serve --demo >"$tmp/out.log" 2>&1) &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null
    grep -q "demo@agencyflow.local" "$tmp/out.log" || { echo "demo credentials not printed"; cat "$tmp/out.log"; exit 1; }
    echo "smoke: ${url%%:*} backend ready on port $port"
    exit 0
  fi
  if ! kill -0 $pid 2>/dev/null; then break; fi
  sleep 0.2
done
echo "smoke: server never became ready on ${url%%:*}" >&2
cat "$tmp/out.log" >&2
exit 1
