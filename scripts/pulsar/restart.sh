#!/usr/bin/env bash
# Stops the instance and starts it again on the same data: what a broker restart
# looks like to clients (connections drop, stored and unacknowledged messages stay).
# Same environment variables as start.sh.
set -euo pipefail
dir="$(dirname "${BASH_SOURCE[0]}")"
PULSAR_KEEP_DATA=1 "$dir/stop.sh"
PULSAR_FRESH=0 exec "$dir/start.sh"
