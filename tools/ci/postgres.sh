#!/usr/bin/env bash
# A throwaway PostgreSQL server for the review store's PostgreSQL tests.
#
#   tools/ci/postgres.sh start   install Debian's postgresql if missing, start a server on
#                                127.0.0.1:$PAXSHARE_PG_PORT (default 15432) under a temporary data
#                                directory, create the test database, print its URL on stdout
#   tools/ci/postgres.sh stop    stop that server and delete its data directory
#
# Typical use (as .ci/run does; the trap only once start succeeded, so that a failed start never
# stops a server someone else runs on that port):
#   export PAXSHARE_TEST_DATABASE_URL="$(tools/ci/postgres.sh start)"
#   trap 'tools/ci/postgres.sh stop' EXIT
#
# The server listens on loopback only, trusts local connections (a test server with no data worth
# protecting) and never touches the machine's own clusters. PostgreSQL refuses to run as root, so
# when started by root it runs as the 'postgres' account the Debian package creates.
set -euo pipefail

PORT="${PAXSHARE_PG_PORT:-15432}"
STATE="${PAXSHARE_PG_STATE:-${TMPDIR:-/tmp}/paxshare-ci-postgres-$PORT}"
DATABASE=paxshare_test

log() { echo "postgres.sh: $*" >&2; }

bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

install_server() {
  if bindir >/dev/null; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    log "PostgreSQL is not installed and this is not root: apt-get install postgresql"; exit 1
  fi
  log "installing Debian's postgresql"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  install_server
  local bin; bin="$(bindir)"
  if [ -f "$STATE/data/postmaster.pid" ]; then
    log "a server is already running from $STATE (port $PORT): stop it first, or set PAXSHARE_PG_PORT"; exit 1
  fi
  rm -rf "$STATE"
  mkdir -p "$STATE/data" "$STATE/socket"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$STATE"
  chmod 700 "$STATE/data"
  as_owner "$bin/initdb" -D "$STATE/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  as_owner "$bin/pg_ctl" -D "$STATE/data" -l "$STATE/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $STATE/socket -c fsync=off" start >&2 \
    || { cat "$STATE/server.log" >&2; exit 1; }
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DATABASE" || { stop; exit 1; }
  echo "postgresql://postgres@127.0.0.1:$PORT/$DATABASE"
}

stop() {
  local bin; bin="$(bindir || true)"
  if [ -n "$bin" ] && [ -f "$STATE/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$STATE/data" -m fast -w stop >&2 || true
  fi
  rm -rf "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
