#!/usr/bin/env bash
# Status page benchmark: linkwatch serve on a fresh SQLite database whose
# configuration declares NGROUPS x PER_GROUP components (default 20 x 10 =
# 200), each watching a link with DAYS (90) days of check history from 3
# regions, seeded through the store's InsertResults so the hourly rollups
# are real. Then wrk (-t2 -c64 -d10s, Accept-Encoding: gzip as browsers
# send) in the same run, in interleaved rounds, against:
#   - the status page's own stylesheet under /status/assets/ (a static file
#     served by the same server and handler: the baseline),
#   - /status (the HTML page),
#   - /api/v2/summary.json,
#   - and, for information, /status without Accept-Encoding (the whole page).
# Prints req/s (2xx answers; what the server sheds with 503 under its
# overload limit is counted apart), p50, p99 and the ratio to the baseline
# (median round), the page's size, and PASS/FAIL against the target of >= 5,000 req/s on /status
# (with gzip, as browsers ask); writes the figures to $BENCH_OUT/statuspage.tsv
# (default bench/out) for `benchtool summary`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }

DURATION="${DURATION:-10s}"
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-64}"
NGROUPS="${NGROUPS:-20}"
PER_GROUP="${PER_GROUP:-10}"
DAYS="${DAYS:-90}"
TARGET_RPS="${TARGET_RPS:-5000}"
PORT_DEST="${PORT_DEST:-18101}"
PORT="${PORT:-18102}"
TOKEN="bench-admin-token-$(date +%s)"
OUT=.bench
DB="$OUT/statuspage.db"
CFG="$OUT/statuspage.yaml"
FRAG_DIR="${BENCH_OUT:-bench/out}"
BASE="http://127.0.0.1:$PORT"
COMPONENTS=$((NGROUPS * PER_GROUP))

mkdir -p "$OUT" "$FRAG_DIR"
go build -o "$OUT/linkwatch" ./cmd/linkwatch
go build -o "$OUT/benchtool" ./bench/benchtool

