#!/usr/bin/env bash
# Stops a broker started by start.sh: TERM (Pulsar closes topics and the bookie
# cleanly), then KILL after PULSAR_STOP_TIMEOUT seconds. Removes the instance's
# data folder unless PULSAR_KEEP_DATA=1. Idempotent: nothing running is fine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/instance.sh"

PULSAR_STOP_TIMEOUT="${PULSAR_STOP_TIMEOUT:-30}"
say() { echo "pulsar[$PULSAR_INSTANCE]: $*"; }

if pid="$(pulsar_running_pid)"; then
  kill -TERM "$pid"
  waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((PULSAR_STOP_TIMEOUT * 5)) ]; do
    sleep 0.2
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid still running after ${PULSAR_STOP_TIMEOUT}s: KILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  elif [ -s "$PULSAR_DATA_DIR/classes.jsa" ] && [ -s "$PULSAR_DATA_DIR/classes.jsa.target" ]; then
    # A clean exit wrote the class archive (start.sh): publish it for later starts,
    # atomically, and never over one that another instance published first.
    target="$(cat "$PULSAR_DATA_DIR/classes.jsa.target")"
    cp "$PULSAR_DATA_DIR/classes.jsa" "$target.$$" && mv -n "$target.$$" "$target" || true
    rm -f "$target.$$"
  fi
  say "stopped (pid $pid)"
else
  say "not running"
fi
rm -f "$PULSAR_PID_FILE" "$PULSAR_DATA_DIR/instance.env" "$PULSAR_DATA_DIR"/classes.jsa*

if [ "${PULSAR_KEEP_DATA:-0}" = 1 ]; then
  [ -d "$PULSAR_DATA_DIR" ] && say "data kept in $PULSAR_DATA_DIR"
elif [ -d "$PULSAR_DATA_DIR" ]; then
  rm -rf "$PULSAR_DATA_DIR"
  say "removed $PULSAR_DATA_DIR"
fi
exit 0
