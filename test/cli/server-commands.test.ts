/**
 * More CLI commands against a real listening server (--server, --token): the ledger's checkpoint
 * (its operator signature checked on the caller's machine), with the same JSON and exit codes as
 * the local mode on the same demo database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../api/server.ts';
import { issueToken } from '../../api/auth.ts';
import { Ledger } from '../../ledger/ledger.ts';
import { sha256 } from '../../ledger/crypto-node.ts';
import { formatVerifierKey, SIGNATURE_TYPE_ED25519 } from '../../ledger/note.ts';
import { runDemo, type DemoResult } from '../../trace/demo.ts';
import { runCli } from '../helpers/run-cli.ts';

let dir: string;
let db: string;
let demo: DemoResult;
let app: FastifyInstance;
let base: string;
let operatorKey: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-cli-server-commands-'));
  db = join(dir, 'demo.db');
  demo = runDemo(db);
  const ledger = Ledger.open(db);
  operatorKey = formatVerifierKey(sha256, ledger.origin, SIGNATURE_TYPE_ED25519, ledger.operatorPublicKey);
  ledger.close();
  app = await buildServer({ dbFile: db });
  base = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
  tokens.regulator = issueToken(app.drugtrace.db, { party: 'nmpa', role: 'regulator' }).token;
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const remote = (token: string | undefined, ...args: string[]) => runCli([...args, '--server', base, ...(token ? ['--token', token] : [])]);

describe('ledger checkpoint --server', () => {
  it('prints the server\'s signed note, the local command\'s JSON (created unknown), and checks its signature with --operator-key', async () => {
    const local = await runCli(['ledger', 'checkpoint', '--db', db, '--json']);
    expect(local.code).toBe(0);
    const text = await remote(undefined, 'ledger', 'checkpoint');
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(JSON.parse(local.stdout).note);
    expect(text.stderr).toMatch(/signature not checked: pass --operator-key/);

    const json = await remote(undefined, 'ledger', 'checkpoint', '--json', '--operator-key', operatorKey);
    expect(json.code).toBe(0);
    const { created, verified, ...rest } = JSON.parse(json.stdout);
    const { created: _localCreated, ...localRest } = JSON.parse(local.stdout);
    expect(rest).toEqual(localRest);
    expect([created, verified]).toEqual([null, true]);
    expect(rest.size).toBe(demo.ledgerSize);
  });

  it('exits 1 when the note is not signed by the pinned operator key', async () => {
    const other = join(dir, 'other.db');
    const ledger = Ledger.init(other, { origin: 'drugtrace.example/demo' });
    const impostor = formatVerifierKey(sha256, ledger.origin, SIGNATURE_TYPE_ED25519, ledger.operatorPublicKey);
    ledger.close();
    const r = await remote(undefined, 'ledger', 'checkpoint', '--json', '--operator-key', impostor);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('NOTE_UNVERIFIED');
    const malformed = await remote(undefined, 'ledger', 'checkpoint', '--json', '--operator-key', 'not-a-key');
    expect(malformed.code).toBe(2);
    expect(JSON.parse(malformed.stdout).error.code).toBe('CLI_BAD_KEY');
  });

  it('exits 2 with CLIENT_NETWORK when nothing answers at the URL', async () => {
    const r = await runCli(['ledger', 'checkpoint', '--json', '--server', 'http://127.0.0.1:9']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'CLIENT_NETWORK', status: 0 });
  });
});
