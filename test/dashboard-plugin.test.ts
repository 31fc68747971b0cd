/**
 * The dashboard plugin without a browser: what it serves at / and /assets/*, with which headers
 * (CSP, caching, ETag, precompressed bodies), that it names the optional endpoints the server has,
 * that it answers 503 with a hint when the assets are not built, and that the page needs no token
 * while /v1 still does. The build itself (esbuild, hashed names, .br/.gz twins) runs once here.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { dashboardPlugin } from '@csbs-errors/dashboard';
import { repoRoot } from './support/cli.js';

let root: string;
let assets: string[];

before(() => {
  root = mkdtempSync(join(tmpdir(), 'csbs-dashboard-plugin-'));
  const built = spawnSync(process.execPath, [join(repoRoot, 'packages/dashboard/scripts/build.mjs'), '--outdir', root], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  assets = readdirSync(join(root, 'assets'));
});
after(() => rmSync(root, { recursive: true, force: true }));

async function appWith(options: { root: string; alerts?: boolean }): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(dashboardPlugin, { root: options.root });
  await app.register(async (v1) => {
    v1.addHook('onRequest', async (request, reply) => {
      if (request.headers.authorization !== 'Bearer secret-secret-secret') await reply.code(401).send({ title: 'Unauthorized' });
    });
    v1.get('/v1/errors/frequency', async () => ({ total: 0 }));
    if (options.alerts) v1.get('/v1/alerts', async () => ({ firing: [], recent: [] }));
  });
  await app.ready();
  return app;
}

test('the build writes one hashed script and stylesheet with .br and .gz twins, and the page points at them', () => {
  const js = assets.filter((n) => /^app-[A-Z0-9]+\.js$/.test(n));
  const css = assets.filter((n) => /^app-[A-Z0-9]+\.css$/.test(n));
  assert.equal(js.length, 1, assets.join(', '));
  assert.equal(css.length, 1, assets.join(', '));
  for (const name of [...js, ...css, 'favicon.svg']) {
    assert.ok(assets.includes(`${name}.br`), `${name}.br`);
    assert.ok(assets.includes(`${name}.gz`), `${name}.gz`);
  }
});

test('GET / serves the page with a strict CSP, revalidated by ETag; no token needed', async () => {
  const app = await appWith({ root });
  try {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe|https?:/);
    assert.match(page.body, /<script type="module" src="\/assets\/app-[A-Z0-9]+\.js"><\/script>/);
    assert.match(page.body, /<link rel="stylesheet" href="\/assets\/app-[A-Z0-9]+\.css">/);
    assert.doesNotMatch(page.body, /https?:\/\//, 'nothing from another origin');
    assert.match(page.body, /<meta name="csbs-features" content="">/);

    const again = await app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': String(page.headers.etag) } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');

    const v1 = await app.inject({ method: 'GET', url: '/v1/errors/frequency' });
    assert.equal(v1.statusCode, 401, '/v1 still needs the token');
  } finally {
    await app.close();
  }
});

test('the page names the optional endpoints the server has (alerts)', async () => {
  const app = await appWith({ root, alerts: true });
  try {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.match(page.body, /<meta name="csbs-features" content="alerts">/);
  } finally {
    await app.close();
  }
});

test('assets: immutable caching for hashed names, brotli or gzip as accepted, 304, 404 for anything else', async () => {
  const app = await appWith({ root });
  try {
    const script = assets.find((n) => /^app-[A-Z0-9]+\.js$/.test(n))!;
    const plain = await app.inject({ method: 'GET', url: `/assets/${script}` });
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers['x-content-type-options'], 'nosniff');
    assert.ok(plain.rawPayload.length > 20_000, 'uPlot and the app are in the bundle');
    assert.ok(plain.rawPayload.length < 200_000, `bundle stays small: ${plain.rawPayload.length} bytes`);

    const br = await app.inject({ method: 'GET', url: `/assets/${script}`, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers.vary, 'accept-encoding');
    assert.deepEqual(brotliDecompressSync(br.rawPayload), plain.rawPayload);

    const gz = await app.inject({ method: 'GET', url: `/assets/${script}`, headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.rawPayload), plain.rawPayload);

    const cached = await app.inject({ method: 'GET', url: `/assets/${script}`, headers: { 'if-none-match': String(plain.headers.etag) } });
    assert.equal(cached.statusCode, 304);

    const icon = await app.inject({ method: 'GET', url: '/favicon.ico' });
    assert.equal(icon.statusCode, 200);
    assert.equal(icon.headers['content-type'], 'image/svg+xml');

    for (const url of ['/assets/nope.js', '/assets/../package.json', '/assets/', `/assets/${script}.br`, '/assets/%2e%2e/index.html']) {
      const missing = await app.inject({ method: 'GET', url });
      assert.equal(missing.statusCode, 404, url);
    }
  } finally {
    await app.close();
  }
});

test('without built assets, / answers 503 with a hint and the server still starts', async () => {
  const emptyRoot = mkdtempSync(join(tmpdir(), 'csbs-dashboard-empty-'));
  const app = await appWith({ root: emptyRoot });
  try {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 503);
    assert.match(page.body, /npm run build/);
    assert.equal((await app.inject({ method: 'GET', url: '/assets/app.js' })).statusCode, 404);
  } finally {
    await app.close();
    rmSync(emptyRoot, { recursive: true, force: true });
  }
});
