#!/usr/bin/env bash
# Go benchmarks: every benchmark of the packages given (default ./...: all of
# linkwatch's and their bare-library baselines in bench/baseline), with
# -benchmem, printed as they run and kept in $BENCH_OUT/$BENCH_FRAGMENT.gobench
# for `benchtool summary`. The PostgreSQL ones run when LINKWATCH_TEST_POSTGRES
# is set (make exports it). The fragment is replaced only when every benchmark
# passed.
#
#   BENCH           (.)          the -bench pattern
#   BENCHTIME       (2s)         the -benchtime
#   COUNT           (1)          the -count: with 3, each figure is the median
#                                run (steadier on a busy machine, 3x the time)
#   BENCH_OUT       (bench/out)  where fragments go
#   BENCH_FRAGMENT  (go)         the fragment's name
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${BENCH_OUT:-bench/out}"
name="${BENCH_FRAGMENT:-go}"
[ $# -gt 0 ] || set -- ./...
mkdir -p "$OUT"
tmp="$OUT/$name.gobench.tmp"
go test -run '^$' -bench "${BENCH:-.}" -benchmem -benchtime "${BENCHTIME:-2s}" -count "${COUNT:-1}" "$@" | tee "$tmp"
mv "$tmp" "$OUT/$name.gobench"
