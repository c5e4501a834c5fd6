# Settings of one broker instance, shared by start.sh and stop.sh.
# Sourced, not run. Every value can be set from the environment; see README.md.

KAFKA_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$KAFKA_SCRIPTS_DIR/../lib/jvm-broker.sh"
KAFKA_REPO_DIR="$(cd "$KAFKA_SCRIPTS_DIR/../.." && pwd)"

KAFKA_INSTANCE="${KAFKA_INSTANCE:-default}"
case "$KAFKA_INSTANCE" in
  *[!A-Za-z0-9_.-]*|'') echo "KAFKA_INSTANCE must be letters, digits, '.', '_' or '-': '$KAFKA_INSTANCE'" >&2; exit 2 ;;
esac
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-${TMPDIR:-/tmp}/fastify-outbox-kafka/$KAFKA_INSTANCE}"
KAFKA_CACHE_DIR="${KAFKA_CACHE_DIR:-$KAFKA_REPO_DIR/.cache/kafka}"
KAFKA_PID_FILE="$KAFKA_DATA_DIR/kafka.pid"
KAFKA_LOG_DIR="$KAFKA_DATA_DIR/logs"

KAFKA_PORT="${KAFKA_PORT:-9092}"
# Derived from the client port so that a second instance needs one setting only.
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"

# The JVM that runs the broker is "ours" when its command line names this folder:
# a pid file left by a crash must not make us signal some other process.
kafka_instance_marker="-Dkafka.instance.dir=$KAFKA_DATA_DIR"

kafka_running_pid() { jvm_broker_running_pid "$KAFKA_PID_FILE" "$kafka_instance_marker"; }
