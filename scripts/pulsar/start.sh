#!/usr/bin/env bash
# Starts a Pulsar standalone broker (one broker, one bookie, RocksDB metadata) from
# Maven Central jars, in the background, and returns once it has proved it works:
# cluster listed, public/default present, a WebSocket publish/consume round trip done.
# Idempotent: an instance that is already up and healthy is left alone.
# Data from an earlier run of the same instance is reused (see restart.sh);
# PULSAR_FRESH=1 wipes it first. Settings: README.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/instance.sh"

PULSAR_HEAP="${PULSAR_HEAP:-512m}"
PULSAR_DIRECT_MEMORY="${PULSAR_DIRECT_MEMORY:-256m}"
PULSAR_ML_CACHE_MB="${PULSAR_ML_CACHE_MB:-32}"
PULSAR_BK_CACHE_MB="${PULSAR_BK_CACHE_MB:-16}"
PULSAR_START_TIMEOUT="${PULSAR_START_TIMEOUT:-120}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

pom="$PULSAR_SCRIPTS_DIR/pom.xml"
version="$(sed -n 's:.*<pulsar.version>\(.*\)</pulsar.version>.*:\1:p' "$pom")"
lib="$PULSAR_CACHE_DIR/$version/lib"
web_url="http://127.0.0.1:$PULSAR_WEB_PORT"

say() { echo "pulsar[$PULSAR_INSTANCE]: $*"; }
fail() {
  echo "pulsar[$PULSAR_INSTANCE]: $*" >&2
  for f in "$PULSAR_LOG_DIR/pulsar.log" "$PULSAR_LOG_DIR/stdout.log"; do
    [ -s "$f" ] && { echo "--- last lines of $f" >&2; tail -n 40 "$f" >&2; }
  done
  exit 1
}

auth_header=()
token=""
load_token() {
  # By file, not by PULSAR_AUTH_SECRET_FILE: "already running?" must also work for a
  # caller that did not repeat the security settings.
  if [ -s "$PULSAR_SUPERUSER_TOKEN_FILE" ]; then
    token="$(cat "$PULSAR_SUPERUSER_TOKEN_FILE")"
    auth_header=(-H "Authorization: Bearer $token")
  fi
}

# GET on the admin API; prints the body, fails on a non-2xx answer.
admin_get() { curl -fsS --max-time 5 "${auth_header[@]}" "$web_url$1" 2>/dev/null; }

healthy() {
  [ "$(admin_get /admin/v2/clusters)" = '["standalone"]' ] &&
    admin_get /admin/v2/namespaces/public | grep -q '"public/default"'
}

# --- already running? -------------------------------------------------------
if pid="$(pulsar_running_pid)"; then
  # The running instance's own URLs, whatever ports this caller passed.
  # (instance.env is missing while another start.sh is still waiting for it.)
  running_web_url="$(sed -n 's/^PULSAR_WEB_URL=//p' "$PULSAR_DATA_DIR/instance.env" 2>/dev/null || true)"
  web_url="${running_web_url:-$web_url}"
  load_token
  if healthy; then
    say "already running (pid $pid) at $web_url"
    exit 0
  fi
  fail "pid $pid is running but $web_url does not answer as a healthy broker; run stop.sh first"
fi

# --- jars -------------------------------------------------------------------
jvm_broker_resolve_jars "Pulsar $version" "$pom" "$lib" pulsar.lib
java_version="$(jvm_broker_java_version "Pulsar $version" "$JAVA")"

# --- data folder and configuration ------------------------------------------
for port in "$PULSAR_BROKER_PORT" "$PULSAR_WEB_PORT" "$PULSAR_BOOKIE_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port is already taken by another process; choose other PULSAR_*_PORT values"
  fi
done

if [ "${PULSAR_FRESH:-0}" = 1 ] && [ -d "$PULSAR_DATA_DIR" ]; then
  say "PULSAR_FRESH=1: wiping $PULSAR_DATA_DIR"
  rm -rf "$PULSAR_DATA_DIR"
fi
if [ -d "$PULSAR_DATA_DIR/bookkeeper" ]; then
  say "reusing the data in $PULSAR_DATA_DIR"
fi
mkdir -p "$PULSAR_DATA_DIR/conf" "$PULSAR_LOG_DIR"
conf="$PULSAR_DATA_DIR/conf/standalone.conf"

tls_broker_port="" tls_web_port=""
if [ -n "${PULSAR_TLS_CERT_FILE:-}" ]; then
  tls_broker_port="$PULSAR_BROKER_TLS_PORT" tls_web_port="$PULSAR_WEB_TLS_PORT"
