/**
 * `drugtrace serve --trust-proxy`, as a real process: with the proxy's address listed, the client
 * named by X-Forwarded-For has its own failed-authentication bucket (20 a minute); a malformed
 * entry is a usage error naming it (exit 2, CLI_BAD_TRUST_PROXY). The option is in `--help`.
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

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-serve-proxy-'));
  db = join(dir, 'ledger.db');
  Ledger.init(db, { origin: 'serve.example/log' }).close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts serve with these arguments; 21 bad-token requests from client A, then one from B: B's error code. */
async function clientBAfterAGuessed(args: string[]): Promise<string> {
  const { started, stop } = await startServe(['--db', db, ...args]);
  try {
    const guess = (client: string) =>
      fetch(`${started.url}/v1/tokens`, { headers: { authorization: `Bearer ${'g'.repeat(43)}`, 'x-forwarded-for': client } }).then(async (r) => ((await r.json()) as { error: { code: string } }).error.code);
    for (let i = 0; i < 21; i++) await guess('198.51.100.1');
    expect(await guess('198.51.100.1')).toBe('RATE_LIMITED');
    return await guess('198.51.100.2');
  } finally {
    await stop();
  }
}

describe('drugtrace serve --trust-proxy', () => {
  it("with the proxy's address listed, each forwarded client has its own failed-authentication limit", async () => {
    expect(await clientBAfterAGuessed(['--trust-proxy', '10.0.0.0/8, 127.0.0.1'])).toBe('AUTH_INVALID_TOKEN');
  });

  it('without it, every client behind the proxy shares the connecting address and its limit', async () => {
    expect(await clientBAfterAGuessed([])).toBe('RATE_LIMITED');
  });

  it.each(['127.0.0.1/33', 'proxy.internal', '10.0.0.0/8/1', ''])('exits 2 with CLI_BAD_TRUST_PROXY naming the entry %j', (entry) => {
    const run = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--json', '--db', db, '--trust-proxy', `loopback,${entry}`], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'CLI_BAD_TRUST_PROXY', details: { entry } } });
  });

  it('lists the option in serve --help', () => {
    const run = spawnSync(process.execPath, [BIN, 'serve', '--help'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('--trust-proxy <addresses>');
  });
});
