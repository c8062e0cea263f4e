/**
 * The web pages (docs/web.md), served by the API server under /web/: scan, recall report,
 * offline proof check. The pages' scripts (web/client/*.ts) are bundled with esbuild when the
 * plugin is registered, into memory (no build step, nothing written to disk); the HTML and CSS in
 * web/static are served by @fastify/static; the zxing reader .wasm is served from the installed
 * package, so no page ever needs a CDN. Every page answer carries a Content-Security-Policy that
 * allows nothing but this server.
 *
 * Node-side only (node: imports are fine here); the browser code lives in web/client/.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const STATIC_ROOT = join(HERE, 'static');
const CLIENT_ROOT = join(HERE, 'client');

/** The pages' script entry points (web/client/<name>.ts → /web/assets/<name>.js). */
export const ENTRY_POINTS = ['scan', 'recall', 'proof'] as const;

/** Short page URLs → their HTML file in web/static. */
export const PAGES: Readonly<Record<string, string>> = {
  '/web/': 'index.html',
  '/web/scan': 'scan.html',
  '/web/recall': 'recall.html',
  '/web/proof': 'proof.html',
};

/**
 * Only this server: scripts, styles, the .wasm (compiled by the page: 'wasm-unsafe-eval'),
 * camera frames and uploaded images (blob:), fetches to the API. No inline script, no CDN, no fonts.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "font-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export interface WebAssets {
  /** Bundled scripts by file name (`scan.js`). */
  scripts: Map<string, Uint8Array>;
  wasm: Uint8Array;
}

/** Bundles the page scripts for the browser (ES2022 modules, minified) into memory. */
export async function bundleAssets(): Promise<WebAssets> {
  const result = await build({
    entryPoints: ENTRY_POINTS.map((name) => join(CLIENT_ROOT, `${name}.ts`)),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    outdir: '/web-assets',
    logLevel: 'silent',
    legalComments: 'none',
  });
  const scripts = new Map<string, Uint8Array>();
  for (const file of result.outputFiles) scripts.set(file.path.slice(file.path.lastIndexOf('/') + 1), file.contents);
  // The same file scanner/node.ts reads: the installed package's reader binary.
  const wasmPath = createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm');
  const wasm = new Uint8Array(await readFile(wasmPath));
  return { scripts, wasm };
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
}

/**
 * Registers the pages on an app from api/server.ts buildServer (before it listens):
 * `await app.register(webPlugin)`. Bundling takes about a second on first registration.
 */
export async function webPlugin(app: FastifyInstance, options: { assets?: WebAssets } = {}): Promise<void> {
  const assets = options.assets ?? (await bundleAssets());

  // HTML and CSS from web/static only; @fastify/static resolves inside that root and refuses '..'.
  await app.register(fastifyStatic, {
    root: STATIC_ROOT,
    prefix: '/web/',
    index: false,
    wildcard: true,
    dotfiles: 'deny',
    cacheControl: true,
    maxAge: 0,
    setHeaders: (res) => {
      res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
    },
  });

  for (const [url, file] of Object.entries(PAGES)) {
    app.get(url, { schema: { hide: true } }, (_request, reply) => securityHeaders(reply).sendFile(file));
  }
  app.get('/web', { schema: { hide: true } }, (_request, reply) => reply.redirect('/web/'));

  // Bundled scripts: looked up by exact name in memory, so no path ever reaches the filesystem.
  app.get<{ Params: { name: string } }>('/web/assets/:name', { schema: { hide: true } }, (request, reply) => {
    const name = request.params.name;
    if (name === 'zxing_reader.wasm') {
      return securityHeaders(reply).type('application/wasm').header('cache-control', 'public, max-age=86400').send(Buffer.from(assets.wasm));
    }
    const script = assets.scripts.get(name);
    if (!script) return reply.callNotFound();
    return securityHeaders(reply).type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(Buffer.from(script));
  });
}
