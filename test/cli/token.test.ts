/**
 * `drugtrace token issue|list|revoke` on the database: a token issued here works against the API
 * on that database, is listed without its secret, and stops working once revoked. Bad input is a
 * usage error naming what was wrong; revoking an unknown or revoked token is exit 1.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { TOKEN_CACHE_TTL_MS } from '../../api/auth.ts';
import { buildServer } from '../../api/server.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { runCli } from '../helpers/run-cli.ts';

let dir: string;
let db: string;
let api: FastifyInstance;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-token-'));
  db = join(dir, 'ledger.db');
  Ledger.init(db, { origin: 'token.example/log' }).close();
  api = await buildServer({ dbFile: db });
  url = (await api.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
});
afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

const listTokensAs = (token: string) => fetch(`${url}/v1/tokens`, { headers: { authorization: `Bearer ${token}` } });

describe('drugtrace token', () => {
  it('issues an admin token that the API accepts, lists it without the token or its hash, and revokes it', async () => {
    const issued = await runCli(['token', 'issue', '--party', 'operator', '--role', 'admin', '--label', 'recovery', '--db', db, '--json']);
    expect(issued.code).toBe(0);
    const { token, tokenId } = JSON.parse(issued.stdout);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await listTokensAs(token)).status).toBe(200);

    const listed = await runCli(['token', 'list', '--db', db]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${tokenId}  operator  admin  created \\S+  recovery$`, 'm'));
    expect(listed.stdout).not.toContain(token);

    const revoked = await runCli(['token', 'revoke', tokenId, '--db', db, '--json']);
    expect([revoked.code, JSON.parse(revoked.stdout)]).toEqual([0, { ok: true, tokenId, revoked: true }]);
    // The server has its own connection and token cache, as a server process would: it still takes
    // the token it saw a moment ago, and refuses it once the cache entry's lifetime has passed.
    expect((await listTokensAs(token)).status).toBe(200);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + TOKEN_CACHE_TTL_MS + 1);
      expect((await listTokensAs(token)).status).toBe(401);
    } finally {
      vi.useRealTimers();
    }
    const again = JSON.parse((await runCli(['token', 'list', '--db', db, '--json'])).stdout);
    expect(again.tokens.find((t: { tokenId: string }) => t.tokenId === tokenId)).toMatchObject({ party: 'operator', role: 'admin', label: 'recovery', revokedAt: expect.any(String) });
  });

  it('exits 1 with TOKEN_NOT_FOUND for a token id that is unknown or already revoked', async () => {
    const run = await runCli(['token', 'revoke', 'ffffffffffff', '--db', db, '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'TOKEN_NOT_FOUND', details: { tokenId: 'ffffffffffff' } } });
  });

  it('exits 2 naming the field for an unknown role or a malformed party, and issues nothing', async () => {
    const before = JSON.parse((await runCli(['token', 'list', '--db', db, '--json'])).stdout).tokens.length;
    const role = await runCli(['token', 'issue', '--party', 'pharmacy-1', '--role', 'king', '--db', db, '--json']);
    expect(role.code).toBe(2);
    expect(JSON.parse(role.stdout)).toMatchObject({ ok: false, error: { code: 'REQUEST_INVALID', details: { path: '/role' } } });
    const party = await runCli(['token', 'issue', '--party', 'no spaces', '--role', 'dispenser', '--db', db, '--json']);
    expect(party.code).toBe(2);
    expect(JSON.parse(party.stdout)).toMatchObject({ ok: false, error: { code: 'REQUEST_INVALID', details: { path: '/party' } } });
    expect(JSON.parse((await runCli(['token', 'list', '--db', db, '--json'])).stdout).tokens).toHaveLength(before);
  });

  it('exits 2 with LEDGER_NOT_INITIALIZED where there is no ledger', async () => {
    const run = await runCli(['token', 'list', '--db', join(dir, 'none.db'), '--json']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error.code).toBe('LEDGER_NOT_INITIALIZED');
  });
});
