#!/usr/bin/env bash
# OncoGuide on one machine as a cluster: PostgreSQL, a Chroma server, the index built once into it,
# N Chainlit processes and nginx in front with sticky sessions. docs/DEPLOY.md explains each part.
#
#   deploy/cluster.sh start     # or: make cluster
#   deploy/cluster.sh status
#   deploy/cluster.sh stop
#
# Settings: deploy/cluster.env (sourced; every value can also be given in the environment), plus the app's own
# settings (.env / ONCOGUIDE_*), which every app process reads. Needs nginx and PostgreSQL from Debian
# (`make cluster-deps`) and the venv (`make setup`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deploy/cluster.env
source "$ROOT/deploy/cluster.env"
PY="$ROOT/.venv/bin/python"
DATA_DIR="${ONCOGUIDE_DATA_DIR:-$ROOT/.oncoguide}"
CLUSTER_DIR="${CLUSTER_DIR:-$DATA_DIR/cluster}"
RUN="$CLUSTER_DIR/run"
LOGS="$CLUSTER_DIR/logs"
PG_DATA="$CLUSTER_DIR/postgres"
DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:$PG_PORT/oncoguide}"
CHROMA_URL="${CHROMA_URL:-http://127.0.0.1:$CHROMA_PORT}"
export ONCOGUIDE_DATA_DIR="$DATA_DIR" DATABASE_URL CHROMA_URL

say() { printf '  %s\n' "$*"; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

pg_bin() {  # a PostgreSQL server program: Debian keeps them out of PATH
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1 || true)"
  [ -n "$found" ] && echo "$found" || command -v "$1" || true
}

