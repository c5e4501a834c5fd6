#!/usr/bin/env bash
# Stops a broker started by start.sh: TERM (Pulsar closes topics and the bookie cleanly), then KILL after
# PULSAR_STOP_TIMEOUT seconds. Removes the instance's data folder unless PULSAR_KEEP_DATA=1.
# Idempotent: nothing running is fine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/instance.sh"

say() { echo "pulsar[$PULSAR_INSTANCE]: $*"; }
jvm_broker_stop "$PULSAR_PID_FILE" "$pulsar_instance_marker" "$PULSAR_DATA_DIR" "${PULSAR_STOP_TIMEOUT:-30}" "${PULSAR_KEEP_DATA:-0}"
