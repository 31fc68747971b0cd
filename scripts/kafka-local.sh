#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, combined broker+controller) on loopback,
# for tests, CI and the quick start. No Docker needed: the broker jars come from Maven Central
# (tools/kafka/pom.xml pins the version) and run on the local JRE.
#
#   scripts/kafka-local.sh start    start (or find running) broker; last stdout line = bootstrap address
#   scripts/kafka-local.sh stop     stop the broker of this port/data dir (SIGTERM, then SIGKILL)
#   scripts/kafka-local.sh status   "running <address>" (exit 0) or "stopped" (exit 3)
#   scripts/kafka-local.sh kill     crash the broker of this port/data dir (SIGKILL, no controlled shutdown)
#   scripts/kafka-local.sh fetch    only fetch the broker jars into the cache
#
# Environment (all optional, see docs/kafka.md):
#   KAFKA_PORT             client (PLAINTEXT) port on 127.0.0.1            default 9092
#   KAFKA_CONTROLLER_PORT  KRaft controller port on 127.0.0.1             default KAFKA_PORT+1000
#   KAFKA_DATA_DIR         data, config, logs, pid file                    default <repo>/.local/kafka-<KAFKA_PORT>
#   KAFKA_JARS_DIR         broker jar cache                                default <repo>/.local/kafka-jars/<version>
#   KAFKA_VERSION          override the version pinned in tools/kafka/pom.xml
#   KAFKA_HEAP_OPTS        default "-Xms128m -Xmx512m"
#   KAFKA_JVM_OPTS         extra JVM options
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to answer        default 90
#   KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL    default 30
#   JAVA_HOME              use $JAVA_HOME/bin/java instead of java on PATH
# One node of a multi-node cluster (scripts/kafka-cluster.sh sets these):
#   KAFKA_NODE_ID          node.id                                         default 1
#   KAFKA_QUORUM_VOTERS    controller.quorum.voters                        default <node id>@127.0.0.1:<controller port>
#   KAFKA_CLUSTER_ID       cluster id for the first format                 default a new random one
#   KAFKA_REPLICATION_FACTOR   default and internal topics' replication    default 1
#   KAFKA_MIN_INSYNC_REPLICAS  min.insync.replicas (also of the transaction log) default 1
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/tools/kafka/pom.xml"
LOG4J2_CONFIG="$ROOT/tools/kafka/log4j2.properties"

log() { printf 'kafka-local: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

PORT="${KAFKA_PORT:-9092}"
is_uint "$PORT" && ((PORT > 0 && PORT <= 65535)) || die "KAFKA_PORT must be a port number, got '$PORT'"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1000))}"
is_uint "$CONTROLLER_PORT" && ((CONTROLLER_PORT > 0 && CONTROLLER_PORT <= 65535)) ||
  die "controller port '$CONTROLLER_PORT' is not a valid port (set KAFKA_CONTROLLER_PORT explicitly)"
((CONTROLLER_PORT != PORT)) || die "KAFKA_CONTROLLER_PORT must differ from KAFKA_PORT"
ADDRESS="127.0.0.1:$PORT"

NODE_ID="${KAFKA_NODE_ID:-1}"
is_uint "$NODE_ID" || die "KAFKA_NODE_ID must be a whole number, got '$NODE_ID'"
QUORUM_VOTERS="${KAFKA_QUORUM_VOTERS:-$NODE_ID@127.0.0.1:$CONTROLLER_PORT}"
REPLICATION="${KAFKA_REPLICATION_FACTOR:-1}"
MIN_ISR="${KAFKA_MIN_INSYNC_REPLICAS:-1}"
is_uint "$REPLICATION" && ((REPLICATION >= 1)) || die "KAFKA_REPLICATION_FACTOR must be 1 or more, got '$REPLICATION'"
is_uint "$MIN_ISR" && ((MIN_ISR >= 1 && MIN_ISR <= REPLICATION)) ||
  die "KAFKA_MIN_INSYNC_REPLICAS must be between 1 and KAFKA_REPLICATION_FACTOR, got '$MIN_ISR'"

