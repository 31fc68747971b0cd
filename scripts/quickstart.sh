#!/usr/bin/env bash
# The quick start's first command: install, build, start a local Kafka broker and run `serve`
# (ingest + API on the embedded ClickHouse engine) in the foreground. Ctrl-C stops serve; the broker
# keeps running for the tests (`bash scripts/kafka-local.sh stop` stops it).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
KAFKA_BROKERS="${KAFKA_BROKERS:-$(bash scripts/kafka-local.sh start | tail -n 1)}"
export KAFKA_BROKERS
echo "Kafka at $KAFKA_BROKERS; topic ${KAFKA_TOPIC:-gateway-logs}; store ${CLICKHOUSE_URL:-chdb://./data/clickhouse}"
exec node services/cli/bin/csbs-errors.js serve
