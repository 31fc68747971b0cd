/**
 * The built-in dashboard: serves the page at `/` and its bundled assets at `/assets/*` from the
 * files `npm run build -w @csbs-errors/dashboard` writes to `dist/www` (index.html, hashed
 * JavaScript and CSS, each with precompressed .br and .gz twins). Everything is read into memory
 * once, at registration: a few hundred kilobytes.
 *
 * The page itself carries no data and needs no token: it reads /v1 with the token the user enters
 * (kept in the browser's localStorage). Hashed assets are cached for a year, the page is revalidated
 * (ETag) on every load. A Content-Security-Policy keeps the page on this origin: no CDN, no inline
 * script.
 *
 * Register it on the API app: `await app.register(dashboardPlugin)`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';

export interface DashboardOptions {
  /** Directory with index.html and assets/ (default: this package's dist/www). */
  root?: string;
}

/** Where the build writes the assets; the same path from src/plugin.ts and from dist/plugin.js. */
export const DEFAULT_ROOT = fileURLToPath(new URL('../dist/www/', import.meta.url));

interface Asset {
  type: string;
  etag: string;
  cacheControl: string;
  body: Buffer;
  br?: Buffer;
  gzip?: Buffer;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Names the build gave a content hash (`app-ABCD1234.js`): immutable, cached for a year. */
const HASHED = /-[A-Z0-9]{8,}\.[a-z0-9]+(?:\.map)?$/;

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Kept out of /openapi.json (`hide` is read by @fastify/swagger). */
const HIDDEN = { schema: { hide: true } as FastifySchema };

const etagOf = (body: Buffer) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
const extensionOf = (name: string) => /\.[a-z0-9]+$/i.exec(name)?.[0].toLowerCase() ?? '';

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  const names = readdirSync(dir);
  for (const name of names) {
    if (name.endsWith('.br') || name.endsWith('.gz')) continue;
    const type = TYPES[extensionOf(name)];
    if (type === undefined) continue;
    const body = readFileSync(join(dir, name));
    const asset: Asset = {
      type,
      etag: etagOf(body),
      cacheControl: HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
      body,
    };
    if (names.includes(`${name}.br`)) asset.br = readFileSync(join(dir, `${name}.br`));
    if (names.includes(`${name}.gz`)) asset.gzip = readFileSync(join(dir, `${name}.gz`));
    assets.set(name, asset);
  }
  return assets;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset) {
  void reply.header('content-type', asset.type).header('cache-control', asset.cacheControl).header('etag', asset.etag).header('x-content-type-options', 'nosniff');
  if (asset.br || asset.gzip) void reply.header('vary', 'accept-encoding');
  const match = request.headers['if-none-match'];
  if (match !== undefined && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === asset.etag)) return reply.code(304).send();
  const accepted = String(request.headers['accept-encoding'] ?? '');
  if (asset.br && /\bbr\b/.test(accepted)) return reply.header('content-encoding', 'br').send(asset.br);
  if (asset.gzip && /\bgzip\b/.test(accepted)) return reply.header('content-encoding', 'gzip').send(asset.gzip);
  return reply.send(asset.body);
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>CSBS errors</title>
<p>The dashboard is not built. Run <code>npm run build</code> (or <code>npm run build -w @csbs-errors/dashboard</code>) and restart.
The API is at <a href="/docs">/docs</a>.</p></html>`;

export async function dashboardPlugin(app: FastifyInstance, options: DashboardOptions = {}): Promise<void> {
  const root = options.root ?? DEFAULT_ROOT;
  const assets = loadAssets(join(root, 'assets'));
  const template = existsSync(join(root, 'index.html')) ? readFileSync(join(root, 'index.html'), 'utf8') : undefined;
  if (template === undefined) app.log.warn({ root }, 'dashboard assets not found: run `npm run build -w @csbs-errors/dashboard`; / answers 503 until then');

  // The page learns from a meta tag which optional endpoints this server has (GET /v1/alerts comes
  // with the alerter), so that it never asks for one that is not there. Routes are all known once
  // the server is ready, so the page is rendered on its first request and kept.
  let page: Asset | undefined;
  const pageAsset = (): Asset => {
    if (page) return page;
    const features = [app.hasRoute({ method: 'GET', url: '/v1/alerts' }) ? 'alerts' : ''].filter(Boolean).join(' ');
    const body = Buffer.from((template ?? NOT_BUILT).replace('%FEATURES%', features), 'utf8');
    const rendered: Asset = { type: 'text/html; charset=utf-8', etag: etagOf(body), cacheControl: 'no-cache', body };
    if (template !== undefined) page = rendered;
    return rendered;
  };

  app.get('/', HIDDEN, async (request, reply) => {
    void reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
    if (template === undefined) return reply.code(503).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    return send(request, reply, pageAsset());
  });

  app.get('/assets/*', HIDDEN, async (request, reply) => {
    const name = (request.params as { '*'?: string })['*'] ?? '';
    const asset = assets.get(name);
    if (asset === undefined) return reply.callNotFound();
    return send(request, reply, asset);
  });

  // Browsers ask for /favicon.ico whatever the page says; answer with the page's icon.
  app.get('/favicon.ico', HIDDEN, async (request, reply) => {
    const icon = assets.get('favicon.svg');
    if (icon === undefined) return reply.callNotFound();
    return send(request, reply, icon);
  });
}

export default dashboardPlugin;
