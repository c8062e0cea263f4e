/**
 * `drugtrace serve` and webhook targets, as a real process: by default a webhook on a loopback
 * address is refused (422 WEBHOOK_TARGET_FORBIDDEN); `--allow-private-webhooks` or
 * DRUGTRACE_ALLOW_PRIVATE_WEBHOOKS=1 lets it through; an unreadable value of the variable is a
 * usage error (exit 2). The option is in `drugtrace serve --help`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '../../ledger/ledger.ts';
import { BIN, startServe } from '../helpers/serve-process.ts';

let dir: string;
let db: string;
let adminToken: string | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-serve-webhooks-'));
  db = join(dir, 'ledger.db');
  Ledger.init(db, { origin: 'serve.example/log' }).close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanEnv = () => {
  const env = { ...process.env };
  delete env.DRUGTRACE_ALLOW_PRIVATE_WEBHOOKS;
  return env;
};

/** Starts serve with these arguments and environment, registers a webhook on 127.0.0.1 as a regulator, stops it; returns the answer. */
async function registerLoopback(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; body: any }> {
  const { started, stop } = await startServe(['--db', db, ...args], env);
  try {
    adminToken ??= started.adminToken;
    const issued = await fetch(`${started.url}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ party: 'nmpa', role: 'regulator' }),
    }).then((r) => r.json());
    const res = await fetch(`${started.url}/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${issued.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'http://127.0.0.1:9/hook' }),
    });
    return { status: res.status, body: await res.json() };
  } finally {
    await stop();
  }
}

describe('drugtrace serve and webhook targets', () => {
  it('refuses a webhook on a loopback address by default', async () => {
    const got = await registerLoopback([], cleanEnv());
    expect([got.status, got.body.error.code, got.body.error.details.range]).toEqual([422, 'WEBHOOK_TARGET_FORBIDDEN', 'loopback']);
  });

  it('accepts it with --allow-private-webhooks', async () => {
    const got = await registerLoopback(['--allow-private-webhooks'], cleanEnv());
    expect([got.status, got.body.url]).toEqual([201, 'http://127.0.0.1:9/hook']);
  });

  it('accepts it with DRUGTRACE_ALLOW_PRIVATE_WEBHOOKS=1, and refuses with =0', async () => {
    expect((await registerLoopback([], { ...cleanEnv(), DRUGTRACE_ALLOW_PRIVATE_WEBHOOKS: '1' })).status).toBe(201);
    expect((await registerLoopback([], { ...cleanEnv(), DRUGTRACE_ALLOW_PRIVATE_WEBHOOKS: '0' })).status).toBe(422);
  });

  it('exits 2 with CLI_BAD_ENV on a value of the variable it cannot read', () => {
    const run = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--json', '--db', db], { env: { ...cleanEnv(), DRUGTRACE_ALLOW_PRIVATE_WEBHOOKS: 'maybe' }, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'CLI_BAD_ENV', details: { variable: 'DRUGTRACE_ALLOW_PRIVATE_WEBHOOKS', value: 'maybe' } } });
  });

  it('lists the option in serve --help', () => {
    const run = spawnSync(process.execPath, [BIN, 'serve', '--help'], { env: cleanEnv(), encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('--allow-private-webhooks');
    expect(run.stdout).toContain('DRUGTRACE_ALLOW_PRIVATE_WEBHOOKS=1');
  });
});
