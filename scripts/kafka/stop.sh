#!/usr/bin/env bash
# Stops a broker started by start.sh: TERM (Kafka flushes its logs and writes a clean-shutdown marker), then KILL after
# KAFKA_STOP_TIMEOUT seconds. Removes the instance's data folder unless KAFKA_KEEP_DATA=1.
# Idempotent: nothing running is fine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/instance.sh"

say() { echo "kafka[$KAFKA_INSTANCE]: $*"; }
jvm_broker_stop "$KAFKA_PID_FILE" "$kafka_instance_marker" "$KAFKA_DATA_DIR" "${KAFKA_STOP_TIMEOUT:-30}" "${KAFKA_KEEP_DATA:-0}"
