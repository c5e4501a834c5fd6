#!/usr/bin/env bash
# Stops a broker started by start.sh: TERM (Kafka flushes its logs and writes
# a clean-shutdown marker), then KILL after KAFKA_STOP_TIMEOUT seconds. Removes the instance's
# data folder unless KAFKA_KEEP_DATA=1. Idempotent: nothing running is fine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/instance.sh"

KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
say() { echo "kafka[$KAFKA_INSTANCE]: $*"; }

if pid="$(kafka_running_pid)"; then
  kill -TERM "$pid"
  waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((KAFKA_STOP_TIMEOUT * 5)) ]; do
    sleep 0.2
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid still running after ${KAFKA_STOP_TIMEOUT}s: KILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  elif [ -s "$KAFKA_DATA_DIR/classes.jsa" ] && [ -s "$KAFKA_DATA_DIR/classes.jsa.target" ]; then
    # A clean exit wrote the class archive (start.sh): publish it for later starts,
    # atomically, and never over one that another instance published first.
    target="$(cat "$KAFKA_DATA_DIR/classes.jsa.target")"
    cp "$KAFKA_DATA_DIR/classes.jsa" "$target.$$" && mv -n "$target.$$" "$target" || true
    rm -f "$target.$$"
  fi
  say "stopped (pid $pid)"
else
  say "not running"
fi
rm -f "$KAFKA_PID_FILE" "$KAFKA_DATA_DIR/instance.env" "$KAFKA_DATA_DIR"/classes.jsa*

if [ "${KAFKA_KEEP_DATA:-0}" = 1 ]; then
  [ -d "$KAFKA_DATA_DIR" ] && say "data kept in $KAFKA_DATA_DIR"
elif [ -d "$KAFKA_DATA_DIR" ]; then
  rm -rf "$KAFKA_DATA_DIR"
  say "removed $KAFKA_DATA_DIR"
fi
exit 0
