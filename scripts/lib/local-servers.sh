# Sourced by scripts/test.sh and .ci/run: makes sure the Redis server and the NATS server (with
# JetStream) the tests use answer, and starts the machine's own when they are down and the tests
# point at the default local address. REDIS_TESTS=skip / NATS_TESTS=skip leave them alone.

# The machine's commands for its local servers (the same that started them before the session).
start_local_redis () {
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
}
start_local_nats () {
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
}

# ensure_server redis|nats URL DEFAULT_URL START_FUNCTION
ensure_server () {
  local kind=$1 url=$2 default_url=$3 start=$4
  if node scripts/lib/answers.mjs "$kind" "$url"; then return 0; fi
  if [ "$url" != "$default_url" ]; then
    echo "$kind does not answer at $url (set by the environment): start it, or unset the variable to use the local server" >&2
    return 1
  fi
  echo "Starting the local $kind server with the machine's command."
  "$start"
  for _ in $(seq 1 50); do
    if node scripts/lib/answers.mjs "$kind" "$url" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "$kind still does not answer at $url after starting it: is it installed (apt-get install redis-server nats-server)?" >&2
  return 1
}

ensure_redis_and_nats () {
  if [ "${REDIS_TESTS:-}" != "skip" ]; then ensure_server redis "${REDIS_URL:-redis://127.0.0.1:6379}" redis://127.0.0.1:6379 start_local_redis; fi
  if [ "${NATS_TESTS:-}" != "skip" ]; then ensure_server nats "${NATS_URL:-nats://127.0.0.1:4222}" nats://127.0.0.1:4222 start_local_nats; fi
}