fi
sed -e "s/@BROKER_PORT@/$PULSAR_BROKER_PORT/" -e "s/@WEB_PORT@/$PULSAR_WEB_PORT/" \
    -e "s/@BROKER_TLS_PORT@/$tls_broker_port/" -e "s/@WEB_TLS_PORT@/$tls_web_port/" \
    -e "s/@ML_CACHE_MB@/$PULSAR_ML_CACHE_MB/" -e "s/@BK_CACHE_MB@/$PULSAR_BK_CACHE_MB/g" \
    "$PULSAR_SCRIPTS_DIR/standalone.conf" > "$conf"
# PULSAR_SETTINGS: broker settings on top, "key=value" separated by spaces or new lines; each
# replaces its key's line (e.g. the settings docker-compose.yml gives its broker).
for setting in ${PULSAR_SETTINGS:-}; do
  case "$setting" in
    [A-Za-z]*=*) key="${setting%%=*}"; sed -i "/^$key=/d" "$conf"; echo "$setting" >> "$conf" ;;
    *) fail "PULSAR_SETTINGS holds \"$setting\", which is not key=value" ;;
  esac
done

if [ -n "${PULSAR_AUTH_SECRET_FILE:-}" ]; then
  secret="$(realpath "$PULSAR_AUTH_SECRET_FILE")"
  [ -s "$secret" ] || fail "PULSAR_AUTH_SECRET_FILE $secret is missing or empty"
  [ "$(stat -c %s "$secret")" -ge 32 ] ||
    fail "PULSAR_AUTH_SECRET_FILE must hold at least 32 bytes: HS256 refuses shorter keys"
  # The broker's own client (namespace setup, the WebSocket service) needs a token
  # too: one for the superuser role, signed with the same secret.
  "$PULSAR_SCRIPTS_DIR/make-token.sh" "$secret" "$PULSAR_SUPERUSER_ROLE" > "$PULSAR_SUPERUSER_TOKEN_FILE"
  cat >> "$conf" <<EOF

### Token authentication (PULSAR_AUTH_SECRET_FILE) #############################
authenticationEnabled=true
authenticationProviders=org.apache.pulsar.broker.authentication.AuthenticationProviderToken
tokenSecretKey=file://$secret
superUserRoles=$PULSAR_SUPERUSER_ROLE
authorizationEnabled=${PULSAR_AUTHORIZATION:-false}
brokerClientAuthenticationPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken
brokerClientAuthenticationParameters=file://$PULSAR_SUPERUSER_TOKEN_FILE
EOF
fi

if [ -n "${PULSAR_TLS_CERT_FILE:-}" ]; then
  [ -s "${PULSAR_TLS_KEY_FILE:-}" ] || fail "PULSAR_TLS_CERT_FILE needs PULSAR_TLS_KEY_FILE (PKCS#8 PEM)"
  cat >> "$conf" <<EOF

### TLS (PULSAR_TLS_CERT_FILE) ##################################################
tlsCertificateFilePath=$(realpath "$PULSAR_TLS_CERT_FILE")
tlsKeyFilePath=$(realpath "$PULSAR_TLS_KEY_FILE")
tlsTrustCertsFilePath=${PULSAR_TLS_TRUST_FILE:+$(realpath "$PULSAR_TLS_TRUST_FILE")}
EOF
fi

# --- launch -----------------------------------------------------------------
# System properties and --add-opens as Pulsar's own bin/pulsar sets them.
jvm_opts=(
  "$pulsar_instance_marker"
  "-Xms64m" "-Xmx$PULSAR_HEAP" "-XX:MaxDirectMemorySize=$PULSAR_DIRECT_MEMORY"
  # Serial GC: ~70 MB less resident memory than G1 here (G1's own structures),
  # and pauses of a few ms on a heap this small.
  -XX:+UseSerialGC
  -XX:+ExitOnOutOfMemoryError
  -Dpulsar.allocator.exit_on_oom=true
  -Dio.netty.recycler.maxCapacityPerThread=4096
  -Dio.netty.tryReflectionSetAccessible=true
  -Djava.net.preferIPv4Stack=true
  -Djute.maxbuffer=10485760
  -Dbookkeeper.metadata.bookie.drivers=org.apache.pulsar.metadata.bookkeeper.PulsarMetadataBookieDriver
  -Dbookkeeper.metadata.client.drivers=org.apache.pulsar.metadata.bookkeeper.PulsarMetadataClientDriver
  -Dlog4j.shutdownHookEnabled=false
  -Dlog4j2.is.webapp=false
  "-Dlog4j2.configurationFile=$PULSAR_SCRIPTS_DIR/log4j2.xml"
  "-Dpulsar.log.dir=$PULSAR_LOG_DIR"
  --add-opens java.base/java.io=ALL-UNNAMED
  --add-opens java.base/java.util.zip=ALL-UNNAMED
  --add-opens java.base/java.nio=ALL-UNNAMED
  --add-opens java.base/jdk.internal.misc=ALL-UNNAMED
  --add-opens java.base/sun.net=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED
)
# Class data sharing (scripts/lib/jvm-broker.sh): ~25% less CPU getting ready once recorded.
cds_flag="$(jvm_broker_cds_flag "$PULSAR_CACHE_DIR/$version" "$pom" "$java_version" "$PULSAR_DATA_DIR" "${PULSAR_CDS:-1}")"
[ -z "$cds_flag" ] || jvm_opts+=("$cds_flag")
# shellcheck disable=SC2206 # PULSAR_JAVA_OPTS is a list of flags on purpose
jvm_opts+=(${PULSAR_JAVA_OPTS:-})

