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

/**
 * A second browser whose camera is Chromium's fake capture device playing `y4mFile` (the scan
 * page's getUserMedia path), with camera permission granted. The caller closes it.
 */
export async function launchWithCamera(site: Site, y4mFile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(join(site.dir, 'chromium-camera-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${y4mFile}`],
    viewport: { width: 800, height: 900 },
    permissions: ['camera'],
  });
}

/**
 * A still Y4M video (4:2:0, a few identical frames) of an RGBA image centred on a white frame
 * of the given even size: what the fake camera shows.
 */
export function y4mOf(image: { width: number; height: number; data: Uint8Array }, width = 640, height = 480, frames = 5): Buffer {
  const y = Buffer.alloc(width * height, 235);
  const x0 = Math.floor((width - image.width) / 2);
  const y0 = Math.floor((height - image.height) / 2);
  for (let row = 0; row < image.height; row++) {
    for (let col = 0; col < image.width; col++) {
      const i = (row * image.width + col) * 4;
      const luma = 0.299 * image.data[i] + 0.587 * image.data[i + 1] + 0.114 * image.data[i + 2];
      // BT.601 studio range: 16 (black) … 235 (white).
      y[(y0 + row) * width + x0 + col] = Math.round(16 + (luma * 219) / 255);
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`)];
  for (let f = 0; f < frames; f++) parts.push(Buffer.from('FRAME\n'), y, chroma);
  return Buffer.concat(parts);
}

/** GET a JSON route of the site with a token, for the expectations. */
export async function apiJson<T>(site: Site, path: string, token?: string): Promise<T> {
  const res = await fetch(site.base + path, { headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
