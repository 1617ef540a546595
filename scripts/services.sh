# shellcheck shell=bash
# Starts throwaway PostgreSQL and Redis servers for the test suite: installed from Debian's
# packages when missing, run on free loopback ports out of a temporary directory, stopped by
# services_stop. Source this file, then call services_start; it exports
# LLMGATE_TEST_DATABASE_URL and LLMGATE_TEST_REDIS_URL.

services_pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

services_install() {
  local need=()
  services_pg_bin >/dev/null || need+=(postgresql)
  command -v redis-server >/dev/null || need+=(redis-server)
  # The console's browser tests drive Debian's Chromium headless.
  command -v chromium >/dev/null || command -v chromium-browser >/dev/null || need+=(chromium)
  [ ${#need[@]} -eq 0 ] && return 0
  echo "services: installing ${need[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts packaged servers; ours run on their own ports, so stop those to save memory.
  $sudo service redis-server stop >/dev/null 2>&1 || true
  $sudo service postgresql stop >/dev/null 2>&1 || true
}

services_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

services_start() {
  services_install
  SERVICES_DIR=$(mktemp -d /tmp/llmgate-services.XXXXXX)
  chmod 755 "$SERVICES_DIR"
  local pgbin pgport redisport runas=()
  pgbin=$(services_pg_bin)
  pgport=$(services_free_port)
  redisport=$(services_free_port)

  # PostgreSQL refuses to run as root: use an unprivileged account when we are root.
  if [ "$(id -u)" -eq 0 ]; then
    id llmgate-test >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin llmgate-test
    runas=(runuser -u llmgate-test --)
  fi
  mkdir -p "$SERVICES_DIR/pg"
  [ ${#runas[@]} -gt 0 ] && chown llmgate-test "$SERVICES_DIR/pg"
  "${runas[@]}" "$pgbin/initdb" -D "$SERVICES_DIR/pg/data" -U llmgate -A trust --no-sync >"$SERVICES_DIR/pg-init.log" 2>&1 ||
    { cat "$SERVICES_DIR/pg-init.log" >&2; return 1; }
  "${runas[@]}" "$pgbin/pg_ctl" -D "$SERVICES_DIR/pg/data" -l "$SERVICES_DIR/pg/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $pgport -k $SERVICES_DIR/pg -c fsync=off -c max_connections=300" start >/dev/null ||
    { cat "$SERVICES_DIR/pg/server.log" >&2; return 1; }
  "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U llmgate llmgate_test

  redis-server --port "$redisport" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$SERVICES_DIR" --daemonize yes --pidfile "$SERVICES_DIR/redis.pid" \
    --logfile "$SERVICES_DIR/redis.log" >/dev/null
  local i
  for i in $(seq 1 100); do
    redis-cli -p "$redisport" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  redis-cli -p "$redisport" ping | grep -q PONG || { echo "services: redis did not start" >&2; return 1; }

  SERVICES_PG_CTL=("${runas[@]}" "$pgbin/pg_ctl" -D "$SERVICES_DIR/pg/data")
  export LLMGATE_TEST_DATABASE_URL="postgres://llmgate@127.0.0.1:$pgport/llmgate_test?sslmode=disable"
  export LLMGATE_TEST_REDIS_URL="redis://127.0.0.1:$redisport/0"
  export LLMGATE_TEST_PG_BIN="$pgbin"
  echo "services: postgres on :$pgport, redis on :$redisport ($SERVICES_DIR)" >&2
}

services_stop() {
  [ -n "${SERVICES_DIR:-}" ] || return 0
  "${SERVICES_PG_CTL[@]}" stop -m fast >/dev/null 2>&1 || true
  [ -f "$SERVICES_DIR/redis.pid" ] && kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true
  rm -rf "$SERVICES_DIR"
  SERVICES_DIR=""
}
