#!/usr/bin/env bash
# Job queue benchmark (results in BENCHMARKS.md, section "Jobs").
#
# With the release build of the real binary, on a fresh database per run:
#  1. throughput: enqueue N diagnostic jobs (diag_noop, or diag_http against
#     a loopback stub server), start W `agencyflow worker` processes, and
#     wait for the queue to empty; jobs/s = N / (last finish - first start),
#     read from the jobs table (`agencyflow jobs latency --json`);
#  2. due → start latency under a steady load: the workers run while
#     `agencyflow jobs enqueue-diag --rate R` enqueues R jobs/s for S
#     seconds; p50/p99 of started_at - run_at of those jobs.
# Each case runs RUNS times; the median is reported.
#
#   scripts/bench-jobs.sh                # everything (about 10 minutes)
#   CASES="sqlite:1:diag_noop" RUNS=1 scripts/bench-jobs.sh
#
# Knobs: N_NOOP (50000), N_HTTP (20000), RUNS (3), RATE (1000), SECS (10),
# AF_BENCH_PG (postgres://postgres@127.0.0.1:5432), CASES (backend:workers:kind,
# space separated). Worker tuning comes from the usual AF_JOB_* variables.
set -euo pipefail
cd "$(dirname "$0")/.."

N_NOOP=${N_NOOP:-50000}
N_HTTP=${N_HTTP:-20000}
RUNS=${RUNS:-3}
RATE=${RATE:-1000}
SECS=${SECS:-10}
PG=${AF_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
CASES=${CASES:-"sqlite:1:diag_noop sqlite:1:diag_http postgres:1:diag_noop postgres:2:diag_noop postgres:1:diag_http postgres:2:diag_http"}
STUB_ADDR=127.0.0.1:${AF_BENCH_STUB_PORT:-18080}

echo "== building (release)"
cargo build --release -q -p agencyflow
cargo build --release -q -p af-jobs --example http_stub
BIN=$PWD/target/release/agencyflow
STUB=$PWD/target/release/examples/http_stub

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

"$STUB" "$STUB_ADDR" 2>/dev/null &
PIDS+=($!)
for _ in $(seq 1 50); do
  curl -sf "http://$STUB_ADDR/ping" >/dev/null && break
  sleep 0.1
done

export AF_LOG=info AF_SECRET_KEY=bench-only-secret-key-0123456789abcdef-0123456789 AF_DATA_DIR=$WORK
unset AF_CONFIG

fresh_db() { # backend -> DATABASE_URL
  local name="af_bench_$(date +%s%N)"
  case "$1" in
    sqlite) echo "sqlite://$WORK/$name.db" ;;
    postgres)
      psql -q "$PG/postgres" -c "CREATE DATABASE $name" >/dev/null
      echo "$PG/$name" ;;
  esac
}

drop_db() { # url
  case "$1" in
    postgres*) psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS ${1##*/} WITH (FORCE)" >/dev/null ;;
    *) rm -f "${1#sqlite://}"* ;;
  esac
}

diag_args() { # kind
  if [ "$1" = diag_http ]; then echo "--kind diag_http --url http://$STUB_ADDR/ok"; else echo "--kind $1"; fi
}

WORKERS=()
start_workers() { # url count
  WORKERS=()
  local i
  for i in $(seq 1 "$2"); do
    DATABASE_URL=$1 "$BIN" worker >/dev/null 2>"$WORK/worker-$i.log" &
    WORKERS+=($!)
    PIDS+=($!)
  done
  for i in $(seq 1 "$2"); do
    for _ in $(seq 1 100); do
      grep -q "job worker started" "$WORK/worker-$i.log" 2>/dev/null && break
      sleep 0.05
    done
  done
}

stop_workers() {
  local p
  for p in "${WORKERS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${WORKERS[@]}"; do wait "$p" 2>/dev/null || true; done
}

wait_empty() { # url
  local left
  for _ in $(seq 1 1200); do
    left=$(DATABASE_URL=$1 "$BIN" jobs stats --json 2>/dev/null | jq '.by_state.pending + .by_state.running')
    [ "$left" = 0 ] && return 0
    sleep 0.25
  done
  echo "queue did not empty" >&2
  return 1
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

throughput() { # backend workers kind -> jobs/s
  local url n
  url=$(fresh_db "$1")
  n=$([ "$3" = diag_http ] && echo "$N_HTTP" || echo "$N_NOOP")
  DATABASE_URL=$url "$BIN" migrate >/dev/null 2>&1
  # shellcheck disable=SC2046
  DATABASE_URL=$url "$BIN" jobs enqueue-diag $(diag_args "$3") --count "$n" --batch 1000 >/dev/null 2>&1
  start_workers "$url" "$2"
  wait_empty "$url"
  stop_workers
  DATABASE_URL=$url "$BIN" jobs latency --kind "$3" --since-secs 3600 --json 2>/dev/null | jq '.jobs_per_sec'
  drop_db "$url"
}

latency() { # backend workers kind -> "p50 p99"
  local url
  url=$(fresh_db "$1")
  DATABASE_URL=$url "$BIN" migrate >/dev/null 2>&1
  if [ "$1" = sqlite ]; then
    # SQLite has no cross-process wake-up: the producer runs the worker
    # in its own process, as `agencyflow serve` does on a single node.
    # shellcheck disable=SC2046
    DATABASE_URL=$url "$BIN" jobs enqueue-diag $(diag_args "$3") --count $((RATE * SECS)) --rate "$RATE" --work >/dev/null 2>&1
  else
    start_workers "$url" "$2"
    # shellcheck disable=SC2046
    DATABASE_URL=$url "$BIN" jobs enqueue-diag $(diag_args "$3") --count $((RATE * SECS)) --rate "$RATE" >/dev/null 2>&1
    wait_empty "$url"
    stop_workers
  fi
  DATABASE_URL=$url "$BIN" jobs latency --kind "$3" --since-secs 3600 --json 2>/dev/null | jq -r '"\(.p50_ms) \(.p99_ms)"'
  drop_db "$url"
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "== $(psql -Atq "$PG/postgres" -c 'SHOW server_version' 2>/dev/null | sed 's/^/PostgreSQL /'), SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo bundled)"
echo "== N_NOOP=$N_NOOP N_HTTP=$N_HTTP RUNS=$RUNS RATE=$RATE/s for ${SECS}s"
printf '| backend | workers | kind | jobs/s (median of %s) | runs | p50 ms @%s/s | p99 ms @%s/s |\n' "$RUNS" "$RATE" "$RATE"
printf '|---|---|---|---|---|---|---|\n'
for c in $CASES; do
  IFS=: read -r backend workers kind <<<"$c"
  tps=()
  p50s=()
  p99s=()
  for _ in $(seq 1 "$RUNS"); do
    tps+=("$(throughput "$backend" "$workers" "$kind")")
    read -r p50 p99 <<<"$(latency "$backend" "$workers" "$kind")"
    p50s+=("$p50")
    p99s+=("$p99")
  done
  printf '| %s | %s | %s | **%.0f** | %s | %.1f | %.1f |\n' "$backend" "$workers" "$kind" \
    "$(printf '%s\n' "${tps[@]}" | median)" \
    "$(printf '%.0f ' "${tps[@]}")" \
    "$(printf '%s\n' "${p50s[@]}" | median)" \
    "$(printf '%s\n' "${p99s[@]}" | median)"
done
