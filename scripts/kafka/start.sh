#!/usr/bin/env bash
# Starts an Apache Kafka node in KRaft mode (broker and controller in one process,
# no ZooKeeper) from Maven Central jars, in the background, bound to 127.0.0.1,
# and returns once it has proved it works: a produce / consume / commit round trip
# through a consumer group done. Idempotent: an instance that is already up and
# healthy is left alone. Data of an earlier run of the same instance is reused
# (KAFKA_KEEP_DATA=1 stop.sh); KAFKA_FRESH=1 wipes it first. Settings: README.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/instance.sh"

KAFKA_HEAP="${KAFKA_HEAP:-256m}"
KAFKA_PARTITIONS="${KAFKA_PARTITIONS:-4}"
KAFKA_OFFSETS_PARTITIONS="${KAFKA_OFFSETS_PARTITIONS:-8}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

pom="$KAFKA_SCRIPTS_DIR/pom.xml"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
lib="$KAFKA_CACHE_DIR/$version/lib"
bootstrap="127.0.0.1:$KAFKA_PORT"

say() { echo "kafka[$KAFKA_INSTANCE]: $*"; }
fail() {
  echo "kafka[$KAFKA_INSTANCE]: $*" >&2
  for f in "$KAFKA_LOG_DIR/server.log" "$KAFKA_LOG_DIR/stdout.log"; do
    [ -s "$f" ] && { echo "--- last lines of $f" >&2; tail -n 40 "$f" >&2; }
  done
  exit 1
}

# A produce, a consume through a fresh consumer group and its offset commit, with
# the Node client the bus uses: proves the broker, the controller and the group
# coordinator all answer, not only that a port is open.
roundtrip() {
  node "$KAFKA_SCRIPTS_DIR/roundtrip.mjs" "$1" "start-check-$$"
}

# --- already running? -------------------------------------------------------
if pid="$(kafka_running_pid)"; then
  # The running instance's own address, whatever port this caller passed.
  running="$(sed -n 's/^KAFKA_BROKERS=//p' "$KAFKA_DATA_DIR/instance.env" 2>/dev/null || true)"
  if [ -n "$running" ] && roundtrip "$running" >/dev/null 2>&1; then
    say "already running (pid $pid) at $running"
    exit 0
  fi
  fail "pid $pid is running but ${running:-$bootstrap} does not answer as a healthy broker; run stop.sh first"
fi

# --- jars -------------------------------------------------------------------
jvm_broker_resolve_jars "Kafka $version" "$pom" "$lib" kafka.lib
[ -f "$lib/kafka_2.13-$version.jar" ] || fail "$lib lacks kafka_2.13-$version.jar: delete $lib and start again"
java_version="$(jvm_broker_java_version "Kafka $version" "$JAVA")"

# --- data folder, configuration, storage --------------------------------------
for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port is already taken by another process; choose another KAFKA_PORT (the controller takes KAFKA_PORT + 1)"
  fi
done

if [ "${KAFKA_FRESH:-0}" = 1 ] && [ -d "$KAFKA_DATA_DIR" ]; then
  say "KAFKA_FRESH=1: wiping $KAFKA_DATA_DIR"
  rm -rf "$KAFKA_DATA_DIR"
fi
mkdir -p "$KAFKA_DATA_DIR/conf" "$KAFKA_LOG_DIR"
conf="$KAFKA_DATA_DIR/conf/server.properties"
sed -e "s/@PORT@/$KAFKA_PORT/g" -e "s/@CONTROLLER_PORT@/$KAFKA_CONTROLLER_PORT/g" \
    -e "s:@DATA_DIR@:$KAFKA_DATA_DIR:g" -e "s/@PARTITIONS@/$KAFKA_PARTITIONS/" \
    -e "s/@OFFSETS_PARTITIONS@/$KAFKA_OFFSETS_PARTITIONS/" \
    "$KAFKA_SCRIPTS_DIR/server.properties" > "$conf"

