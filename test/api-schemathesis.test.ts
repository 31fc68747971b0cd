/**
 * Schemathesis (from PyPI) against the API's own /openapi.json, over HTTP: scripts/schemathesis.sh
 * starts the real API on a store seeded with the test fixture, with an all-tenant and a tenant token,
 * and runs `st run` once per token with a fixed number of examples per operation and a fixed seed.
 * Any 5xx, undocumented status, wrong content type or answer outside the schema fails it, and so
 * does an error in the server's log. .ci/run installs schemathesis (`scripts/schemathesis.sh
 * install`); without it this file is skipped, saying so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './support/kafka.js';

const st = process.env.ST ?? join(REPO_ROOT, '.local', 'schemathesis-venv', 'bin', 'st');
const MAX_EXAMPLES = process.env.SCHEMATHESIS_MAX_EXAMPLES ?? '25';
const missing = existsSync(st) ? false : `schemathesis is not installed (${st}); run: bash scripts/schemathesis.sh install`;

test(`schemathesis: no 5xx and every answer as documented, ${MAX_EXAMPLES} examples per operation, both tokens`, { skip: missing, timeout: 900_000 }, async () => {
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn('bash', [join(REPO_ROOT, 'scripts', 'schemathesis.sh')], {
      cwd: REPO_ROOT,
      env: { ...process.env, ST: st, MAX_EXAMPLES },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (text += d.toString('utf8')));
    child.on('close', (exitCode) => resolve({ code: exitCode, output: text }));
  });
  const runs = [...output.matchAll(/^schemathesis (admin|tenant): operations=(\d+) status=(\d+)$/gm)].map((m) => ({ who: m[1], operations: Number(m[2]) }));
  const cases = [...output.matchAll(/^\s*(\d+) generated, (.*)$/gm)].map((m) => `${m[1]} generated, ${m[2]}`);
  console.log(`schemathesis: ${JSON.stringify(runs)}; test cases per run: ${JSON.stringify(cases)}`);
  assert.equal(code, 0, `schemathesis found problems:\n${output.slice(-30_000)}`);
  assert.deepEqual(runs.map((r) => r.who), ['admin', 'tenant'], 'one run per token');
  assert.ok(runs.every((r) => r.operations >= 6), `every /v1 operation tested: ${JSON.stringify(runs)}`);
});
