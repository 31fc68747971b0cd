#!/usr/bin/env bash
# The quick start's first command: install, build, start a local Kafka broker, feed it demo gateway
# traffic and run `serve` (ingest + API + dashboard + alerter on the embedded ClickHouse engine) in
# the foreground. The demo has a CSBS.9999 spike from minute 11 to 15, so that an alert fires (the
# detector first needs 10 minutes of history). Ctrl-C stops serve and the demo; the broker keeps running for the tests (`bash scripts/kafka-local.sh stop` stops it).
# QUICKSTART_DEMO=0 skips the demo traffic.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
KAFKA_BROKERS="${KAFKA_BROKERS:-$(bash scripts/kafka-local.sh start | tail -n 1)}"
export KAFKA_BROKERS
echo "Kafka at $KAFKA_BROKERS; topic ${KAFKA_TOPIC:-gateway-logs}; store ${CLICKHOUSE_URL:-chdb://./data/clickhouse}"

if [ "${QUICKSTART_DEMO:-1}" != 0 ]; then
  node services/cli/bin/csbs-errors.js demo --rate 40 --spike-at 11m --spike-for 4m --spike-factor 15 &
  demo_pid=$!
  trap 'kill "$demo_pid" 2>/dev/null || true' EXIT
  echo "demo traffic: 40 records/s, a CSBS.9999 spike from minute 11 to minute 15"
fi
node services/cli/bin/csbs-errors.js serve
