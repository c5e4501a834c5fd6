# Settings of one broker instance, shared by start.sh, stop.sh and restart.sh.
# Sourced, not run. Every value can be set from the environment; see README.md.

PULSAR_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$PULSAR_SCRIPTS_DIR/../lib/jvm-broker.sh"
PULSAR_REPO_DIR="$(cd "$PULSAR_SCRIPTS_DIR/../.." && pwd)"

PULSAR_INSTANCE="${PULSAR_INSTANCE:-default}"
case "$PULSAR_INSTANCE" in
  *[!A-Za-z0-9_.-]*|'') echo "PULSAR_INSTANCE must be letters, digits, '.', '_' or '-': '$PULSAR_INSTANCE'" >&2; exit 2 ;;
esac
PULSAR_DATA_DIR="${PULSAR_DATA_DIR:-${TMPDIR:-/tmp}/fastify-outbox-pulsar/$PULSAR_INSTANCE}"
PULSAR_CACHE_DIR="${PULSAR_CACHE_DIR:-$PULSAR_REPO_DIR/.cache/pulsar}"
PULSAR_PID_FILE="$PULSAR_DATA_DIR/pulsar.pid"
PULSAR_LOG_DIR="$PULSAR_DATA_DIR/logs"

PULSAR_BROKER_PORT="${PULSAR_BROKER_PORT:-6650}"
PULSAR_WEB_PORT="${PULSAR_WEB_PORT:-8080}"
# Derived from the broker and web ports so that a second instance given other
# broker/web ports gets other bookie and TLS ports without more settings.
PULSAR_BOOKIE_PORT="${PULSAR_BOOKIE_PORT:-$((PULSAR_BROKER_PORT - 6650 + 3181))}"
PULSAR_BROKER_TLS_PORT="${PULSAR_BROKER_TLS_PORT:-$((PULSAR_BROKER_PORT + 1))}"
PULSAR_WEB_TLS_PORT="${PULSAR_WEB_TLS_PORT:-$((PULSAR_WEB_PORT - 8080 + 8443))}"

# The token of the role that start.sh makes a superuser when auth is on.
PULSAR_SUPERUSER_ROLE="${PULSAR_SUPERUSER_ROLE:-superuser}"
PULSAR_SUPERUSER_TOKEN_FILE="$PULSAR_DATA_DIR/superuser.token"

# The JVM that runs the broker is "ours" when its command line names this folder:
# a pid file left by a crash must not make us signal some other process.
pulsar_instance_marker="-Dpulsar.instance.dir=$PULSAR_DATA_DIR"

pulsar_running_pid() { jvm_broker_running_pid "$PULSAR_PID_FILE" "$pulsar_instance_marker"; }
