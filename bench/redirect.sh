#!/usr/bin/env bash
# Redirect benchmark: wrk with 64 connections against the bare net/http map
# baseline and against linkwatch (SQLite, then PostgreSQL), scans recorded, in
# the same run. Prints req/s, p50, p99 and the ratio to the baseline (the mean
# of a baseline run before and after, to cancel drift on a noisy machine).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed: sudo apt-get install wrk" >&2; exit 1; }

DURATION="${DURATION:-15s}"
CONNS="${CONNS:-64}"
LINKS="${LINKS:-1000}"
PG="${LINKWATCH_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/linkwatch_bench?sslmode=disable}"
TOKEN="bench-admin-token-$(date +%s)"
OUT=.bench
mkdir -p "$OUT"
go build -o "$OUT/linkwatch" ./cmd/linkwatch
go build -o "$OUT/benchtool" ./bench/benchtool

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_http() { for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

# measure NAME URL: runs wrk, prints a row, sets RPS.
measure() {
  local out
  out=$(LINKS="$LINKS" wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s bench/slugs.lua "$2")
  RPS=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  local p50 p99 non
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non=$(awk '/Non-2xx or 3xx responses/ {print $NF}' <<<"$out")
  printf '%-28s %12s req/s   p50 %-9s p99 %-9s errors %s\n' "$1" "$RPS" "$p50" "$p99" "${non:-0}"
}

start_linkwatch() { # DB
  LINKWATCH_ADMIN_TOKEN="$TOKEN" LINKWATCH_LOG_LEVEL=warn LINKWATCH_DB="$1" \
    "$OUT/linkwatch" serve --addr 127.0.0.1:18082 >"$OUT/linkwatch.out" 2>"$OUT/linkwatch.err" &
  pids+=($!)
  wait_http http://127.0.0.1:18082/readyz
  "$OUT/benchtool" seed --server http://127.0.0.1:18082 --token "$TOKEN" --links "$LINKS"
  sleep 1
}

stop_last() { local p="${pids[-1]}"; kill -TERM "$p"; wait "$p" || true; unset 'pids[-1]'; }

scans_written() { curl -fsS http://127.0.0.1:18082/metrics | awk '/^linkwatch_scans_written_total/ {print $2}'; }

echo "redirect benchmark: wrk -t2 -c$CONNS -d$DURATION, $LINKS links, $(nproc) cores"
"$OUT/benchtool" baseline --addr 127.0.0.1:18081 --links "$LINKS" & pids+=($!)
wait_http http://127.0.0.1:18081/s0 || true
measure "baseline (net/http map)" http://127.0.0.1:18081; BASE1=$RPS
stop_last

rm -f "$OUT/bench.db" "$OUT/bench.db-wal" "$OUT/bench.db-shm"
start_linkwatch "$OUT/bench.db"
measure "linkwatch sqlite" http://127.0.0.1:18082; SQLITE=$RPS
sleep 1; echo "  scans written: $(scans_written)"
stop_last

PGRPS=""
if psql "${PG%/*}/postgres" -qc "DROP DATABASE IF EXISTS linkwatch_bench" -c "CREATE DATABASE linkwatch_bench" >/dev/null 2>&1; then
  start_linkwatch "$PG"
  measure "linkwatch postgres" http://127.0.0.1:18082; PGRPS=$RPS
  sleep 1; echo "  scans written: $(scans_written)"
  stop_last
else
  echo "linkwatch postgres: skipped (PostgreSQL at ${PG%/*} unreachable)"
fi

"$OUT/benchtool" baseline --addr 127.0.0.1:18081 --links "$LINKS" & pids+=($!)
wait_http http://127.0.0.1:18081/s0 || true
measure "baseline again" http://127.0.0.1:18081; BASE2=$RPS
stop_last

awk -v b1="$BASE1" -v b2="$BASE2" -v s="$SQLITE" -v p="$PGRPS" 'BEGIN {
  b = (b1 + b2) / 2
  printf "ratio to baseline (mean %.0f req/s): sqlite %.3f", b, s / b
  if (p != "") printf ", postgres %.3f", p / b
  printf "   (target >= 0.90)\n"
}'