DATA_DIR="${KAFKA_DATA_DIR:-$ROOT/.local/kafka-$PORT}"
PID_FILE="$DATA_DIR/kafka.pid"
LOCK_FILE="$DATA_DIR/.lock"
CONFIG="$DATA_DIR/server.properties"
LOG_DIRS="$DATA_DIR/kraft-logs"
APP_LOG_DIR="$DATA_DIR/logs"
OUT_FILE="$DATA_DIR/kafka.out"
CLUSTER_ID_FILE="$DATA_DIR/cluster.id"

START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
is_uint "$START_TIMEOUT" || die "KAFKA_START_TIMEOUT must be whole seconds"
is_uint "$STOP_TIMEOUT" || die "KAFKA_STOP_TIMEOUT must be whole seconds"

pinned_version() {
  sed -n 's:.*<kafka\.version>\([^<]*\)</kafka\.version>.*:\1:p' "$POM" | head -n 1
}
VERSION="${KAFKA_VERSION:-$(pinned_version)}"
[[ -n "$VERSION" ]] || die "no <kafka.version> in $POM"
JARS_DIR="${KAFKA_JARS_DIR:-$ROOT/.local/kafka-jars/$VERSION}"
JARS_MARKER="$JARS_DIR/.kafka-jars-$VERSION.ok"

# ---------------------------------------------------------------------------------------------
# prerequisites

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    printf '%s\n' "$JAVA_HOME/bin/java"
  else
    command -v java || true
  fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "$* missing and apt-get unavailable: install it by hand"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 || die "$* missing; run as root or install it by hand"
    sudo=(sudo)
  fi
  log "installing $* with apt-get"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2
}

ensure_java() {
  JAVA="$(java_bin)"
  if [[ -z "$JAVA" ]]; then
    apt_install openjdk-17-jre-headless
    JAVA="$(java_bin)"
    [[ -n "$JAVA" ]] || die "java still missing after installing openjdk-17-jre-headless"
  fi
  local major
  major="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1)"
  if [[ "$major" =~ ^[0-9]+$ ]] && ((major < 17)); then
    die "$JAVA is Java $major; Kafka $VERSION needs Java 17+ (set JAVA_HOME)"
  fi
}

jars_present() {
  [[ -f "$JARS_MARKER" ]] && compgen -G "$JARS_DIR/kafka_2.13-$VERSION.jar" >/dev/null
}

