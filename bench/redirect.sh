#!/usr/bin/env bash
# Redirect benchmark: wrk with 64 connections against the bare net/http map
# baseline and against linkwatch on SQLite and on PostgreSQL, scans recorded,
# in the same run, in interleaved rounds. Prints req/s, p50, p99 and the ratio
# to the baseline, and writes them to $BENCH_OUT/redirect.tsv (default
# bench/out) for `benchtool summary`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed: sudo apt-get install wrk" >&2; exit 1; }

DURATION="${DURATION:-10s}"
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-64}"
LINKS="${LINKS:-1000}"
PG="${LINKWATCH_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/linkwatch_bench?sslmode=disable}"
TOKEN="bench-admin-token-$(date +%s)"
OUT=.bench
FRAG_DIR="${BENCH_OUT:-bench/out}"
mkdir -p "$OUT" "$FRAG_DIR"
go build -o "$OUT/linkwatch" ./cmd/linkwatch
go build -o "$OUT/benchtool" ./bench/benchtool

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_http() { for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

# to_ms converts wrk's latency (850.00us, 2.10ms, 1.02s) to milliseconds.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' <<<"$1"; }

# measure NAME URL: runs wrk, prints a row, sets RPS, P50 and P99 (ms).
measure() {
  local out
  out=$(LINKS="$LINKS" wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s bench/slugs.lua "$2")
  RPS=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  local p50 p99 non
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non=$(awk '/Non-2xx or 3xx responses/ {print $NF}' <<<"$out")
  P50=$(to_ms "$p50"); P99=$(to_ms "$p99")
  printf '  %-26s %12s req/s   p50 %-9s p99 %-9s non-3xx %s\n' "$1" "$RPS" "$p50" "$p99" "${non:-0}"
}

start_linkwatch() { # DB PORT
  LINKWATCH_ADMIN_TOKEN="$TOKEN" LINKWATCH_LOG_LEVEL=warn LINKWATCH_DB="$1" \
    "$OUT/linkwatch" serve --addr "127.0.0.1:$2" >"$OUT/linkwatch-$2.out" 2>"$OUT/linkwatch-$2.err" &
  pids+=($!)
  wait_http "http://127.0.0.1:$2/readyz"
  "$OUT/benchtool" seed --server "http://127.0.0.1:$2" --token "$TOKEN" --links "$LINKS"
}

scans_written() { curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '/^linkwatch_scans_written_total/ {print $2}'; }

echo "redirect benchmark: wrk -t2 -c$CONNS -d$DURATION x $ROUNDS rounds, $LINKS links, $(nproc) cores"
"$OUT/benchtool" baseline --addr 127.0.0.1:18081 --links "$LINKS" & pids+=($!)
wait_http http://127.0.0.1:18081/s0 || true
rm -f "$OUT/bench.db" "$OUT/bench.db-wal" "$OUT/bench.db-shm"
start_linkwatch "$OUT/bench.db" 18082
targets=("baseline (net/http map)=http://127.0.0.1:18081" "linkwatch sqlite=http://127.0.0.1:18082")
if psql "${PG%/*}/postgres" -qc "DROP DATABASE IF EXISTS linkwatch_bench" -c "CREATE DATABASE linkwatch_bench" >/dev/null 2>&1; then
  start_linkwatch "$PG" 18083
  targets+=("linkwatch postgres=http://127.0.0.1:18083")
else
  echo "linkwatch postgres: skipped (PostgreSQL at ${PG%/*} unreachable)"
fi

# Rounds interleave the targets so drift on a shared machine hits all alike;
# each target's figure is its median round.
declare -A results
for r in $(seq 1 "$ROUNDS"); do
  for t in "${targets[@]}"; do
    measure "${t%%=*}" "${t#*=}"
    results["${t%%=*}"]+="$RPS $P50 $P99;"
  done
done
sleep 1
scans="scans written: sqlite $(scans_written 18082), postgres $(scans_written 18083)"
echo "$scans"
echo
frag="$FRAG_DIR/redirect.tsv.tmp"
{
  printf '# title\tRedirects: wrk -t2 -c%s -d%s, %s links, median of %s interleaved rounds (`make bench-redirect`)\n' "$CONNS" "$DURATION" "$LINKS" "$ROUNDS"
  printf '# note\twrk, the servers and PostgreSQL share the machine'"'"'s cores\n'
  printf '# note\t%s\n' "$scans"
} >"$frag"
printf '%-28s %12s %10s %10s %8s\n' "median of $ROUNDS rounds" "req/s" "p50" "p99" "ratio"
base="" basename=""
for t in "${targets[@]}"; do
  name="${t%%=*}"
  row=$(tr ';' '\n' <<<"${results[$name]}" | grep . | sort -n -k1 | awk -v n="$ROUNDS" 'NR==int((n+1)/2)')
  read -r rps p50 p99 <<<"$row"
  printf '%-28s %12.0f %9.2fms %9.2fms %8.3f\n' "$name" "$rps" "$p50" "$p99" "$(awk -v a="$rps" -v b="${base:-$rps}" 'BEGIN{print a/b}')"
  if [ -z "$base" ]; then
    base=$rps basename=$name
    printf '%s\treq/s\t%s\treq/s\t\t\t\n%s\tp50\t%s\tms\t\t\t\n%s\tp99\t%s\tms\t\t\t\n' "$name" "$rps" "$name" "$p50" "$name" "$p99" >>"$frag"
  else
    printf '%s\treq/s\t%s\treq/s\t%s\tratio>=0.90\t\n%s\tp50\t%s\tms\t%s\t\t\n%s\tp99\t%s\tms\t%s\t<=5\t\n' \
      "$name" "$rps" "$basename" "$name" "$p50" "$basename" "$name" "$p99" "$basename" >>"$frag"
  fi
done
mv "$frag" "$FRAG_DIR/redirect.tsv"
echo "targets: ratio >= 0.90, p99 <= 5ms"
