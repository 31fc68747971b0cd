#!/usr/bin/env bash
# Property-based run of the query API from its own OpenAPI document (schemathesis, from PyPI):
# starts the API on a fresh embedded store loaded with the test fixture (test/support/fixture.ts),
# listening on loopback, and runs `st run` with the checks for server errors (and, by default,
# schema conformance of the answers). Exit status: schemathesis's.
#
#   scripts/schemathesis.sh                      # default: 200 examples per operation
#   MAX_EXAMPLES=50 scripts/schemathesis.sh      # quicker
#   CHECKS=not_a_server_error scripts/schemathesis.sh
#
# Schemathesis is installed into .local/schemathesis-venv on first use (ST=/path/to/st to use another).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MAX_EXAMPLES=${MAX_EXAMPLES:-200}
CHECKS=${CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance}
ST=${ST:-}
if [[ -z "$ST" ]]; then
  VENV="$ROOT/.local/schemathesis-venv"
  if [[ ! -x "$VENV/bin/st" ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet 'schemathesis==4.32.5'
  fi
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

# The API on the fixture: rate limit off (schemathesis is one client sending many requests).
node --conditions=source --import tsx --input-type=module -e "
import { buildApi } from '@csbs-errors/api';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import { createStoreClient, parseStoreUrl, migrate, applyRetention } from '@csbs-errors/store';
import { loadFixture } from './test/support/fixture.ts';
const client = createStoreClient(parseStoreUrl('chdb://$WORK/store'));
await migrate(client);
await applyRetention(client, 0);
await loadFixture(client);
const app = await buildApi({ store: client, registry: createMetricsRegistry(), logger: createLogger('warn'), rateLimit: false, now: () => Date.UTC(2026, 10, 19, 12) });
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
# From the scratch directory: schemathesis keeps its example database in ./.schemathesis.
(cd "$WORK" && "$ST" run "$URL/openapi.json" \
  --checks "$CHECKS" \
  --max-examples "$MAX_EXAMPLES" \
  --seed "${SEED:-20261127}" \
  --request-timeout 30 \
  --warnings off) \
  || status=$?
if grep -q '"level":50' "$WORK/server.log"; then
  echo "server errors were logged:" >&2
  grep '"level":50' "$WORK/server.log" | head -20 >&2
  status=1
fi
exit $status
