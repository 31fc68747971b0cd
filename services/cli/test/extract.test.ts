/** End to end: `csbs-errors extract` run as a process through the command dispatcher. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = new URL('../../../../shared/samples/', import.meta.url);
const samplePath = fileURLToPath(new URL('gateway-records.ndjson', fixtures));
const sample = readFileSync(samplePath);
const expectedLines = readFileSync(new URL('expected-events.ndjson', fixtures), 'utf8')
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => JSON.parse(line) as { line: number; events: Array<Record<string, unknown>> });

const dir = mkdtempSync(join(tmpdir(), 'cli-extract-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const DISPATCH = "import('./services/cli/src/main.ts').then(async (cli) => { process.exitCode = await cli.main(process.argv.slice(1)); })";

function csbsErrors(args: string[], stdin?: Buffer | string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '-e', DISPATCH, '--', ...args], { cwd: root });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(stdin);
  });
}

const outputLines = (run: Run) => run.stdout.split('\n').filter((line) => line !== '');

/** The expected stdout for the sample: every expected event led by its line number. */
function expectedEvents(): Array<Record<string, unknown>> {
  return expectedLines.flatMap(({ line, events }) => events.map((event) => ({ line, ...event })));
}

function withoutCatalogText(line: string): Record<string, unknown> {
  const { description: _description, solution: _solution, latency_ms, ...rest } = JSON.parse(line) as Record<string, unknown>;
  return { ...rest, latency_ms };
}

const SAMPLE_SUMMARY = /lines +400\n +events +208\n +requests +450\n +skipped +44 +\(other_service 44\)\n +dead +4 +\(invalid_json 1, not_an_object 3\)\n/;