as_postgres() {  # PostgreSQL refuses to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

http_ok() {  # the URL answers 2xx/3xx/4xx within 2 s (a 4xx still means the process is serving)
  "$PY" - "$1" <<'EOF' >/dev/null 2>&1
import sys, httpx
sys.exit(0 if httpx.get(sys.argv[1], timeout=2).status_code < 500 else 1)
EOF
}

wait_for() {  # wait_for WHAT SECONDS COMMAND...: until the command succeeds
  local what="$1" seconds="$2"
  shift 2
  for _ in $(seq $((seconds * 5))); do
    "$@" && return 0
    sleep 0.2
  done
  die "$what did not come up in ${seconds}s (logs: $LOGS)"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

app_port() { echo $((APP_BASE_PORT + $1 - 1)); }

start_postgres() {
  local initdb pg_ctl
  initdb="$(pg_bin initdb)"
  pg_ctl="$(pg_bin pg_ctl)"
  [ -n "$initdb" ] && [ -n "$pg_ctl" ] || die "PostgreSQL is not installed (make cluster-deps)"
  if [[ "$DATABASE_URL" != "postgresql://postgres@127.0.0.1:$PG_PORT/oncoguide" ]]; then
    say "PostgreSQL: using DATABASE_URL as given (not starting a local one)"
    return
  fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    mkdir -p "$PG_DATA"
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$CLUSTER_DIR/.." 2>/dev/null; then
      die "the postgres account cannot reach $CLUSTER_DIR: set CLUSTER_DIR to a path it can (e.g. /srv/oncoguide-cluster)"
    fi
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DATA" && chmod o+x "$CLUSTER_DIR"
    as_postgres "$initdb" -D "$PG_DATA" -A trust -U postgres >"$LOGS/postgres-init.log"
  fi
  if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
    as_postgres "$pg_ctl" -D "$PG_DATA" -l "$PG_DATA/postgres.log" -w \
      -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DATA" start >/dev/null
  fi
  wait_for PostgreSQL 30 pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'oncoguide'" |
    grep -q 1 || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE oncoguide"
  say "PostgreSQL   127.0.0.1:$PG_PORT  (data: $PG_DATA)"
}

start_chroma() {
  if [[ "$CHROMA_URL" != "http://127.0.0.1:$CHROMA_PORT" ]]; then
    say "Chroma: using CHROMA_URL as given (not starting a local server)"
    return
  fi
  if ! alive "$RUN/chroma.pid"; then
    mkdir -p "$CLUSTER_DIR/chroma"
    nohup "$ROOT/.venv/bin/chroma" run --path "$CLUSTER_DIR/chroma" --host 127.0.0.1 --port "$CHROMA_PORT" \
      >"$LOGS/chroma.log" 2>&1 &
    echo $! >"$RUN/chroma.pid"
  fi
  wait_for "chroma run" 60 http_ok "$CHROMA_URL/api/v2/heartbeat"
  say "Chroma       $CHROMA_URL  (data: $CLUSTER_DIR/chroma)"
}

build_index() {
  say "Index: python -m loaders.ingest into the Chroma server (only changed documents are embedded)"
  (cd "$ROOT" && "$PY" -m loaders.ingest 2>"$LOGS/ingest.log") || die "ingest failed: $LOGS/ingest.log"
  say "       $(tail -1 "$LOGS/ingest.log")"
}

prepare_sign_in() {
  # One sign-in secret and one account list for every process, made once here: were each process to make its
  # own, a token signed by one would be refused by the next, and two could each create a first account.
  (cd "$ROOT" && "$PY" -c 'from chains.ui.app_setup import configure_auth, settings
configure_auth(settings)' 2>/dev/null) | sed 's/^/  /'
  if [ -z "${CHAINLIT_AUTH_SECRET:-}" ]; then
    CHAINLIT_AUTH_SECRET="$(cat "$DATA_DIR/auth-secret")"
    export CHAINLIT_AUTH_SECRET
  fi
}

start_apps() {
  local i port root
  for i in $(seq "$APPS"); do
    port="$(app_port "$i")"
    if alive "$RUN/app-$i.pid"; then continue; fi
    # Each process gets its own Chainlit app root: Chainlit keeps uploads in <root>/.files and deletes that
    # folder when it stops, so processes must not share one.
    root="$CLUSTER_DIR/app-$i"
    (cd "$ROOT" && "$PY" -c 'import sys; from pathlib import Path; from bench.local_server import make_app_root
make_app_root(Path(sys.argv[1]))' "$root")
    (cd "$ROOT" && CHAINLIT_APP_ROOT="$root" \
      exec nohup "$ROOT/.venv/bin/chainlit" run app.py --headless --host 127.0.0.1 --port "$port") \
      >"$LOGS/app-$i.log" 2>&1 &
    echo $! >"$RUN/app-$i.pid"
  done
  for i in $(seq "$APPS"); do
    port="$(app_port "$i")"
    wait_for "app process $i" 180 http_ok "http://127.0.0.1:$port/project/settings?language=en-US"
    say "App $i        http://127.0.0.1:$port  (log: $LOGS/app-$i.log)"
  done
}

start_balancer() {
  local nginx servers="" i
  nginx="$(command -v nginx || echo /usr/sbin/nginx)"
  [ -x "$nginx" ] || die "nginx is not installed (make cluster-deps)"
  for i in $(seq "$APPS"); do
    servers+="        server 127.0.0.1:$(app_port "$i") max_fails=1 fail_timeout=10s;"$'\n'
  done
  chmod o+x "$RUN"
  "$PY" - "$ROOT/deploy/nginx.conf.template" "$RUN/nginx.conf" "$BALANCER_LISTEN" "$RUN" "$servers" <<'EOF'
import sys
from pathlib import Path
template, target, listen, run_dir, servers = sys.argv[1:]
text = Path(template).read_text().replace("@LISTEN@", listen).replace("@RUN_DIR@", run_dir)
Path(target).write_text(text.replace("@UPSTREAM_SERVERS@", servers.rstrip("\n")))
EOF
  "$nginx" -t -q -p "$RUN" -c "$RUN/nginx.conf" -e "$LOGS/nginx-error.log"
  if alive "$RUN/nginx.pid"; then
    "$nginx" -p "$RUN" -c "$RUN/nginx.conf" -e "$LOGS/nginx-error.log" -s reload
  else
    "$nginx" -p "$RUN" -c "$RUN/nginx.conf" -e "$LOGS/nginx-error.log"
  fi
  wait_for nginx 30 http_ok "http://$(balancer_host)/nginx-health"
  say "Balancer     http://$(balancer_host)  (nginx; access log: $RUN/access.log)"
}

balancer_host() {
  case "$BALANCER_LISTEN" in
    *:*) echo "${BALANCER_LISTEN/0.0.0.0/127.0.0.1}" ;;
    *) echo "127.0.0.1:$BALANCER_LISTEN" ;;
  esac
}

stop_pid() {  # stop_pid NAME PIDFILE
  if alive "$2"; then
    kill "$(cat "$2")"
    for _ in $(seq 75); do alive "$2" || break; sleep 0.2; done
    alive "$2" && kill -9 "$(cat "$2")"
    say "stopped $1"
  fi
  rm -f "$2"
}

cmd_start() {
  [ -x "$PY" ] || die "no venv: run make setup first"
  mkdir -p "$RUN" "$LOGS"
  echo "Starting the OncoGuide cluster ($APPS app processes) in $CLUSTER_DIR"
  start_postgres
  start_chroma
  build_index
  prepare_sign_in
  start_apps
  start_balancer
  echo ""
  echo "  OncoGuide: http://$(balancer_host)   (stop: deploy/cluster.sh stop)"
}

cmd_stop() {
  local nginx i
  nginx="$(command -v nginx || echo /usr/sbin/nginx)"
  if alive "$RUN/nginx.pid"; then
    "$nginx" -p "$RUN" -c "$RUN/nginx.conf" -e "$LOGS/nginx-error.log" -s quit
    for _ in $(seq 75); do alive "$RUN/nginx.pid" || break; sleep 0.2; done
    say "stopped nginx"
  fi
  for pidfile in "$RUN"/app-*.pid; do
    [ -e "$pidfile" ] || continue
    i="$(basename "$pidfile" .pid)"
    stop_pid "$i" "$pidfile"
  done
  stop_pid "chroma run" "$RUN/chroma.pid"
  if [ -f "$PG_DATA/postmaster.pid" ]; then
    as_postgres "$(pg_bin pg_ctl)" -D "$PG_DATA" -m fast -w stop >/dev/null && say "stopped PostgreSQL"
  fi
}

cmd_status() {
  local bad=0 i port
  check() {  # check NAME COMMAND...
    local name="$1"
    shift
    if "$@"; then say "up    $name"; else say "DOWN  $name"; bad=1; fi
  }
  check "PostgreSQL ($DATABASE_URL)" pg_isready -q -d "$DATABASE_URL"
  check "Chroma ($CHROMA_URL)" http_ok "$CHROMA_URL/api/v2/heartbeat"
  for i in $(seq "$APPS"); do
    port="$(app_port "$i")"
    check "app $i (127.0.0.1:$port)" http_ok "http://127.0.0.1:$port/project/settings?language=en-US"
  done
  check "nginx (http://$(balancer_host))" http_ok "http://$(balancer_host)/nginx-health"
  return "$bad"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  restart) cmd_stop && cmd_start ;;
  *) echo "usage: deploy/cluster.sh start|stop|status|restart" >&2; exit 2 ;;
esac
