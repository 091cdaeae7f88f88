#!/usr/bin/env bash
# Alert detection benchmark, end to end, with the distributed roles on
# PostgreSQL: `linkwatch control` (the API and the alert engine, posting to
# Slack), `linkwatch redirector` (the public URL) and three remote
# `linkwatch prober`s (eu-west, us-east, ap-south, each with its own prober
# token bound to its region), against a local destination and a local fake
# Slack incoming webhook (both served by `benchtool alertlatency`), all on
# loopback. A fresh database is created on the PostgreSQL server and dropped
# afterwards.
#
# For each check interval (10s and 60s) one link is created through the API;
# once every region has seen it up, each trial breaks its destination (503
# for every region) at a random point of the check interval, times until
# Slack receives the FIRING link_down message naming the link, fixes it and
# waits for the RESOLVED one and for every region to see it up again. The
# two intervals run side by side. Prints each trial's time and per interval
# min / p50 / p95 / max against the target, the interval plus 10 s at p95
# (nearest rank: with fewer than 20 trials p95 is the slowest trial), with
# PASS/FAIL; exits 1 if an interval fails. The figures, each against its
# check interval as the baseline, go to $BENCH_OUT/alerting.tsv (default
# bench/out) for `benchtool summary`.
#
# Run time: a trial waits up to one interval before it breaks the link, then
# for the page, the resolution and every region seeing the link up again:
# about 30 s per 10s-interval trial and 1–3 min per 60s-interval trial. The
# intervals run side by side, so the defaults take about 5–15 min (the 60s
# trials set the pace; more when detection or resolution is slow).
#
#   TRIALS_10S (10), TRIALS_60S (5)   trials per interval (0 skips it)
#   MODE=serve                        the earlier setup instead: one `linkwatch
#                                     serve` on SQLite with its in-process
#                                     prober (one region, "local")
#   LINKWATCH_BENCH_POSTGRES_SERVER   (postgres://postgres@127.0.0.1:5432) the
#                                     server to create the database on
#   PORT_CONTROL, PORT_TARGET, PORT_SLACK, PORT_REDIRECTOR (18111-18114); the
#                                     probers listen on 127.0.0.1:0
#   KEEP=1                            keep the temporary directory (every
#                                     process's log, the probers' spools,
#                                     slack.jsonl: every message Slack received)
#
# linkwatch's settings come from the environment as usual (e.g.
# LINKWATCH_PROBE_CONFIRM=0s); anything that could send alerts off this
# machine (Slack token, webhook, DogStatsD, a config file) is unset.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE="${MODE:-distributed}"
TRIALS_10S="${TRIALS_10S:-10}"
TRIALS_60S="${TRIALS_60S:-5}"
PORT_CONTROL="${PORT_CONTROL:-18111}"
PORT_TARGET="${PORT_TARGET:-18112}"
PORT_SLACK="${PORT_SLACK:-18113}"
PORT_REDIRECTOR="${PORT_REDIRECTOR:-18114}"
PG_SERVER="${LINKWATCH_BENCH_POSTGRES_SERVER:-postgres://postgres@127.0.0.1:5432}"
REGIONS=(eu-west us-east ap-south)
FRAG_DIR="${BENCH_OUT:-bench/out}"
mkdir -p "$FRAG_DIR"
TOKEN="bench-admin-token-$(date +%s)"
CONTROL="http://127.0.0.1:$PORT_CONTROL"
REDIRECTOR="http://127.0.0.1:$PORT_REDIRECTOR"
case "$MODE" in
  distributed | serve) ;;
  *) echo "MODE must be distributed (the default) or serve; got $MODE" >&2; exit 2 ;;
esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/linkwatch-bench-alerting.XXXXXX")
DB=""
pids=() names=()
cleanup() {
  local status=$? i
  # A linkwatch process that ended before the benchmark did is the failure:
  # show the end of its log.
  for i in "${!names[@]}"; do
    [ "${names[$i]}" != benchtool ] && ! running "${pids[$i]}" || continue
    echo "linkwatch ${names[$i]} exited early; its log ($TMP/${names[$i]}.err), the last lines:" >&2
    tail -n 10 "$TMP/${names[$i]}.err" | cut -c1-300 >&2
  done
  # Stop every child, the last started first (the probers deregister while
  # the control plane still answers), and the database is left with no
  # connections when it is dropped.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop "${pids[$i]}"; done
  if [ "$status" != 0 ] && [ "${KEEP:-0}" != 1 ]; then
    echo "(KEEP=1 keeps every process's log)" >&2
  fi
  if [ -n "$DB" ]; then
    psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 ||
      echo "could not drop database $DB on $PG_SERVER" >&2
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    echo "kept $TMP"
  else
    rm -rf "$TMP"
  fi
  exit "$status"
}
# running PID: the child has not exited (a zombie has).
running() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$st" ] && [[ $st != Z* ]]; }

# stop PID: SIGTERM, and SIGKILL if it has not exited 15 s later.
stop() {
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 1 150); do
    running "$1" || break
    sleep 0.1
  done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$TMP/linkwatch" ./cmd/linkwatch
go build -o "$TMP/benchtool" ./bench/benchtool

