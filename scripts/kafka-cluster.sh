#!/usr/bin/env bash
# A real three-broker Apache Kafka cluster (KRaft, each node broker + controller, a quorum of three)
# on loopback, for the cluster fault tests and benchmarks. Each node is one scripts/kafka-local.sh
# broker with its own port and data dir; replication factor 3 and min.insync.replicas=2 for the
# default topics and the internal ones (group offsets, transaction state).
#
#   scripts/kafka-cluster.sh start           start (or find running) all nodes; last stdout line = bootstrap list
#   scripts/kafka-cluster.sh stop            stop all nodes (SIGTERM, then SIGKILL); data stays
#   scripts/kafka-cluster.sh status          one line per node; exit 0 when all run, 3 otherwise
#   scripts/kafka-cluster.sh brokers         the bootstrap list (127.0.0.1:29092,...)
#   scripts/kafka-cluster.sh node N start|stop|kill|status   one node (1..3): kill = SIGKILL crash
#   scripts/kafka-cluster.sh destroy         stop all nodes and delete their data
#
# Environment (all optional):
#   KAFKA_CLUSTER_PORT      client port of node 1; node N listens on +N-1   default 29092 (29092-29094)
#   KAFKA_CLUSTER_CONTROLLER_PORT  controller port of node 1, same scheme   default KAFKA_CLUSTER_PORT+100
#   KAFKA_CLUSTER_DIR       data of all nodes (node-N/ each)                  default <repo>/.local/kafka-cluster-<port>
#   and those of scripts/kafka-local.sh (KAFKA_HEAP_OPTS, KAFKA_START_TIMEOUT, ...).
# The ports stay clear of the shared single broker (9092, controller 10092).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/scripts/kafka-local.sh"
NODES=3

log() { printf 'kafka-cluster: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

BASE_PORT="${KAFKA_CLUSTER_PORT:-29092}"
[[ "$BASE_PORT" =~ ^[0-9]+$ ]] && ((BASE_PORT > 0 && BASE_PORT + NODES - 1 <= 65535)) || die "KAFKA_CLUSTER_PORT must be a port number, got '$BASE_PORT'"
BASE_CONTROLLER="${KAFKA_CLUSTER_CONTROLLER_PORT:-$((BASE_PORT + 100))}"
[[ "$BASE_CONTROLLER" =~ ^[0-9]+$ ]] && ((BASE_CONTROLLER > 0 && BASE_CONTROLLER + NODES - 1 <= 65535)) || die "bad controller port '$BASE_CONTROLLER'"
((BASE_CONTROLLER >= BASE_PORT + NODES || BASE_CONTROLLER + NODES <= BASE_PORT)) || die "the client and controller port ranges overlap"
CLUSTER_DIR="${KAFKA_CLUSTER_DIR:-$ROOT/.local/kafka-cluster-$BASE_PORT}"

port_of() { echo $((BASE_PORT + $1 - 1)); }
controller_of() { echo $((BASE_CONTROLLER + $1 - 1)); }

voters() {
  local n list=()
  for ((n = 1; n <= NODES; n++)); do list+=("$n@127.0.0.1:$(controller_of "$n")"); done
  (IFS=,; echo "${list[*]}")
}

brokers() {
  local n list=()
  for ((n = 1; n <= NODES; n++)); do list+=("127.0.0.1:$(port_of "$n")"); done
  (IFS=,; echo "${list[*]}")
}

# The cluster id is made once and given to every node's first format: they must agree on it.
cluster_id() {
  mkdir -p "$CLUSTER_DIR"
  if [[ ! -s "$CLUSTER_DIR/cluster.id" ]]; then
    local id
    while :; do
      id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)"
      [[ "$id" != -* ]] && break
    done
    printf '%s\n' "$id" >"$CLUSTER_DIR/cluster.id"
  fi
  cat "$CLUSTER_DIR/cluster.id"
}

node() { # N command
  local n=$1 command=$2
  [[ "$n" =~ ^[1-9]$ ]] && ((n <= NODES)) || die "node must be 1..$NODES, got '$n'"
  KAFKA_PORT="$(port_of "$n")" \
    KAFKA_CONTROLLER_PORT="$(controller_of "$n")" \
    KAFKA_DATA_DIR="$CLUSTER_DIR/node-$n" \
    KAFKA_NODE_ID="$n" \
    KAFKA_QUORUM_VOTERS="$(voters)" \
    KAFKA_CLUSTER_ID="$CLUSTER_ID" \
    KAFKA_REPLICATION_FACTOR=3 \
    KAFKA_MIN_INSYNC_REPLICAS=2 \
    KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx384m}" \
    bash "$LOCAL" "$command"
}

cmd_start() {
  bash "$LOCAL" fetch >/dev/null
  # All nodes at once: none answers before a majority of the controllers is up.
  local n pids=() failed=0
  for ((n = 1; n <= NODES; n++)); do
    node "$n" start >/dev/null &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  ((failed == 0)) || die "a node did not start (logs in $CLUSTER_DIR/node-*/logs)"
  log "running: $(brokers)"
  brokers
}

cmd_stop() {
  local n pids=()
  # In parallel: stopping one at a time makes each of the last ones wait for a quorum that is gone.
  for ((n = 1; n <= NODES; n++)); do
    node "$n" stop &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
}

cmd_status() {
  local n all=0
  for ((n = 1; n <= NODES; n++)); do
    printf 'node %s: ' "$n"
    node "$n" status || all=3
  done
  return $all
}

# Read (or made) here, once: the nodes are started in parallel subshells.
CLUSTER_ID="$(cluster_id)"

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  brokers) brokers ;;
  node)
    [[ $# -eq 3 ]] || die "usage: $0 node N start|stop|kill|status"
    case "$3" in start | stop | kill | status) node "$2" "$3" ;; *) die "unknown node command '$3'" ;; esac
    ;;
  destroy)
    cmd_stop
    rm -rf "$CLUSTER_DIR"
    ;;
  *)
    echo "usage: $0 start|stop|status|brokers|destroy|node N start|stop|kill|status" >&2
    exit 2
    ;;
esac
