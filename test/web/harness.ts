/**
 * For the browser tests: the demo supply chain in a temporary ledger, served by the real API
 * server with the web pages, and Debian's Chromium driven by playwright-core in a fresh profile.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext } from 'playwright-core';
import { buildServer } from '../../api/server.ts';
import { issueToken } from '../../api/auth.ts';
import { webPlugin } from '../../web/plugin.ts';
import { runDemo, type DemoResult } from '../../trace/demo.ts';

export const CHROMIUM = process.env.DRUGTRACE_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'web');

/** The flags the browser tests run Chromium with: headless, no network of its own, nothing synced. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Site {
  dir: string;
  dbFile: string;
  demo: DemoResult;
  keys: Map<string, { party: string; keyId: string; secretKey: Uint8Array }>;
  app: FastifyInstance;
  base: string;
  tokens: { admin: string; regulator: string; manufacturer: string };
  browser: BrowserContext;
  close(): Promise<void>;
}

export async function startSite(): Promise<Site> {
  const dir = mkdtempSync(join(tmpdir(), 'drugtrace-web-'));
  const dbFile = join(dir, 'demo.db');
  const keys: Site['keys'] = new Map();
  const demo = runDemo(dbFile, { onPartyKey: (k) => keys.set(k.party, k) });
  const app = await buildServer({ dbFile });
  await app.register(webPlugin);
  const base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  const db = app.drugtrace.db;
  const tokens = {
    admin: issueToken(db, { party: 'operator', role: 'admin' }).token,
    regulator: issueToken(db, { party: 'nmpa', role: 'regulator' }).token,
    manufacturer: issueToken(db, { party: 'mah-huaxin', role: 'manufacturer' }).token,
  };
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = join(dir, 'chromium-profile');
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1200, height: 900 },
    acceptDownloads: true,
  });
  return {
    dir,
    dbFile,
    demo,
    keys,
    app,
    base,
    tokens,
    browser,
    async close() {
      await browser.close().catch(() => {});
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** GET a JSON route of the site with a token, for the expectations. */
export async function apiJson<T>(site: Site, path: string, token?: string): Promise<T> {
  const res = await fetch(site.base + path, { headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