say "starting Pulsar $version (heap $PULSAR_HEAP, direct $PULSAR_DIRECT_MEMORY) in $PULSAR_DATA_DIR"
started=$(date +%s)
(
  # The working directory matters: PulsarStandalone falls back to ZooKeeper mode
  # if it finds ./data/standalone/zookeeper.
  cd "$PULSAR_DATA_DIR"
  exec setsid "$JAVA" "${jvm_opts[@]}" -cp "$lib/*" org.apache.pulsar.PulsarStandaloneStarter \
    --config "$conf" --no-functions-worker --no-stream-storage \
    --metadata-dir "$PULSAR_DATA_DIR/metadata" \
    --bookkeeper-dir "$PULSAR_DATA_DIR/bookkeeper" --bookkeeper-port "$PULSAR_BOOKIE_PORT" \
    >"$PULSAR_LOG_DIR/stdout.log" 2>&1 </dev/null
) &
echo $! > "$PULSAR_PID_FILE"

# --- wait until it works ----------------------------------------------------
stop_half_started() {
  PULSAR_KEEP_DATA=1 "$PULSAR_SCRIPTS_DIR/stop.sh" >/dev/null 2>&1 || true
  fail "$1 (data kept in $PULSAR_DATA_DIR)"
}

load_token
deadline=$((started + PULSAR_START_TIMEOUT))
sleep 1  # let the background shell exec java before we look for it
until healthy; do
  pulsar_running_pid >/dev/null || fail "the broker exited during start"
  [ "$(date +%s)" -lt "$deadline" ] || stop_half_started "not healthy after ${PULSAR_START_TIMEOUT}s"
  sleep 1
  elapsed=$(($(date +%s) - started))
  [ $((elapsed % 5)) -ne 0 ] || say "waiting for the broker... ${elapsed}s"
done
say "admin API up after $(($(date +%s) - started))s"

roundtrip() {
  PULSAR_TOKEN="$token" PULSAR_TLS_TRUST_FILE="${2:-}" node "$PULSAR_SCRIPTS_DIR/ws-roundtrip.mjs" "$1" \
    "start-check-$$" start-check
}
check_log="$PULSAR_LOG_DIR/start-check.log"
roundtrip "ws://127.0.0.1:$PULSAR_WEB_PORT" >"$check_log" 2>&1 || {
  cat "$check_log" >&2
  stop_half_started "the WebSocket round trip failed"
}
say "$(cat "$check_log")"
if [ -n "${PULSAR_TLS_CERT_FILE:-}" ]; then
  roundtrip "wss://127.0.0.1:$PULSAR_WEB_TLS_PORT" "${PULSAR_TLS_TRUST_FILE:-$PULSAR_TLS_CERT_FILE}" \
    >"$check_log" 2>&1 || { cat "$check_log" >&2; stop_half_started "the wss:// round trip failed"; }
  say "$(cat "$check_log")"
fi
curl -fsS --max-time 10 -X DELETE "${auth_header[@]}" \
  "$web_url/admin/v2/persistent/public/default/start-check-$$?force=true" >/dev/null ||
  say "note: could not delete the topic start-check-$$"

# For tests and people: everything needed to reach this instance.
{
  echo "PULSAR_SERVICE_URL=pulsar://127.0.0.1:$PULSAR_BROKER_PORT"
  echo "PULSAR_WEB_URL=$web_url"
  echo "PULSAR_WS_URL=ws://127.0.0.1:$PULSAR_WEB_PORT"
  if [ -n "$tls_web_port" ]; then
    echo "PULSAR_SERVICE_URL_TLS=pulsar+ssl://127.0.0.1:$tls_broker_port"
    echo "PULSAR_WEB_URL_TLS=https://127.0.0.1:$tls_web_port"
    echo "PULSAR_WSS_URL=wss://127.0.0.1:$tls_web_port"
  fi
  [ -z "$token" ] || echo "PULSAR_SUPERUSER_TOKEN_FILE=$PULSAR_SUPERUSER_TOKEN_FILE"
  echo "PULSAR_PID=$(cat "$PULSAR_PID_FILE")"
} > "$PULSAR_DATA_DIR/instance.env"

say "ready in $(($(date +%s) - started))s (pid $(cat "$PULSAR_PID_FILE")): pulsar://127.0.0.1:$PULSAR_BROKER_PORT, $web_url, logs in $PULSAR_LOG_DIR"
