/**
 * `drugtrace serve` as a real process: it prints where it listens and, on a fresh database, an
 * admin token once; SIGTERM stops it cleanly (exit 0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '../../ledger/ledger.ts';
import { BIN, startServe as serve } from '../helpers/serve-process.ts';

let dir: string;
let db: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-serve-'));
  db = join(dir, 'ledger.db');
  Ledger.init(db, { origin: 'serve.example/log' }).close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('drugtrace serve', () => {
  it('listens, prints the URL, the docs URL and a first admin token that works; SIGTERM exits 0', async () => {
    const { started, stop } = await serve(['--db', db]);
    try {
      expect(started).toMatchObject({ ok: true, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), adminToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      expect(started.docs).toBe(`${started.url}/docs`);
      const health = await fetch(`${started.url}/health`);
      expect(await health.json()).toMatchObject({ ok: true, ledgerSize: 1, origin: 'serve.example/log' });
      const issued = await fetch(`${started.url}/v1/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${started.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ party: 'nmpa', role: 'regulator' }),
      });
      expect(issued.status).toBe(201);
    } finally {
      const { code, stderr } = await stop();
      expect(code).toBe(0);
      expect(stderr).toBe('');
    }
  });

  it('prints no admin token once one exists', async () => {
    const { started, stop } = await serve(['--db', db]);
    expect(started.adminToken).toBeUndefined();
    expect((await stop()).code).toBe(0);
  });

  it('refuses a database with no ledger (exit 2, LEDGER_NOT_INITIALIZED)', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', '--db', join(dir, 'missing.db')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(JSON.parse(stdout).error.code).toBe('LEDGER_NOT_INITIALIZED');
  });
});
