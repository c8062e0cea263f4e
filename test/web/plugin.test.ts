/**
 * web/plugin.ts over real HTTP: the pages, the bundled scripts and the zxing .wasm come from this
 * server with a strict Content-Security-Policy; nothing outside web/static is reachable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../api/server.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { CONTENT_SECURITY_POLICY, ENTRY_POINTS, PAGES, webPlugin } from '../../web/plugin.ts';

let dir: string;
let app: FastifyInstance;
let port: number;

/** A GET with the path sent exactly as written (fetch would normalise `..` away). */
function rawGet(path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-web-plugin-'));
  const dbFile = join(dir, 'ledger.db');
  Ledger.init(dbFile, { origin: 'drugtrace.example/web-test' }).close();
  app = await buildServer({ dbFile });
  await app.register(webPlugin);
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('web plugin', () => {
  it('serves every page as HTML with a CSP that allows only this server', async () => {
    for (const path of Object.keys(PAGES)) {
      const r = await rawGet(path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      const html = r.body.toString('utf8');
      expect(html).toContain('<main id="main">');
      // No script, stylesheet or font from anywhere else.
      expect(html).not.toMatch(/(src|href)="https?:/);
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'self'");
  });

  it('serves each bundled page script, with no node: import in it', async () => {
    for (const name of ENTRY_POINTS) {
      const r = await rawGet(`/web/assets/${name}.js`);
      expect(r.status, name).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/javascript/);
      const js = r.body.toString('utf8');
      expect(js.length).toBeGreaterThan(1000);
      expect(js).not.toMatch(/["']node:/);
    }
  });

  it('serves the zxing reader .wasm itself, so the scanner never reaches a CDN', async () => {
    const r = await rawGet('/web/assets/zxing_reader.wasm');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/wasm');
    expect([...r.body.subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]); // "\0asm"
  });

  it('serves the stylesheet from web/static', async () => {
    const r = await rawGet('/web/style.css');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/css/);
  });

  it.each([
    '/web/../package.json',
    '/web/..%2f..%2fpackage.json',
    '/web/%2e%2e/%2e%2e/package.json',
    '/web/%2e%2e%2fplugin.ts',
    '/web/assets/..%2f..%2fpackage.json',
    '/web/assets/..%2fplugin.ts',
    '/web/client/scan.ts',
    '/web/plugin.ts',
    '/web/static/../plugin.ts',
    '/web/assets/unknown.js',
  ])('never serves a file outside web/static: %s', async (path) => {
    const r = await rawGet(path);
    expect(r.status).toBeGreaterThanOrEqual(400);
    const body = r.body.toString('utf8');
    expect(body).not.toContain('"name": "drugtrace"');
    expect(body).not.toContain('webPlugin');
  });

  it('keeps the API routes working beside the pages', async () => {
    const r = await rawGet('/health');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString('utf8'))).toMatchObject({ ok: true, origin: 'drugtrace.example/web-test' });
  });
});
