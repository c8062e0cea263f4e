import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as run } from '../helpers/run-cli.ts';
import { ACME_GTIN, CHAIN, EventFactory, epcisDocument, gln, sgtin } from './helpers/chain.ts';

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'drugtrace-capture-'));
  db = join(dir, 'test.db');
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});


const A = CHAIN.acme.glns[0];
const D = CHAIN.dist.glns[0];

async function setUp() {
  expect((await run(['init', '--db', db, '--origin', 'drugtrace.test/log', '--json'])).code).toBe(0);
  const acme = await run(['party', 'add', '--party', 'acme', '--role', 'manufacturer', '--name', 'Acme Pharma', '--location', A, '--prefix', '0614141', '--db', db, '--json']);
  expect(acme.code).toBe(0);
  expect((await run(['party', 'add', '--party', 'dist', '--role', 'distributor', '--name', 'Dist', '--location', D, '--db', db, '--json'])).code).toBe(0);
  return JSON.parse(acme.stdout);
}

function writeDoc(name: string, events: object[]): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(epcisDocument(events as never)));
  return file;
}

describe('drugtrace party add / capture', () => {
  it('registers a party, writes its key file with mode 0600 and lists it', async () => {
    const acme = await setUp();
    expect(acme).toMatchObject({ ok: true, party: { party: 'acme', role: 'manufacturer', locations: [`https://id.gs1.org/414/${A}`] }, keyFile: `${db}.keys/acme.key` });
    expect(statSync(acme.keyFile).mode & 0o777).toBe(0o600);
    const list = JSON.parse((await run(['party', 'list', '--db', db, '--json'])).stdout);
    expect(list.parties.map((p: { party: string }) => p.party)).toEqual(['acme', 'dist']);
    // The key file is never replaced.
    const again = await run(['party', 'add', '--party', 'acme2', '--role', 'pharmacy', '--name', 'X', '--location', gln('0614149', '00001'), '--key', acme.keyFile, '--db', db, '--json']);
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout).error.code).toBe('CLI_KEY_EXISTS');
    expect(JSON.parse((await run(['party', 'list', '--db', db, '--json'])).stdout).parties).toHaveLength(2);
  });

  it('refuses a bad registration with exit 2 and its code, leaving no key file behind', async () => {
    await setUp();
    const r = await run(['party', 'add', '--party', 'p', '--role', 'wizard', '--name', 'X', '--location', '0614149000011', '--db', db, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'TRACE_BAD_REGISTRATION', details: { field: 'role' } });
    expect(existsSync(`${db}.keys/p.key`)).toBe(false);
    const again = await run(['party', 'add', '--party', 'acme', '--role', 'pharmacy', '--name', 'X', '--location', gln('0614149', '00001'), '--key', join(dir, 'other.key'), '--db', db, '--json']);
    expect([again.code, JSON.parse(again.stdout).error.code]).toEqual([1, 'LEDGER_PARTY_EXISTS']);
    expect(existsSync(join(dir, 'other.key'))).toBe(false);
  });

  it('captures a document signed with the party key and prints the receipt; the same file again is a duplicate of a new signing', async () => {
    await setUp();
    const e = new EventFactory();
    const file = writeDoc('c.json', [e.commission([sgtin(ACME_GTIN, 'CLI1')], A), e.ship([sgtin(ACME_GTIN, 'CLI1')], A, D)]);
    const r = await run(['capture', file, '--party', 'acme', '--db', db, '--json']);
    expect(r.code).toBe(0);
    const receipt = JSON.parse(r.stdout);
    expect(receipt).toMatchObject({ ok: true, duplicate: false, events: [{ index: 0 }, { index: 1 }] });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    // Signed again at another time it is a new document whose events are already captured.
    const again = await run(['capture', file, '--party', 'acme', '--db', db, '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).error.code).toBe('TRACE_DUPLICATE_EVENT');
  });

  it('exits 1 with the rule, the unit and the state when a document is refused', async () => {
    await setUp();
    const e = new EventFactory();
    const file = writeDoc('bad.json', [e.receive([sgtin(ACME_GTIN, 'NOPE')], D)]);
    const r = await run(['capture', file, '--party', 'dist', '--db', db, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'TRACE_NOT_COMMISSIONED', details: { unit: sgtin(ACME_GTIN, 'NOPE'), currentStatus: null } });
  });

  it('exits 2 for a missing file, a missing key file or a key of another party', async () => {
    await setUp();
    expect((await run(['capture', join(dir, 'none.json'), '--party', 'acme', '--db', db, '--json'])).code).toBe(2);
    const file = writeDoc('c.json', [new EventFactory().commission([sgtin(ACME_GTIN, 'K1')], A)]);
    const noKey = await run(['capture', file, '--party', 'ghost', '--db', db, '--json']);
    expect([noKey.code, JSON.parse(noKey.stdout).error.code]).toEqual([2, 'CLI_NO_KEY']);
    const wrong = await run(['capture', file, '--party', 'dist', '--key', `${db}.keys/acme.key`, '--db', db, '--json']);
    expect([wrong.code, JSON.parse(wrong.stdout).error.code]).toEqual([2, 'CLI_BAD_KEY']);
  });

  it('rebuilds the projections from the ledger', async () => {
    await setUp();
    const r = await run(['rebuild', '--db', db, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, entries: 5 });
  });
});