# start NAME ENV... -- ARGS...: runs linkwatch ARGS in the background with
# the environment below plus ENV, logging to $TMP/NAME.{out,err}.
start() {
  local name=$1 envs=()
  shift
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env -u LINKWATCH_SLACK_TOKEN -u LINKWATCH_SLACK_CHANNEL -u LINKWATCH_SLACK_API_URL -u LINKWATCH_SLACK_WEBHOOK_URL \
    -u LINKWATCH_WEBHOOK_URL -u LINKWATCH_WEBHOOK_SECRET -u LINKWATCH_DOGSTATSD_ADDR -u LINKWATCH_CONFIG \
    -u LINKWATCH_DATADOG_API_KEY -u LINKWATCH_SMTP_ADDR -u LINKWATCH_CONTROL -u LINKWATCH_PROBER_TOKEN \
    LINKWATCH_LOG_LEVEL="${LINKWATCH_LOG_LEVEL:-warn}" LINKWATCH_LOG_FORMAT=text "${envs[@]}" \
    "$TMP/linkwatch" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  pids+=($!) names+=("$name")
}

# ready NAME URL: waits until URL/readyz answers, or NAME has exited.
ready() {
  local pid=${pids[-1]}
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$2/readyz" 2>/dev/null && return 0
    running "$pid" || { echo "linkwatch $1 exited" >&2; return 1; }
    sleep 0.1
  done
  echo "linkwatch $1 is not ready at $2 after 30s" >&2
  return 1
}

SLACK_URL="http://127.0.0.1:$PORT_SLACK/services/T000/B000/bench"
settings="probe_confirm ${LINKWATCH_PROBE_CONFIRM:-10s (default)}, probe_refresh ${LINKWATCH_PROBE_REFRESH:-15s (default)}, evaluation every ${LINKWATCH_ALERT_EVALUATION_INTERVAL:-2s}, outbox polled every ${LINKWATCH_ALERT_DELIVERY_INTERVAL:-1s}"
if [ "$MODE" = serve ]; then
  echo "alert detection benchmark (MODE=serve): linkwatch serve on SQLite, one in-process prober (local), Slack incoming webhook, all on 127.0.0.1"
  echo "settings: $settings"
  echo
  start serve LINKWATCH_DB="$TMP/linkwatch.db" LINKWATCH_ADDR="127.0.0.1:$PORT_CONTROL" LINKWATCH_PUBLIC_URL="$CONTROL" \
    LINKWATCH_ADMIN_TOKEN="$TOKEN" LINKWATCH_PROBE_ALLOW_PRIVATE=true LINKWATCH_REGION=local \
    LINKWATCH_SLACK_WEBHOOK_URL="$SLACK_URL" -- serve
  ready serve "$CONTROL"
  nregions=1
else
  command -v psql >/dev/null || { echo "psql is not installed (the benchmark creates a database with it)" >&2; exit 1; }
  name="linkwatch_bench_alerting_$$"
  psql "$PG_SERVER/postgres" -qc "CREATE DATABASE $name" >/dev/null ||
    { echo "cannot create a database on $PG_SERVER (set LINKWATCH_BENCH_POSTGRES_SERVER)" >&2; exit 1; }
  DB=$name
  DSN="$PG_SERVER/$DB?sslmode=disable"
  echo "alert detection benchmark: linkwatch control + redirector on PostgreSQL ($DB), three remote probers (${REGIONS[*]}), Slack incoming webhook, all on 127.0.0.1"
  echo "settings: $settings"
  echo

  common=(LINKWATCH_DB="$DSN" LINKWATCH_ADMIN_TOKEN="$TOKEN" LINKWATCH_PUBLIC_URL="$REDIRECTOR")
  # The control plane starts first: it applies the migrations.
  start control "${common[@]}" LINKWATCH_ADDR="127.0.0.1:$PORT_CONTROL" LINKWATCH_SLACK_WEBHOOK_URL="$SLACK_URL" -- control
  ready control "$CONTROL"
  start redirector "${common[@]}" LINKWATCH_ADDR="127.0.0.1:$PORT_REDIRECTOR" -- redirector
  ready redirector "$REDIRECTOR"
  for r in "${REGIONS[@]}"; do
    tok=$("$TMP/linkwatch" tokens create --json --server "$CONTROL" --token "$TOKEN" --name "bench $r prober" \
      --scope prober --region "$r" | jq -r .token)
    [ -n "$tok" ] && [ "$tok" != null ] || { echo "no prober token for $r" >&2; exit 1; }
    start "prober-$r" LINKWATCH_PROBE_ALLOW_PRIVATE=true LINKWATCH_PROBER_TOKEN="$tok" -- \
      prober --region "$r" --control "$CONTROL" --addr 127.0.0.1:0 --spool "$TMP/spool-$r"
  done
  # Each prober registers before it listens; a refused start exits at once.
  for i in "${!names[@]}"; do
    [[ ${names[$i]} == prober-* ]] || continue
    for _ in $(seq 1 100); do
      grep -q "health and metrics on" "$TMP/${names[$i]}.out" 2>/dev/null && break
      running "${pids[$i]}" || { echo "linkwatch ${names[$i]} exited" >&2; exit 1; }
      sleep 0.1
    done
  done
  nregions=${#REGIONS[@]}
fi

# In the background, so a signal to this script is handled at once.
"$TMP/benchtool" alertlatency --server "$CONTROL" --token "$TOKEN" --regions "$nregions" \
  --target-addr "127.0.0.1:$PORT_TARGET" --slack-addr "127.0.0.1:$PORT_SLACK" \
  --intervals 10s,60s --trials "$TRIALS_10S,$TRIALS_60S" --messages "$TMP/slack.jsonl" \
  --fragment "$FRAG_DIR/alerting.tsv" &
pids+=($!) names+=(benchtool)
wait "${pids[-1]}"
