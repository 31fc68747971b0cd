#!/usr/bin/env node
// Bundles the dashboard's browser sources (web/) with esbuild into static assets:
//   dist/www/index.html                  the page, pointing at the hashed files below
//   dist/www/assets/app-<hash>.js|.css   one script and one stylesheet (uPlot included), minified
//   dist/www/assets/favicon.svg
// each with precompressed .br and .gz twins, so that the server never compresses at request time.
// Usage: node scripts/build.mjs [--outdir DIR] [--watch] [--no-minify]
import { mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';
import * as esbuild from 'esbuild';

const packageDir = resolve(import.meta.dirname, '..');
const webDir = join(packageDir, 'web');

function option(name) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** Builds into `outdir` (default dist/www); resolves with the asset names and sizes. */
export async function buildDashboard({ outdir = join(packageDir, 'dist', 'www'), minify = true, watch = false } = {}) {
  const assetsDir = join(outdir, 'assets');
  const options = {
    entryPoints: { app: join(webDir, 'main.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    minify,
    sourcemap: 'linked',
    legalComments: 'eof',
    entryNames: '[name]-[hash]',
    outdir: assetsDir,
    metafile: true,
    logLevel: 'warning',
    charset: 'utf8',
    define: { 'process.env.NODE_ENV': '"production"' },
  };
  const finish = (result) => {
    const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
    const js = outputs.find((n) => n.endsWith('.js'));
    const css = outputs.find((n) => n.endsWith('.css'));
    if (!js || !css) throw new Error(`dashboard build: expected one .js and one .css, got ${outputs.join(', ')}`);
    copyFileSync(join(webDir, 'favicon.svg'), join(assetsDir, 'favicon.svg'));
    const html = readFileSync(join(webDir, 'index.html'), 'utf8').replaceAll('%APP_JS%', `/assets/${js}`).replaceAll('%APP_CSS%', `/assets/${css}`);
    writeFileSync(join(outdir, 'index.html'), html);
    const sizes = {};
    for (const name of readdirSync(assetsDir)) {
      if (!/\.(js|css|svg)$/.test(name)) continue;
      const body = readFileSync(join(assetsDir, name));
      const br = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
      const gz = gzipSync(body, { level: 9 });
      writeFileSync(join(assetsDir, `${name}.br`), br);
      writeFileSync(join(assetsDir, `${name}.gz`), gz);
      sizes[name] = { bytes: body.length, gzip: gz.length, br: br.length };
    }
    return { outdir, js, css, sizes };
  };

  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(assetsDir, { recursive: true });
  if (!watch) return finish(await esbuild.build(options));

  const ctx = await esbuild.context({
    ...options,
    plugins: [
      {
        name: 'index-html',
        setup(build) {
          build.onEnd((result) => {
            if (result.errors.length > 0) return;
            // Drop the previous build's hashed files, keep the new ones.
            const keep = new Set(Object.keys(result.metafile.outputs).map((p) => basename(p)));
            for (const name of readdirSync(assetsDir)) {
              const base = name.replace(/\.(br|gz)$/, '');
              if (/-[A-Z0-9]{8,}\./.test(base) && !keep.has(base) && statSync(join(assetsDir, name)).isFile()) rmSync(join(assetsDir, name));
            }
            const { js, css } = finish(result);
            console.log(`dashboard rebuilt: ${js}, ${css}`);
          });
        },
      },
    ],
  });
  await ctx.watch();
  return ctx;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const outdir = option('--outdir');
  const watch = process.argv.includes('--watch');
  const result = await buildDashboard({ ...(outdir ? { outdir: resolve(outdir) } : {}), minify: !process.argv.includes('--no-minify'), watch });
  if (!watch) {
    const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
    for (const [name, s] of Object.entries(result.sizes)) console.log(`  ${name.padEnd(28)} ${kb(s.bytes).padStart(9)}  gzip ${kb(s.gzip).padStart(8)}  br ${kb(s.br).padStart(8)}`);
    console.log(`dashboard built into ${result.outdir}`);
  }
}
