#!/usr/bin/env bash
# Prober benchmark: one `linkwatch prober` checking LINKS links (default
# 10,000) at a 60 s interval for BENCH_DURATION (default 3m), against a local
# target server (benchtool target) through a local redirector, with the
# control plane and the redirector on one SQLite file. Prints checks per
# minute (each full minute from the first, counted from when every link is on
# the schedule), schedule lag p50/p99 from the prober's histogram, prober CPU
# per HTTP request (utime+stime from /proc over the requests the redirector
# and the target answered), and peak RSS (VmHWM), next to the targets; then,
# as the in-run baseline of CPU per request, a bare net/http client's against
# the same target. The figures go to $BENCH_OUT/prober.tsv (default
# bench/out) for `benchtool summary`.
#
# The prober's settings come from the environment as usual, e.g.
# LINKWATCH_PROBE_CONCURRENCY=400 LINKWATCH_PROBE_PER_HOST=8 make bench-prober.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${BENCH_DURATION:-${DURATION:-3m}}"
LINKS="${LINKS:-10000}"
INTERVAL=60s
PORT_TARGET="${PORT_TARGET:-18091}"
PORT_CONTROL="${PORT_CONTROL:-18092}"
PORT_REDIRECTOR="${PORT_REDIRECTOR:-18093}"
PORT_PROBER="${PORT_PROBER:-18094}"
TOKEN="bench-admin-token-$(date +%s)"
OUT=.bench
DB="$OUT/prober.db"
TARGET="http://127.0.0.1:$PORT_TARGET"
CONTROL="http://127.0.0.1:$PORT_CONTROL"
REDIRECTOR="http://127.0.0.1:$PORT_REDIRECTOR"
PROBER="http://127.0.0.1:$PORT_PROBER"

FRAG_DIR="${BENCH_OUT:-bench/out}"
mkdir -p "$OUT" "$FRAG_DIR"
go build -o "$OUT/linkwatch" ./cmd/linkwatch
go build -o "$OUT/benchtool" ./bench/benchtool

pids=()
cleanup() {
  # Newest first: the prober pushes its last results before the control plane stops.
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_http URL [TRIES]: polls URL every 0.1 s until it answers 2xx.
wait_http() {
  local tries="${2:-300}"
  for _ in $(seq 1 "$tries"); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no answer from $1" >&2
  return 1
}

# running PID NAME: fails, showing its log, if the process has exited.
running() {
  kill -0 "$1" 2>/dev/null && return 0
  echo "$2 exited; its log:" >&2
  tail -n 20 "$OUT/$2.err" >&2 || true
  return 1
}

metric() { curl -fsS "$1/metrics" | awk -v n="$2" '$1 == n {print $2}'; }

echo "prober benchmark: $LINKS links every $INTERVAL, one prober, $DURATION, $(nproc) cores"
echo "prober settings: concurrency ${LINKWATCH_PROBE_CONCURRENCY:-200 (default)}, per host ${LINKWATCH_PROBE_PER_HOST:-4 (default)}, timeout ${LINKWATCH_PROBE_TIMEOUT:-10s (default)}, refresh ${LINKWATCH_PROBE_REFRESH:-15s (default)}"
rm -rf "$DB" "$DB-wal" "$DB-shm" "$OUT/spool"

"$OUT/benchtool" target --addr "127.0.0.1:$PORT_TARGET" >"$OUT/target.out" 2>"$OUT/target.err" &
pids+=($!)
wait_http "$TARGET/_count" || { running "${pids[-1]}" target; exit 1; }

export LINKWATCH_DB="$DB" LINKWATCH_ADMIN_TOKEN="$TOKEN" LINKWATCH_PUBLIC_URL="$REDIRECTOR"
export LINKWATCH_LOG_LEVEL="${LINKWATCH_LOG_LEVEL:-warn}"
"$OUT/linkwatch" control --addr "127.0.0.1:$PORT_CONTROL" >"$OUT/control.out" 2>"$OUT/control.err" &
pids+=($!)
wait_http "$CONTROL/readyz" || { running "${pids[-1]}" control; exit 1; }

start=$(date +%s.%N)
"$OUT/benchtool" seed --server "$CONTROL" --token "$TOKEN" --links "$LINKS" --dest "$TARGET" --interval "$INTERVAL"
echo "seeded $LINKS links in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')s"

# The redirector starts after seeding: on SQLite, changes reach other
# processes only with the 5-minute resync, so it must load every link at start.
"$OUT/linkwatch" redirector --addr "127.0.0.1:$PORT_REDIRECTOR" >"$OUT/redirector.out" 2>"$OUT/redirector.err" &
pids+=($!)
wait_http "$REDIRECTOR/readyz" || { running "${pids[-1]}" redirector; exit 1; }
cached=$(metric "$REDIRECTOR" linkwatch_link_cache_links)
if [ "${cached:-0}" != "$LINKS" ]; then
  echo "the redirector holds ${cached:-no} links, want $LINKS" >&2
  exit 1
fi
code=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$REDIRECTOR/s0")
echo "redirector: $cached links cached; /s0 answers $code"

PROBER_TOKEN=$("$OUT/benchtool" token --server "$CONTROL" --token "$TOKEN" --name bench-prober --scope prober)

LINKWATCH_PROBE_ALLOW_PRIVATE=true \
  "$OUT/linkwatch" prober --region bench --id bench-1 --control "$CONTROL" --token "$PROBER_TOKEN" \
  --spool "$OUT/spool" --addr "127.0.0.1:$PORT_PROBER" >"$OUT/prober.out" 2>"$OUT/prober.err" &
pids+=($!)
prober_pid=${pids[-1]}
wait_http "$PROBER/healthz" || { running "$prober_pid" prober; exit 1; }
echo

# show_logs: what the processes logged at warn and above, so a broken setup shows.
show_logs() {
  local p n quiet=1
  for p in target control redirector prober; do
    n=$(grep -c . "$OUT/$p.err" || true)
    if [ "$n" -gt 0 ]; then
      echo "$p logged $n lines at warn or above ($OUT/$p.err), the first:"
      head -n 3 "$OUT/$p.err" | cut -c1-300 | sed 's/^/  /'
      quiet=0
    fi
  done
  [ "$quiet" = 0 ] || echo "no process logged anything at warn or above"
}

status=0
"$OUT/benchtool" probewatch --prober "$PROBER" --pid "$prober_pid" --target "$TARGET" --redirector "$REDIRECTOR" \
  --links "$LINKS" --duration "$DURATION" --period "$INTERVAL" --clk-tck "$(getconf CLK_TCK)" \
  --fragment "$FRAG_DIR/prober.tsv" || status=$?
echo
show_logs
exit "$status"