pids=()
cleanup() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { for _ in $(seq 1 200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }

# to_ms converts wrk's latency (850.00us, 2.10ms, 1.02s) to milliseconds.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' <<<"$1"; }

# shed_count: requests of the public class (the status page, its assets, the
# v2 API) the server shed with 503 so far.
shed_count() { curl -fsS "$BASE/metrics" | awk '$1 ~ /^linkwatch_http_shed_total[{]/ && $1 ~ /class="public"/ {s += $2} END {printf "%d", s}'; }

# measure NAME URL: runs wrk, prints a row, sets RPS (2xx answers per
# second), SHED (503s the server shed per second: it admits 32 public requests
# in flight per processor and answers the rest at once), P50 and P99 (ms, of
# every answer). Any other non-2xx answer fails the benchmark. A NAME ending
# in "(no gzip)" sends no Accept-Encoding (curl, some bots).
measure() {
  local out p50 p99 non total secs shed0 shed enc=(-H 'Accept-Encoding: gzip')
  [[ "$1" == *"(no gzip)" ]] && enc=()
  shed0=$(shed_count)
  out=$(wrk -t2 -c"$CONNS" -d"$DURATION" --latency "${enc[@]}" "$2")
  shed=$(($(shed_count) - shed0))
  total=$(awk '/ requests in / {print $1}' <<<"$out")
  secs=$(awk '/ requests in / {v = $4; sub(/,$/, "", v); if (v ~ /m$/) {sub(/m$/, "", v); v *= 60} else sub(/s$/, "", v); print v}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non=$(awk '/Non-2xx or 3xx responses/ {print $NF}' <<<"$out")
  non=${non:-0}
  P50=$(to_ms "$p50"); P99=$(to_ms "$p99")
  RPS=$(awk -v t="$total" -v n="$non" -v s="$secs" 'BEGIN{printf "%.2f", (t - n) / s}')
  SHED=$(awk -v n="$shed" -v s="$secs" 'BEGIN{printf "%.2f", n / s}')
  printf '  %-30s %10s req/s 2xx   p50 %-9s p99 %-9s shed (503) %s/s\n' "$1" "$RPS" "$p50" "$p99" "$SHED"
  if [ "$non" -gt "$shed" ]; then echo "$1: $((non - shed)) responses were neither 2xx nor shed" >&2; exit 1; fi
}

# size URL [ENCODING]: bytes of the body as sent.
size() { curl -fsS -o /dev/null -w '%{size_download}' ${2:+-H "Accept-Encoding: $2"} "$1"; }
kib() { awk -v b="$1" 'BEGIN{printf "%.1f KiB", b/1024}'; }

echo "status page benchmark: $COMPONENTS components ($NGROUPS groups x $PER_GROUP), $DAYS days of history, wrk -t2 -c$CONNS -d$DURATION x $ROUNDS rounds, $(nproc) cores"
rm -f "$DB" "$DB-wal" "$DB-shm"

# The links' destination, for the server's own prober while it runs.
"$OUT/benchtool" target --addr "127.0.0.1:$PORT_DEST" >"$OUT/statuspage-target.out" 2>"$OUT/statuspage-target.err" &
pids+=($!)
wait_http "http://127.0.0.1:$PORT_DEST/_count"

start=$(date +%s.%N)
"$OUT/benchtool" statuspage seed --db "$DB" --config "$CFG" --groups "$NGROUPS" --per-group "$PER_GROUP" --days "$DAYS" \
  --regions eu-west,us-east,ap-south --dest "http://127.0.0.1:$PORT_DEST"

# The server probes from eu-west, one of the seeded regions.
LINKWATCH_DB="$DB" LINKWATCH_CONFIG="$CFG" LINKWATCH_ADMIN_TOKEN="$TOKEN" LINKWATCH_LOG_LEVEL=warn \
  LINKWATCH_PUBLIC_URL="$BASE" LINKWATCH_REGION=eu-west LINKWATCH_PROBE_ALLOW_PRIVATE=true \
  "$OUT/linkwatch" serve --addr "127.0.0.1:$PORT" >"$OUT/statuspage-serve.out" 2>"$OUT/statuspage-serve.err" &
pids+=($!)
if ! wait_http "$BASE/readyz"; then tail -n 20 "$OUT/statuspage-serve.err" >&2; exit 1; fi
CSS=$("$OUT/benchtool" statuspage wait --server "$BASE" --components "$COMPONENTS" --timeout 90s)
echo "ready in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.0f", e-s}')s (seeding included)"

targets=("static: stylesheet (baseline)=$BASE$CSS" "/status=$BASE/status" "/api/v2/summary.json=$BASE/api/v2/summary.json"
  "/status (no gzip)=$BASE/status")
echo
echo "response sizes (gzip / identity):"
declare -A sizes
for t in "${targets[@]:0:3}"; do
  sizes["${t%%=*}"]="$(kib "$(size "${t#*=}" gzip)") gzipped, $(kib "$(size "${t#*=}")") identity"
  printf '  %-30s %12s / %s\n' "${t%%=*}" "$(kib "$(size "${t#*=}" gzip)")" "$(kib "$(size "${t#*=}")")"
done
sizes["/status (no gzip)"]=${sizes[/status]}
echo

# Rounds interleave the targets so drift on a shared machine hits all alike;
# each target's figure is its median round.
declare -A results
for r in $(seq 1 "$ROUNDS"); do
  for t in "${targets[@]}"; do
    measure "${t%%=*}" "${t#*=}"
    results["${t%%=*}"]+="$RPS $P50 $P99 $SHED;"
  done
done

echo
printf '%-32s %12s %10s %10s %8s %10s\n' "median of $ROUNDS rounds" "req/s 2xx" "p50" "p99" "ratio" "shed/s"
frag="$FRAG_DIR/statuspage.tsv.tmp"
{
  printf '# title\tStatus page: %s components, %s days of history, wrk -t2 -c%s -d%s (gzip), median of %s interleaved rounds (`make bench-statuspage`)\n' \
    "$COMPONENTS" "$DAYS" "$CONNS" "$DURATION" "$ROUNDS"
  printf '# note\tthe baseline is the page'"'"'s own stylesheet, a static file served by the same server; wrk shares the cores\n'
  printf '# note\treq/s counts 2xx answers only: the server admits 32 public requests in flight per processor and sheds the rest of the %s connections with fast 503s (details), which the latencies include\n' "$CONNS"
} >"$frag"
base="" basename=""
status_rps=0
for t in "${targets[@]}"; do
  name="${t%%=*}"
  row=$(tr ';' '\n' <<<"${results[$name]}" | grep . | sort -n -k1 | awk -v n="$ROUNDS" 'NR==int((n+1)/2)')
  read -r rps p50 p99 shed <<<"$row"
  [ "$name" = /status ] && status_rps=$rps
  detail="${sizes[$name]:-}; shed $(printf '%.0f' "$shed") req/s"
  printf '%-32s %12.0f %9.2fms %9.2fms %8.3f %10.0f\n' "$name" "$rps" "$p50" "$p99" "$(awk -v a="$rps" -v b="${base:-$rps}" 'BEGIN{print a/b}')" "$shed"
  target=""
  [ "$name" = /status ] && target=">=$TARGET_RPS"
  if [ -z "$base" ]; then
    base=$rps basename=$name
    printf '%s\treq/s\t%s\treq/s\t\t\t%s\n%s\tp50\t%s\tms\t\t\t\n%s\tp99\t%s\tms\t\t\t\n' "$name" "$rps" "$detail" "$name" "$p50" "$name" "$p99" >>"$frag"
  else
    printf '%s\treq/s\t%s\treq/s\t%s\t%s\t%s\n%s\tp50\t%s\tms\t%s\t\t\n%s\tp99\t%s\tms\t%s\t\t\n' \
      "$name" "$rps" "$basename" "$target" "$detail" "$name" "$p50" "$basename" "$name" "$p99" "$basename" >>"$frag"
  fi
done
mv "$frag" "$FRAG_DIR/statuspage.tsv"
warn=$(grep -c . "$OUT/statuspage-serve.err" || true)
[ "$warn" = 0 ] || { echo "the server logged $warn lines at warn or above ($OUT/statuspage-serve.err), the first:"; head -n 3 "$OUT/statuspage-serve.err" | cut -c1-300 | sed 's/^/  /'; }
echo
if awk -v a="$status_rps" -v t="$TARGET_RPS" 'BEGIN{exit !(a >= t)}'; then
  echo "PASS: /status serves $(printf '%.0f' "$status_rps") req/s (target >= $TARGET_RPS) with $COMPONENTS components"
else
  echo "FAIL: /status serves $(printf '%.0f' "$status_rps") req/s (target >= $TARGET_RPS) with $COMPONENTS components"
  exit 1
fi
