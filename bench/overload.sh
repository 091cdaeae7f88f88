#!/usr/bin/env bash
# Overload benchmark: linkwatch serve on a fresh SQLite database (and on
# PostgreSQL when LINKWATCH_TEST_POSTGRES or LINKWATCH_BENCH_POSTGRES names a
# reachable server), 200 links. bench/overload measures the capacity of a
# mix of 80% redirects, 10% control API and 10% status page requests in a
# closed loop, then offers the mix open-loop at 0.5x, 1x and 2x that rate and at
# 0.5x after, and prints redirect p50/p99, the 503 shares and the RSS.
# The client and the server share the machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.bench
mkdir -p "$OUT"
go build -o "$OUT/linkwatch" ./cmd/linkwatch
go build -o "$OUT/overload" ./bench/overload

FRAG_DIR="${BENCH_OUT:-bench/out}"
mkdir -p "$FRAG_DIR"
"$OUT/overload" -bin "$OUT/linkwatch" -label sqlite -fragment "$FRAG_DIR/overload-sqlite.tsv" "$@"

PG="${LINKWATCH_BENCH_POSTGRES:-${LINKWATCH_TEST_POSTGRES:-}}"
if [[ -n "$PG" ]]; then
  ADMIN="${PG%%\?*}"; ADMIN="${ADMIN%/*}/postgres"
  BENCH_DSN="${PG%%\?*}"; BENCH_DSN="${BENCH_DSN%/*}/linkwatch_overload"
  [[ "$PG" == *\?* ]] && BENCH_DSN="$BENCH_DSN?${PG#*\?}"
  if psql "$ADMIN" -qc "DROP DATABASE IF EXISTS linkwatch_overload" -c "CREATE DATABASE linkwatch_overload" >/dev/null 2>&1; then
    "$OUT/overload" -bin "$OUT/linkwatch" -label postgres -db "$BENCH_DSN" -fragment "$FRAG_DIR/overload-postgres.tsv" "$@"
    psql "$ADMIN" -qc "DROP DATABASE IF EXISTS linkwatch_overload" >/dev/null 2>&1 || true
  else
    echo "postgres: skipped (PostgreSQL at $ADMIN unreachable)"
  fi
else
  echo "postgres: skipped (set LINKWATCH_TEST_POSTGRES or LINKWATCH_BENCH_POSTGRES)"
fi
