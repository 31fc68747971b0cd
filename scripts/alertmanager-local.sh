#!/usr/bin/env bash
# A real Prometheus Alertmanager on loopback, for tests, CI and trying the alerter locally. Installs
# Debian's prometheus-alertmanager when the binary is missing; runs it with a minimal configuration
# (one receiver, clustering off) and its data under .local/; waits until /-/ready answers.
#
#   scripts/alertmanager-local.sh start    start (or find running); last stdout line = base URL
#   scripts/alertmanager-local.sh stop     stop the Alertmanager of this port/data dir
#   scripts/alertmanager-local.sh status   "running <url>" (exit 0) or "stopped" (exit 3)
#
# Environment (all optional):
#   ALERTMANAGER_PORT           port on 127.0.0.1                              default 9093
#   ALERTMANAGER_DATA_DIR       config, data, log, pid file                    default <repo>/.local/alertmanager-<port>
#   ALERTMANAGER_WEBHOOK_URL    where Alertmanager forwards notifications      default none (alerts are only held)
#   ALERTMANAGER_START_TIMEOUT  seconds to wait for /-/ready                   default 60
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf 'alertmanager-local: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

PORT="${ALERTMANAGER_PORT:-9093}"
[[ "$PORT" =~ ^[0-9]+$ ]] && ((PORT > 0 && PORT <= 65535)) || die "ALERTMANAGER_PORT must be a port number, got '$PORT'"
URL="http://127.0.0.1:$PORT"
DATA_DIR="${ALERTMANAGER_DATA_DIR:-$ROOT/.local/alertmanager-$PORT}"
PID_FILE="$DATA_DIR/alertmanager.pid"
CONFIG="$DATA_DIR/alertmanager.yml"
OUT_FILE="$DATA_DIR/alertmanager.log"
START_TIMEOUT="${ALERTMANAGER_START_TIMEOUT:-60}"

find_binary() {
  command -v prometheus-alertmanager 2>/dev/null || command -v alertmanager 2>/dev/null || true
}

ensure_binary() {
  BIN="$(find_binary)"
  [[ -n "$BIN" ]] && return 0
  command -v apt-get >/dev/null 2>&1 || die "prometheus-alertmanager missing and apt-get unavailable: install it by hand"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 || die "prometheus-alertmanager missing; run as root or install it by hand"
    sudo=(sudo)
  fi
  log "installing prometheus-alertmanager with apt-get"
  # Concurrent starts (several test files) install once.
  mkdir -p "$ROOT/.local"
  exec 8>"$ROOT/.local/.alertmanager-install.lock"
  flock -w 600 8 || die "could not lock the install"
  if [[ -z "$(find_binary)" ]]; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus-alertmanager >&2
  fi
  exec 8>&-
  BIN="$(find_binary)"
  [[ -n "$BIN" ]] || die "prometheus-alertmanager still missing after apt-get install"
}

# The pid from the pid file when that process is alive and is our Alertmanager.
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$CONFIG" || return 1
  fi
  printf '%s\n' "$pid"
}

ready() { curl -fsS --max-time 2 "$URL/-/ready" >/dev/null 2>&1; }

write_config() {
  mkdir -p "$DATA_DIR/data"
  {
    printf 'route:\n  receiver: default\n  group_by: [incident]\n  group_wait: 1s\n  group_interval: 5s\n  repeat_interval: 4h\n'
    printf 'receivers:\n  - name: default\n'
    if [[ -n "${ALERTMANAGER_WEBHOOK_URL:-}" ]]; then
      printf '    webhook_configs:\n      - url: %s\n        send_resolved: true\n' "$ALERTMANAGER_WEBHOOK_URL"
    fi
  } >"$CONFIG"
}

start() {
  local pid
  if pid="$(running_pid)"; then
    ready || die "Alertmanager pid $pid runs but $URL/-/ready does not answer (see $OUT_FILE)"
    log "already running (pid $pid)"
    printf '%s\n' "$URL"
    return 0
  fi
  ensure_binary
  write_config
  if curl -fsS --max-time 2 "$URL/-/ready" >/dev/null 2>&1; then
    die "something else already answers on $URL (not started by this script with $DATA_DIR)"
  fi
  # --cluster.listen-address= turns gossip off: one local instance, no port 9094.
  setsid "$BIN" \
    --config.file="$CONFIG" \
    --storage.path="$DATA_DIR/data" \
    --web.listen-address="127.0.0.1:$PORT" \
    --cluster.listen-address= \
    --log.level=warn \
    >"$OUT_FILE" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  local deadline=$((SECONDS + START_TIMEOUT))
  until ready; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "Alertmanager exited during startup; last lines of $OUT_FILE:"
      tail -n 20 "$OUT_FILE" >&2 || true
      rm -f "$PID_FILE"
      exit 1
    fi
    ((SECONDS < deadline)) || die "Alertmanager did not become ready on $URL within ${START_TIMEOUT}s (see $OUT_FILE)"
    sleep 0.2
  done
  log "started (pid $pid) on $URL, data in $DATA_DIR"
  printf '%s\n' "$URL"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  log "stopped (pid $pid)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if pid="$(running_pid)" && ready; then
      printf 'running %s (pid %s, data %s)\n' "$URL" "$pid" "$DATA_DIR"
    else
      printf 'stopped\n'
      exit 3
    fi
    ;;
  *)
    printf 'usage: %s start|stop|status\n' "$0" >&2
    exit 2
    ;;
esac
