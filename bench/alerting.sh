#!/usr/bin/env bash
# Alert detection benchmark, end to end: the real `linkwatch serve` (SQLite
# in a temporary directory, its own prober in region "local", the alert
# engine posting to Slack) against a local destination and a local fake
# Slack incoming webhook (both served by `benchtool alertlatency`), all on
# loopback. For each check interval (1s and 10s) one link is created through
# the API; each trial breaks its destination (503), times until Slack
# receives the FIRING link_down message naming the link, fixes it and waits
# for the RESOLVED one. Prints per-trial times and per-interval
# min/median/max against the target, two check intervals plus 5 s, with
# PASS/FAIL; exits 1 if an interval fails.
#
#   TRIALS_1S (10), TRIALS_10S (5)   trials per interval
#   PORT_LINKWATCH, PORT_TARGET, PORT_SLACK (18111-18113)
#   KEEP=1                           keep the temporary directory (logs, database,
#                                    slack.jsonl: every message Slack received)
#
# linkwatch's settings come from the environment as usual (e.g.
# LINKWATCH_PROBE_CONFIRM=0s); anything that could send alerts off this
# machine (Slack token, webhook, DogStatsD, a config file) is unset.
set -euo pipefail
cd "$(dirname "$0")/.."

TRIALS_1S="${TRIALS_1S:-10}"
TRIALS_10S="${TRIALS_10S:-5}"
PORT_LINKWATCH="${PORT_LINKWATCH:-18111}"
PORT_TARGET="${PORT_TARGET:-18112}"
PORT_SLACK="${PORT_SLACK:-18113}"
TOKEN="bench-admin-token-$(date +%s)"
LINKWATCH="http://127.0.0.1:$PORT_LINKWATCH"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/linkwatch-bench-alerting.XXXXXX")
pid=""
cleanup() {
  local status=$?
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ "$status" != 0 ] && [ -s "$TMP/linkwatch.err" ]; then
    echo "linkwatch's log ($TMP/linkwatch.err), the last lines:" >&2
    tail -n 20 "$TMP/linkwatch.err" | cut -c1-300 >&2
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    echo "kept $TMP"
  else
    rm -rf "$TMP"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$TMP/linkwatch" ./cmd/linkwatch
go build -o "$TMP/benchtool" ./bench/benchtool

echo "alert detection benchmark: linkwatch serve on SQLite, one prober (local), Slack incoming webhook, all on 127.0.0.1"
echo "settings: probe_confirm ${LINKWATCH_PROBE_CONFIRM:-10s (default)}, probe_refresh ${LINKWATCH_PROBE_REFRESH:-15s (default)}, evaluation every 2s, outbox polled every 1s"
echo

env -u LINKWATCH_SLACK_TOKEN -u LINKWATCH_SLACK_CHANNEL -u LINKWATCH_SLACK_API_URL \
  -u LINKWATCH_WEBHOOK_URL -u LINKWATCH_WEBHOOK_SECRET -u LINKWATCH_DOGSTATSD_ADDR -u LINKWATCH_CONFIG \
  LINKWATCH_DB="$TMP/linkwatch.db" LINKWATCH_ADDR="127.0.0.1:$PORT_LINKWATCH" LINKWATCH_PUBLIC_URL="$LINKWATCH" \
  LINKWATCH_ADMIN_TOKEN="$TOKEN" LINKWATCH_PROBE_ALLOW_PRIVATE=true LINKWATCH_REGION=local \
  LINKWATCH_SLACK_WEBHOOK_URL="http://127.0.0.1:$PORT_SLACK/services/T000/B000/bench" \
  LINKWATCH_LOG_LEVEL="${LINKWATCH_LOG_LEVEL:-warn}" LINKWATCH_LOG_FORMAT=text \
  "$TMP/linkwatch" serve >"$TMP/linkwatch.out" 2>"$TMP/linkwatch.err" &
pid=$!

for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "$LINKWATCH/readyz" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "linkwatch serve exited" >&2; exit 1; }
  sleep 0.1
done

"$TMP/benchtool" alertlatency --server "$LINKWATCH" --token "$TOKEN" \
  --target-addr "127.0.0.1:$PORT_TARGET" --slack-addr "127.0.0.1:$PORT_SLACK" \
  --intervals 1s,10s --trials "$TRIALS_1S,$TRIALS_10S" --messages "$TMP/slack.jsonl"
