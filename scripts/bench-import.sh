#!/usr/bin/env bash
# CSV import benchmark: rows/s for 100k contacts on SQLite and PostgreSQL
# with the release binary (median of 3 runs, each into a fresh database),
# then contact search latency over those 100k contacts (list page, `q=`).
# Not a test. Results go to BENCHMARKS.md ("Import" section) by hand.
#
#   scripts/bench-import.sh [ROWS]      default 100000
#
# Environment:
#   AF_BENCH_NO_BUILD=1     use the binary as it is (no cargo build)
#   AF_BENCH_BIN=PATH       the binary (default target/release/agencyflow)
#   AF_BENCH_RUNS=N         import runs per backend (default 3; the median)
#   AF_BENCH_UPGRADE_BIN=PATH  after measuring search with AF_BENCH_BIN, run
#                           this binary's `migrate` on the same database
#                           (timed: an upgrade with 100k contacts in it),
#                           then measure search again with it — the same
#                           data and queries before and after a change
#   AF_BENCH_BACKENDS="sqlite postgres"  which backends (default both)
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and python3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rows="${1:-100000}"
bin="${AF_BENCH_BIN:-target/release/agencyflow}"
runs="${AF_BENCH_RUNS:-3}"
upgrade_bin="${AF_BENCH_UPGRADE_BIN:-}"
backends="${AF_BENCH_BACKENDS:-sqlite postgres}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[ -n "${AF_BENCH_NO_BUILD:-}" ] || cargo build --release -p agencyflow >/dev/null

csv="$work/contacts.csv"
python3 - "$rows" "$csv" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(7)
first = ["Ana", "Luis", "María José", "Carlos", "Lucía", "Jorge", "Sofía", "Diego", "Valeria", "Andrés"]
last = ["Pérez", "Gómez", "Rodríguez", "Hernández", "López", "Martínez", "García", "Sánchez"]
with open(path, "w", encoding="utf-8-sig", newline="") as f:
    f.write("Nombre;Apellidos;Correo electrónico;Teléfono;Empresa;Fuente;Etiquetas;utm_source;utm_campaign\r\n")
    for i in range(n):
        f.write(f"{random.choice(first)};{random.choice(last)};persona{i}@ejemplo.mx;81{i:08d};"
                f"\"Empresa {i % 997}, S.A.\";landing;{random.choice(['vip', 'frio', 'web|vip', 'evento'])};"
                f"{random.choice(['google', 'facebook', 'instagram'])};campana-{i % 13}\r\n")
PY

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

run_backend() {
  local name="$1" url_fn="$2"
  local times=()
  for i in $(seq 1 "$runs"); do
    local url; url="$($url_fn "$i")"
    DATABASE_URL="$url" AF_LOG=warn "$bin" workspace create --slug bench --name Bench --country MX >/dev/null
    local t0 t1
    t0=$(date +%s.%N)
    DATABASE_URL="$url" AF_LOG=warn "$bin" import contacts --workspace bench "$csv" --json >"$work/out.json"
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc -l)")
    echo "$name run $i: $(echo "$t1 - $t0" | bc -l) s $(cat "$work/out.json" | python3 -c 'import json,sys; d=json.load(sys.stdin); print({k: d[k] for k in ("created","updated","rejected")})')" >&2
    last_url="$url"
  done
  local med; med=$(printf '%s\n' "${times[@]}" | median)
  printf '%s: median %.2f s, %.0f rows/s (runs: %s)\n' "$name" "$med" "$(echo "$rows / $med" | bc -l)" "${times[*]}"
}

sqlite_url() { echo "sqlite://$work/bench-$1.db"; }
pg_url() {
  local db="af_bench_import_$1"
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db" >/dev/null
  echo "postgres://postgres@127.0.0.1:5432/$db"
}

search_latency() {
  local name="$1" url="$2" port="$3" bin="${4:-$bin}" email="${5:-bench@ejemplo.mx}"
  DATABASE_URL="$url" AF_LOG=warn "$bin" user create --workspace bench --email "$email" \
    --password 'bench password 1' --role owner >/dev/null
  local key; key=$(DATABASE_URL="$url" AF_LOG=warn "$bin" apikey create --workspace bench --name bench --json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  DATABASE_URL="$url" AF_LOG=warn "$bin" serve --bind "127.0.0.1:$port" --no-worker >/dev/null 2>&1 &
  local pid=$!
  AF_BENCH_KEY="$key" AF_BENCH_EMAIL="$email" python3 - "$name" "$port" <<'PY'
import http.cookiejar, re, statistics, sys, time, urllib.parse, urllib.request
name, port = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}"
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/healthz"); break
    except Exception:
        time.sleep(0.1)
jar = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k): return None
page = op.open(base + "/login").read().decode()
token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
import os
data = urllib.parse.urlencode({"email": os.environ["AF_BENCH_EMAIL"], "password": "bench password 1", "_csrf": token}).encode()
try:
    op.open(base + "/login", data)
except urllib.error.HTTPError:
    pass
key = os.environ["AF_BENCH_KEY"]
queries = ["persona4242", "perez", "8100012345", "empresa 12", "zzzz-nada", "lucia"]
def measure(label, make):
    samples = []
    for rnd in range(6):
        for q in queries:
            req = make(q)
            t0 = time.perf_counter()
            op.open(req).read()
            samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p50 = statistics.median(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(f"{name} {label} ({len(samples)} requests, queries {queries}): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
measure("GET /api/v1/contacts?q=", lambda q: urllib.request.Request(
    base + "/api/v1/contacts?limit=50&q=" + urllib.parse.quote(q), headers={"Authorization": "Bearer " + key}))
measure("GET /contacts?q= (list page)", lambda q: base + "/contacts?q=" + urllib.parse.quote(q))
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

# The same database, upgraded by $upgrade_bin: its migrations (and their
# backfills) timed, then the same search measured again.
upgrade_and_search() {
  local name="$1" url="$2" port="$3"
  [ -n "$upgrade_bin" ] || return 0
  local t0 t1
  t0=$(date +%s.%N)
  DATABASE_URL="$url" AF_LOG=warn "$upgrade_bin" migrate >/dev/null
  t1=$(date +%s.%N)
  echo "$name upgrade: migrate took $(echo "$t1 - $t0" | bc -l) s over $rows contacts"
  search_latency "$name (upgraded)" "$url" "$port" "$upgrade_bin" bench2@ejemplo.mx
}

echo "rows: $rows, machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GiB RAM, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for backend in $backends; do
  case "$backend" in
    sqlite)
      run_backend sqlite sqlite_url
      search_latency sqlite "$last_url" 18081
      upgrade_and_search sqlite "$last_url" 18083 ;;
    postgres)
      run_backend postgres pg_url
      search_latency postgres "$last_url" 18082
      upgrade_and_search postgres "$last_url" 18084 ;;
  esac
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$runs"); do psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS af_bench_import_$i" >/dev/null; done