fetch_jars() {
  if jars_present; then
    return 0
  fi
  mkdir -p "$JARS_DIR"
  # Brokers on other ports share this cache: one fetch at a time, and re-check after waiting.
  exec 8>"$JARS_DIR/.fetch.lock"
  flock -w 900 8 || die "could not lock $JARS_DIR/.fetch.lock"
  if jars_present; then
    exec 8>&-
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || apt_install maven
  # A cache dir holding another version's jars would put two Kafkas on one classpath.
  rm -f "$JARS_DIR"/*.jar "$JARS_DIR"/.kafka-jars-*.ok
  log "fetching Kafka $VERSION jars from Maven Central into $JARS_DIR"
  local started=$SECONDS
  # (sed: Debian's Maven 3.8 prints colour resets even in batch mode)
  mvn -B -q -Dstyle.color=never -f "$POM" -Dkafka.version="$VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$JARS_DIR" 2>&1 | sed $'s/\x1b\\[[0-9;]*m//g' >&2 ||
    die "maven could not fetch the Kafka $VERSION jars (see above)"
  compgen -G "$JARS_DIR/kafka_2.13-$VERSION.jar" >/dev/null || die "kafka_2.13-$VERSION.jar missing after fetch"
  date -u +%FT%TZ >"$JARS_MARKER"
  exec 8>&-
  log "fetched $(find "$JARS_DIR" -maxdepth 1 -name '*.jar' | wc -l) jars in $((SECONDS - started))s"
}

# ---------------------------------------------------------------------------------------------
# process helpers

# Prints the pid from the pid file when that process is alive AND is our broker (guards against
# a stale pid file whose pid was reused by something else).
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    local cmdline
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ "$cmdline" == *"$CONFIG"* ]] || return 1
  fi
  printf '%s\n' "$pid"
}

port_open() { # port
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# A real Kafka request: kafkajs admin.listTopics() (Metadata). Returns 2 when node or kafkajs is
# not available so the caller can fall back to the broker's own "started" log line.
metadata_ok() {
  command -v node >/dev/null 2>&1 || return 2
  (cd "$ROOT" && timeout 20 node -e '
    let kafkajs;
    try { kafkajs = require("kafkajs"); } catch { process.exit(2); }
    const { Kafka, logLevel } = kafkajs;
    const kafka = new Kafka({ clientId: "kafka-local-ready", brokers: [process.argv[1]],
      logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 5000, retry: { retries: 0 } });
    const admin = kafka.admin();
    admin.connect()
      .then(() => admin.listTopics())
      .then(() => admin.disconnect())
      .then(() => process.exit(0), () => process.exit(1));
  ' "$ADDRESS" >/dev/null 2>&1)
}

LOG_MARK=0 # server.log lines written before this start; only later lines count
broker_started_logged() {
  tail -n "+$((LOG_MARK + 1))" "$APP_LOG_DIR/server.log" 2>/dev/null |
    grep -E 'Kafka ?Server started' >/dev/null
}

wait_ready() { # pid
  local pid=$1 deadline=$((SECONDS + START_TIMEOUT)) rc
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "broker process $pid exited during startup; last lines of $OUT_FILE and server.log:"
      tail -n 30 "$OUT_FILE" >&2 2>/dev/null || true
      tail -n 30 "$APP_LOG_DIR/server.log" >&2 2>/dev/null || true
      return 1
    fi
    if port_open "$PORT"; then
      rc=0
      metadata_ok || rc=$?
      if ((rc == 0)); then
        return 0
      elif ((rc == 2)) && broker_started_logged; then
        return 0
      fi
    fi
    sleep 0.5
  done
  log "broker did not answer on $ADDRESS within ${START_TIMEOUT}s (see $APP_LOG_DIR/server.log)"
  return 1
}

# ---------------------------------------------------------------------------------------------
# config + storage

new_cluster_id() {
  # Kafka cluster ids are 16 random bytes in URL-safe base64 without padding (22 chars);
  # Kafka itself never hands out one starting with '-', so neither do we.
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)"
    [[ "$id" != -* ]] && break
  done
  printf '%s\n' "$id"
}

write_config() {
  cat >"$CONFIG" <<EOF
# Generated by scripts/kafka-local.sh on every start; edits are overwritten.
# KRaft, combined mode: this process is both broker and controller (of a quorum of one, or of the
# voters scripts/kafka-cluster.sh lists). Loopback only.
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$QUORUM_VOTERS
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$LOG_DIRS

# Topics: auto-create on, one partition; replicas: KAFKA_REPLICATION_FACTOR (1 on a single node).
auto.create.topics.enable=true
delete.topic.enable=true
num.partitions=1
default.replication.factor=$REPLICATION
min.insync.replicas=$MIN_ISR

# Internal topics (group offsets, transaction state): the same replication, few partitions (fast first use).
offsets.topic.replication.factor=$REPLICATION
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=$REPLICATION
transaction.state.log.min.isr=$MIN_ISR
transaction.state.log.num.partitions=5
share.coordinator.state.topic.replication.factor=$REPLICATION
share.coordinator.state.topic.min.isr=$MIN_ISR

# Consumer groups: no 3 s wait for more members before the first rebalance.
group.initial.rebalance.delay.ms=0

# Restart after a crash (SIGKILL): the new incarnation can only register once the controller has
# expired the old one's session (default 9 s); 3 s makes crash tests ~6 s faster.
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=3000

# Small test data: keep disk use and recovery short.
log.retention.hours=24
log.segment.bytes=67108864
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
}

format_storage_if_needed() {
  if [[ -f "$LOG_DIRS/meta.properties" ]]; then
    return 0
  fi
  if [[ -n "${KAFKA_CLUSTER_ID:-}" ]]; then
    printf '%s\n' "$KAFKA_CLUSTER_ID" >"$CLUSTER_ID_FILE"
  elif [[ ! -f "$CLUSTER_ID_FILE" ]]; then
    new_cluster_id >"$CLUSTER_ID_FILE"
  fi
  local cluster_id
  cluster_id="$(cat "$CLUSTER_ID_FILE")"
  log "formatting storage in $LOG_DIRS (cluster id $cluster_id)"
  "$JAVA" -Xmx256m -cp "$JARS_DIR/*" \
    -Dlog4j2.configurationFile="$LOG4J2_CONFIG" -Dkafka.logs.dir="$APP_LOG_DIR" \
    kafka.tools.StorageTool format --ignore-formatted -t "$cluster_id" -c "$CONFIG" >>"$OUT_FILE" 2>&1 ||
    { tail -n 20 "$OUT_FILE" >&2; die "storage format failed"; }
}

# ---------------------------------------------------------------------------------------------
# commands

cmd_start() {
  mkdir -p "$DATA_DIR" "$APP_LOG_DIR"
  # One start at a time per data dir (several test processes may call start at once).
  exec 9>"$LOCK_FILE"
  flock -w $((START_TIMEOUT + 120)) 9 || die "could not lock $LOCK_FILE"

  local pid
  if pid="$(running_pid)"; then
    if wait_ready "$pid"; then
      log "already running (pid $pid)"
      printf '%s\n' "$ADDRESS"
      return 0
    fi
    die "broker pid $pid is running but does not answer on $ADDRESS"
  fi
  rm -f "$PID_FILE"

  if port_open "$PORT"; then
    die "127.0.0.1:$PORT is already in use by another process (not the broker of $DATA_DIR)"
  fi
  if port_open "$CONTROLLER_PORT"; then
    die "controller port 127.0.0.1:$CONTROLLER_PORT is already in use (set KAFKA_CONTROLLER_PORT)"
  fi

  ensure_java
  fetch_jars
  write_config
  format_storage_if_needed

  local heap="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
  # shellcheck disable=SC2206  # word splitting of option strings is intended
  local jvm=($heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$LOG4J2_CONFIG" -Dkafka.logs.dir="$APP_LOG_DIR"
    ${KAFKA_JVM_OPTS:-})
  log "starting Kafka $VERSION on $ADDRESS (controller 127.0.0.1:$CONTROLLER_PORT, data $DATA_DIR)"
  local started=$SECONDS
  LOG_MARK="$( { wc -l <"$APP_LOG_DIR/server.log"; } 2>/dev/null || echo 0)"
  # setsid: own session, so the broker outlives the shell/test process that started it.
  # 8>&- 9>&-: the child must not inherit (and hold) the fetch/start locks.
  {
    echo "=== $(date -u +%FT%TZ) start"
  } >>"$OUT_FILE"
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' kafka-local "$PID_FILE" \
    "$JAVA" "${jvm[@]}" -cp "$JARS_DIR/*" kafka.Kafka "$CONFIG" \
    </dev/null >>"$OUT_FILE" 2>&1 8>&- 9>&- &
  local waited=0
  while [[ ! -s "$PID_FILE" ]] && ((waited < 50)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  pid="$(tr -dc '0-9' <"$PID_FILE" 2>/dev/null || true)"
  [[ -n "$pid" ]] || die "broker process did not start"

  if ! wait_ready "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
    die "broker failed to start"
  fi
  log "ready in $((SECONDS - started))s (pid $pid)"
  printf '%s\n' "$ADDRESS"
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    log "not running ($DATA_DIR)"
    return 0
  fi
  log "stopping broker pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still running after ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_kill() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    log "not running ($DATA_DIR)"
    return 0
  fi
  log "killing broker pid $pid (SIGKILL)"
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$PID_FILE"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    printf 'running %s (pid %s, data %s)\n' "$ADDRESS" "$pid" "$DATA_DIR"
    return 0
  fi
  printf 'stopped (%s)\n' "$DATA_DIR"
  return 3
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  kill) cmd_kill ;;
  fetch)
    fetch_jars
    printf '%s\n' "$JARS_DIR"
    ;;
  *)
    echo "usage: $0 start|stop|kill|status|fetch   (env: KAFKA_PORT, KAFKA_DATA_DIR, ... see docs/kafka.md)" >&2
    exit 2
    ;;
esac
