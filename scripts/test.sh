#!/usr/bin/env bash
# The test command: the whole suite against the real PostgreSQL, Pulsar and Kafka brokers, Redis
# and NATS JetStream. Starts a broker when none answers (and stops it afterwards); leaves a running
# one alone. Redis and NATS are the machine's own servers: started with its commands when down.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if ! node -e "
  const sql = require('postgres')(process.argv[1], { max: 1, connect_timeout: 5, onnotice () {} })
  sql\`select 1\`.then(() => sql.end(), (e) => { console.error(e.message); process.exit(1) })
" "$pg_url"; then
  echo "PostgreSQL does not answer at $pg_url. Start it (pg_ctlcluster <version> main start) or set TEST_DATABASE_URL." >&2
  exit 1
fi

web_url="${PULSAR_WEB_URL:-http://127.0.0.1:8080}"
started_broker=0
if [ "${PULSAR_TESTS:-}" != "skip" ] && ! curl -fsS --max-time 3 "$web_url/admin/v2/clusters" >/dev/null 2>&1; then
  echo "No Pulsar broker at $web_url: starting one with scripts/pulsar/start.sh (the first run downloads it)."
  PULSAR_FRESH=1 bash scripts/pulsar/start.sh
  started_broker=1
fi

kafka_brokers="${KAFKA_BROKERS:-127.0.0.1:9092}"
started_kafka=0
if [ "${KAFKA_TESTS:-}" != "skip" ] && ! node scripts/kafka/roundtrip.mjs "$kafka_brokers" >/dev/null 2>&1; then
  echo "No Kafka broker at $kafka_brokers: starting one with scripts/kafka/start.sh (the first run downloads it)."
  KAFKA_FRESH=1 bash scripts/kafka/start.sh
  started_kafka=1
fi

stop_broker () {
  if [ "$started_broker" = 1 ]; then bash scripts/pulsar/stop.sh || true; fi
  if [ "$started_kafka" = 1 ]; then bash scripts/kafka/stop.sh || true; fi
}
trap stop_broker EXIT

# shellcheck source=lib/local-servers.sh
source scripts/lib/local-servers.sh
ensure_redis_and_nats

# The native Pulsar driver: the pulsar-client addon, built from vendor/ into .cache/ (seconds when
# cached). Its broker tests fail, not skip, when it does not load.
if [ "${PULSAR_TESTS:-}" != "skip" ]; then bash scripts/pulsar/build-native-client.sh; fi

# tap's own summary ("# { total: N, pass: N, … }") counts assertions, and a suite skipped at its
# declaration as one. CI reads a plain "N passed, N failed, N skipped" line that counts tests
# (scripts/test-summary.ts says what a test is), from the raw TAP saved alongside the report.
# The whole suite runs on the native driver, then the files whose Pulsar driver PULSAR_DRIVER
# chooses (scripts/pulsar-test-files.ts) run again on the WebSocket driver.
native_tap=$(mktemp)
websocket_tap=$(mktemp)
set +e
PULSAR_DRIVER=native npx tap --output-file="$native_tap" "$@"
status=$?
if [ "$#" -eq 0 ] && [ "${PULSAR_TESTS:-}" != "skip" ]; then
  mapfile -t pulsar_files < <(node --import tsx scripts/pulsar-test-files.ts)
  echo "Again on the WebSocket driver: ${#pulsar_files[@]} files"
  PULSAR_DRIVER=websocket npx tap --output-file="$websocket_tap" "${pulsar_files[@]}"
  websocket_status=$?
  if [ "$status" -eq 0 ]; then status=$websocket_status; fi
fi
set -e
line=$(node --import tsx scripts/test-summary.ts "$native_tap" "$websocket_tap")
echo "$line"
if [ -n "${TEST_SUMMARY_FILE:-}" ]; then echo "$line" >"$TEST_SUMMARY_FILE"; fi
rm -f "$native_tap" "$websocket_tap"
exit "$status"
