#!/usr/bin/env bash
# The test command: the whole suite against the real PostgreSQL and a real Pulsar broker.
# Starts the broker when none answers (and stops it afterwards); leaves a running one alone.
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
stop_broker () {
  if [ "$started_broker" = 1 ]; then bash scripts/pulsar/stop.sh || true; fi
}
trap stop_broker EXIT

# tap's own summary is "# { total: N, pass: N, fail: N, skip: N }"; CI reads a plain
# "N passed, N failed, N skipped" line, so print one too.
log=$(mktemp)
set +e
npx tap "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n")
  const summary = lines.reverse().find((line) => /^# \{ total: \d+/.test(line))
  if (summary === undefined) process.exit(0)
  const count = (name) => Number((summary.match(new RegExp(name + ": (\\d+)")) ?? [0, 0])[1])
  const line = `${count("pass")} passed, ${count("fail")} failed, ${count("skip") + count("todo")} skipped`
  console.log(line)
  if (process.env.TEST_SUMMARY_FILE) require("fs").writeFileSync(process.env.TEST_SUMMARY_FILE, line + "\n")
' "$log"
rm -f "$log"
exit "$status"
