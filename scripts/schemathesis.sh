#!/usr/bin/env bash
# Property-based run of the query API from its own OpenAPI document (schemathesis, from PyPI):
# starts the API on a fresh embedded store loaded with the test fixture (test/support/fixture.ts),
# listening on loopback with two API tokens (all tenants; tenant t-alpha), and runs `st run` once per
# token with the checks for server errors (and, by default, schema conformance of the answers).
# Exit status: non-zero when any run failed or the server logged an error.
#
#   scripts/schemathesis.sh                      # default: 200 examples per operation, seed 20261127
#   MAX_EXAMPLES=50 scripts/schemathesis.sh      # quicker (CI: test/api-schemathesis.test.ts)
#   CHECKS=not_a_server_error scripts/schemathesis.sh
#
# Schemathesis (pinned below) is installed into .local/schemathesis-venv on first use, or by
# `scripts/schemathesis.sh install` (.ci/run); ST=/path/to/st uses another.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MAX_EXAMPLES=${MAX_EXAMPLES:-200}
CHECKS=${CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance}
ST=${ST:-}
SCHEMATHESIS_VERSION=4.32.5
VENV="$ROOT/.local/schemathesis-venv"
install() {
  if [[ ! -x "$VENV/bin/st" ]] || ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    python3 -m venv --clear "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
}
if [[ "${1:-}" == install ]]; then
  install
  "$VENV/bin/st" --version
  exit 0
fi
if [[ -z "$ST" ]]; then
  install
  ST="$VENV/bin/st"
fi

mkdir -p "$ROOT/.local"
WORK=$(mktemp -d "$ROOT/.local/schemathesis.XXXXXX")
SERVER_PID=
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Tokens of this run only: one for all tenants, one for the fixture's tenant t-alpha.
ADMIN_TOKEN="admin-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
TENANT_TOKEN="tenant-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
export SCHEMATHESIS_API_TOKENS="[{\"token\":\"$ADMIN_TOKEN\"},{\"token\":\"$TENANT_TOKEN\",\"tenant\":\"t-alpha\"}]"

# The API on the fixture: rate limit and overload shedding off (schemathesis is one client sending many requests).
node --conditions=source --import tsx --input-type=module -e "
import { buildApi } from '@csbs-errors/api';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import { createStoreClient, parseStoreUrl, migrate, applyRetention } from '@csbs-errors/store';
import { loadFixture } from './test/support/fixture.ts';
const client = createStoreClient(parseStoreUrl('chdb://$WORK/store'));
await migrate(client);
await applyRetention(client, 0);
await loadFixture(client);
const app = await buildApi({ store: client, registry: createMetricsRegistry(), logger: createLogger('warn'), tokens: JSON.parse(process.env.SCHEMATHESIS_API_TOKENS), pressure: false, rateLimit: false, now: () => Date.UTC(2026, 10, 19, 12) });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write('listening ' + address + '\n');
const stop = async () => { await app.close(); await client.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

URL=
for _ in $(seq 1 120); do
  URL=$(sed -n 's/^listening \(http:[^ ]*\)$/\1/p' "$WORK/server.log")
  [[ -n "$URL" ]] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/server.log" >&2; exit 1; fi
  sleep 0.5
done
[[ -n "$URL" ]] || { echo "the API did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }
echo "API on $URL (fixture store); running schemathesis with $CHECKS, $MAX_EXAMPLES examples per operation" >&2

status=0
# Once per token: the all-tenant one and the tenant one (which meets 403 for other tenants).
# From the scratch directory: schemathesis would keep an example database in ./.schemathesis; with
# none, a fixed seed and one worker, the same cases are sent every run.
for who in admin tenant; do
  token=$ADMIN_TOKEN
  [[ $who == tenant ]] && token=$TENANT_TOKEN
  echo "== schemathesis with the $who token" >&2
  (cd "$WORK" && "$ST" run "$URL/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks "$CHECKS" \
    --max-examples "$MAX_EXAMPLES" \
    --seed "${SEED:-20261127}" \
    --workers 1 \
    --generation-database none \
    --request-timeout 30 \
    --report junit --report-junit-path "$WORK/junit-$who.xml" \
    --no-color \
    --warnings off) \
    || status=$?
  if [[ -f "$WORK/junit-$who.xml" ]]; then
    # One line per run for whoever calls us (test/api-schemathesis.test.ts reads it).
    tests=$(sed -n 's/.*<testsuites[^>]* tests="\([0-9]*\)".*/\1/p' "$WORK/junit-$who.xml" | head -n 1)
    echo "schemathesis $who: operations=${tests:-?} status=$status" >&2
  fi
done
if grep -q '"level":50' "$WORK/server.log"; then
  echo "server errors were logged:" >&2
  grep '"level":50' "$WORK/server.log" | head -20 >&2
  status=1
fi
exit $status