jvm_opts=(
  "$kafka_instance_marker"
  "-Xms64m" "-Xmx$KAFKA_HEAP"
  # Serial GC: less resident memory than G1 on a heap this small, short pauses.
  -XX:+UseSerialGC
  -XX:+ExitOnOutOfMemoryError
  # The class archive's notes on classes it cannot store: hundreds of lines, no news.
  -Xlog:cds=off -Xlog:cds+dynamic=off
  -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$KAFKA_SCRIPTS_DIR/log4j2.xml"
  "-Dkafka.logs.dir=$KAFKA_LOG_DIR"
)
# Class data sharing (scripts/lib/jvm-broker.sh): later starts map the classes the first loaded.
cds_flag="$(jvm_broker_cds_flag "$KAFKA_CACHE_DIR/$version" "$pom" "$java_version" "$KAFKA_DATA_DIR" "${KAFKA_CDS:-1}")"
[ -z "$cds_flag" ] || jvm_opts+=("$cds_flag")
# shellcheck disable=SC2206 # KAFKA_JAVA_OPTS is a list of flags on purpose
jvm_opts+=(${KAFKA_JAVA_OPTS:-})

started=$(date +%s)
if [ -f "$KAFKA_DATA_DIR/kraft-metadata/meta.properties" ]; then
  say "reusing the data in $KAFKA_DATA_DIR"
else
  # A cluster id is 16 random bytes in URL-safe base64 without padding, drawn again when it
  # starts with '-' (one in 64): the format tool would read it as an option and refuse it.
  cluster_id=-
  while [ "${cluster_id:0:1}" = - ]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  done
  "$JAVA" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    "-Dlog4j2.configurationFile=$KAFKA_SCRIPTS_DIR/log4j2.xml" "-Dkafka.logs.dir=$KAFKA_LOG_DIR" \
    -cp "$lib/*" kafka.tools.StorageTool format --cluster-id "$cluster_id" --config "$conf" \
    >"$KAFKA_LOG_DIR/format.log" 2>&1 ||
    { cat "$KAFKA_LOG_DIR/format.log" >&2; fail "formatting the storage failed"; }
  say "storage formatted (cluster $cluster_id) in $(($(date +%s) - started))s"
fi

# --- launch -----------------------------------------------------------------
# The wait below looks for the start line in server.log: keep the last run's log aside.
[ ! -f "$KAFKA_LOG_DIR/server.log" ] || mv "$KAFKA_LOG_DIR/server.log" "$KAFKA_LOG_DIR/server.previous.log"
say "starting Kafka $version (heap $KAFKA_HEAP) in $KAFKA_DATA_DIR"
(
  cd "$KAFKA_DATA_DIR"
  exec setsid "$JAVA" "${jvm_opts[@]}" -cp "$lib/*" kafka.Kafka "$conf" \
    >"$KAFKA_LOG_DIR/stdout.log" 2>&1 </dev/null
) &
echo $! > "$KAFKA_PID_FILE"

# --- wait until it works ----------------------------------------------------
stop_half_started() {
  KAFKA_KEEP_DATA=1 "$KAFKA_SCRIPTS_DIR/stop.sh" >/dev/null 2>&1 || true
  fail "$1 (data kept in $KAFKA_DATA_DIR)"
}

deadline=$((started + KAFKA_START_TIMEOUT))
sleep 1  # let the background shell exec java before we look for it
until grep -q 'Kafka Server started' "$KAFKA_LOG_DIR/server.log" 2>/dev/null; do
  kafka_running_pid >/dev/null || fail "the broker exited during start"
  [ "$(date +%s)" -lt "$deadline" ] || stop_half_started "not started after ${KAFKA_START_TIMEOUT}s"
  sleep 0.5
done
say "server up after $(($(date +%s) - started))s"

check_log="$KAFKA_LOG_DIR/start-check.log"
until roundtrip "$bootstrap" >"$check_log" 2>&1; do
  kafka_running_pid >/dev/null || fail "the broker exited during start"
  [ "$(date +%s)" -lt "$deadline" ] || { cat "$check_log" >&2; stop_half_started "the round trip failed"; }
  sleep 1
done
say "$(cat "$check_log")"

# For tests and people: everything needed to reach this instance.
{
  echo "KAFKA_BROKERS=$bootstrap"
  echo "KAFKA_PID=$(cat "$KAFKA_PID_FILE")"
} > "$KAFKA_DATA_DIR/instance.env"

say "ready in $(($(date +%s) - started))s (pid $(cat "$KAFKA_PID_FILE")): $bootstrap, logs in $KAFKA_LOG_DIR"