describe('csbs-errors extract', () => {
  it('prints the sample events as NDJSON, line first, and a summary on stderr', async () => {
    const run = await csbsErrors(['extract', samplePath]);
    assert.equal(run.code, 0, run.stderr);
    const lines = outputLines(run);
    assert.equal(lines.length, 208);
    assert.deepEqual(lines.map(withoutCatalogText), expectedEvents());
    for (const line of lines) {
      const keys = Object.keys(JSON.parse(line) as object);
      assert.equal(keys[0], 'line');
      assert.deepEqual(keys.slice(14, 18), ['unused', 'description', 'solution', 'params']);
    }
    assert.match(run.stderr, SAMPLE_SUMMARY);
  });

  it('reads gzip by its magic bytes, whatever the file name', async () => {
    const gz = gzipSync(sample);
    const named = join(dir, 'records.ndjson.gz');
    const unnamed = join(dir, 'records.log');
    writeFileSync(named, gz);
    writeFileSync(unnamed, gz);
    const plain = await csbsErrors(['extract', samplePath]);
    for (const path of [named, unnamed]) {
      const run = await csbsErrors(['extract', path]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, plain.stdout);
      assert.match(run.stderr, SAMPLE_SUMMARY);
    }
    // A plain file named .gz is read as plain.
    const misnamed = join(dir, 'plain.gz');
    copyFileSync(samplePath, misnamed);
    assert.equal((await csbsErrors(['extract', misnamed])).stdout, plain.stdout);
  });

  it('reads stdin with "-" or without a file, plain or gzip', async () => {
    const plain = await csbsErrors(['extract', samplePath]);
    for (const [args, input] of [
      [['extract', '-'], sample],
      [['extract'], sample],
      [['extract', '-'], gzipSync(sample)],
    ] as const) {
      const run = await csbsErrors([...args], input);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, plain.stdout);
    }
  });

  it('numbers lines per file; a missing file is reported, the others still read, exit non-zero', async () => {
    const small = join(dir, 'small.ndjson');
    const event = '{"time":1795827383,"method":"GET","path":"/v1/p/plans","status":500,"upstream_cluster":"csbs"}';
    writeFileSync(small, `\n${event}\n`);
    const missing = join(dir, 'missing.ndjson');
    const run = await csbsErrors(['extract', small, missing, small]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`csbs-errors extract: cannot read ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`));
    assert.deepEqual(
      outputLines(run).map((line) => (JSON.parse(line) as { line: number; code: string }).line),
      [2, 2],
    );
    assert.match(run.stderr, /lines +4\n +events +2\n +requests +2\n +skipped +0\n +dead +2 +\(empty 2\)\n/);
    const directory = await csbsErrors(['extract', dir]);
    assert.equal(directory.code, 1);
    assert.match(directory.stderr, /cannot read .*: EISDIR/);
    const corrupt = join(dir, 'corrupt.gz');
    writeFileSync(corrupt, Buffer.concat([gzipSync(sample).subarray(0, 2000), Buffer.from('garbage')]));
    const broken = await csbsErrors(['extract', corrupt]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /cannot read .*corrupt\.gz: /);
  });

  it('passes lines as bytes: invalid UTF-8 is counted, CRLF and a last line without newline are read', async () => {
    const record = (status: number) => `{"time":1795827383,"method":"GET","path":"/v1/p/plans","status":${status},"upstream_cluster":"csbs"}`;
    const input = Buffer.concat([
      Buffer.from(`${record(500)}\r\n`),
      Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d, 0x0a]),
      Buffer.from(`${record(200)}\n`),
      Buffer.from(record(404)),
    ]);
    const run = await csbsErrors(['extract'], input);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      outputLines(run).map((line) => {
        const event = JSON.parse(line) as { line: number; code: string };
        return [event.line, event.code];
      }),
      [
        [1, 'HTTP.500'],
        [4, 'HTTP.404'],
      ],
    );
    assert.match(run.stderr, /lines +4\n +events +2\n +requests +3\n +skipped +0\n +dead +1 +\(invalid_utf8 1\)\n/);
  });

  it('--max-message-bytes: longer lines are dead (too_large) without being kept whole; the next lines still count', async () => {
    const record = '{"time":1795827383,"method":"GET","path":"/v1/p/plans","status":500,"upstream_cluster":"csbs"}';
    const huge = `{"pad":"${'x'.repeat(3 * 1024 * 1024)}"}`;
    const run = await csbsErrors(['extract', '--max-message-bytes', '1048576'], `${huge}\n${record}\n`);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(outputLines(run).map((line) => (JSON.parse(line) as { line: number }).line), [2]);
    assert.match(run.stderr, /dead +1 +\(too_large 1\)/);
  });

  it('--format forces a format', async () => {
    const run = await csbsErrors(['extract', '--format', 'kong', samplePath]);
    assert.equal(run.code, 0, run.stderr);
    const gateways = new Set(outputLines(run).map((line) => (JSON.parse(line) as { gateway: string }).gateway));
    assert.deepEqual([...gateways], ['kong']);
    assert.match(run.stderr, /missing_fields \d+/);
  });

  it('rejects bad options with exit 2 and says why; --help prints the usage', async () => {
    const badNumber = await csbsErrors(['extract', '--max-message-bytes', 'lots']);
    assert.equal(badNumber.code, 2);
    assert.match(badNumber.stderr, /--max-message-bytes: /);
    const badFormat = await csbsErrors(['extract', '--format', 'nginx']);
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /--format: .*"auto"/);
    const unknown = await csbsErrors(['extract', '--nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--nope'/);
    const help = await csbsErrors(['extract', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: csbs-errors extract/);
  });

  it('keeps every event of a large input through a pipe (backpressure)', async () => {
    const lines = 60_000;
    const record = (i: number) =>
      `{"time":${1_795_827_383 + i},"method":"GET","path":"/v1/p/plans/${i}","status":503,"upstream_cluster":"csbs","resp_body":"{\\"error_code\\":\\"CSBS.9999\\",\\"error_msg\\":\\"step ${i} failed\\"}"}`;
    const input = `${Array.from({ length: lines }, (_, i) => record(i)).join('\n')}\n`;
    const run = await csbsErrors(['extract'], input);
    assert.equal(run.code, 0, run.stderr);
    const output = outputLines(run);
    assert.equal(output.length, lines);
    const last = JSON.parse(output.at(-1) ?? '{}') as { line: number; params: string[] };
    assert.deepEqual([last.line, last.params], [lines, [`step ${lines - 1}`]]);
  });

  it('stops quietly when the reader of its output goes away', async () => {
    const input = sample.toString().repeat(50);
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '-e', DISPATCH, '--', 'extract'], { cwd: root });
      child.on('error', reject);
      child.stdout.once('data', () => child.stdout.destroy());
      child.stdin.on('error', () => undefined); // the child may stop reading before all input is written
      child.on('close', resolve);
      child.stdin.end(input);
    });
    assert.equal(code, 0);
  });
});
